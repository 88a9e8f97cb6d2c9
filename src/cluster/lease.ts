/**
 * @module Named leases in Redis: one holder at a time across every process of an installation, renewed while held,
 * gone by themselves when the holder dies. Cluster mode's scheduled runs take one per run, so several `roster
 * serve` processes start each scheduled sync once.
 */

import type { Redis } from 'ioredis';

/** KEYS: the lease. ARGV: owner, ttl ms. Takes a free lease or extends the owner's own; 1 when held now. */
const TAKE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

/** KEYS: the lease. ARGV: owner. Deletes it only when the owner still holds it. */
const GIVE_BACK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface HeldLease {
  /** Stops renewing and frees the lease for the next taker. */
  release(): Promise<void>;
}

export class Leases {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly owner: string,
    private readonly ttlMs = 30_000,
  ) {}

  private key(name: string): string {
    return `${this.prefix}:lease:${name}`;
  }

  /**
   * The lease `name`, renewed every third of its time to live until released; null when another process holds
   * it. A holder that dies (or stalls past the time to live) loses it to the next taker.
   */
  async take(name: string): Promise<HeldLease | null> {
    const key = this.key(name);
    const took = await this.redis.eval(TAKE, 1, key, this.owner, this.ttlMs);
    if (Number(took) !== 1) return null;
    const renew = setInterval(() => {
      this.redis.eval(TAKE, 1, key, this.owner, this.ttlMs).catch(() => {
        // The next renewal tries again; a lease lost meanwhile only lets another process take the next run.
      });
    }, this.ttlMs / 3);
    renew.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        await this.redis.eval(GIVE_BACK, 1, key, this.owner);
      },
    };
  }
}
