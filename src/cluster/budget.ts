/**
 * @module One rate budget per app shared by every worker: the HTTP client's adaptive concurrency window (AIMD) and
 * its 429 back-off held in Redis, changed only by small Lua scripts so workers racing on it see one answer.
 */

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ConcurrencyOptions, RequestLimiter, Slot } from '../connectors/http/index.js';

/**
 * KEYS: state hash, slots zset. ARGV: slot id, lease ms, initial, min, max. Drops slots whose lease ran out (a
 * killed worker's), then grants a slot when fewer than `limit` are held; a request turned away for a full window
 * marks the time (`wantedAt`: the window, not the app, held it back).
 * Returns {1, epoch} granted, {0, -1} window full.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or ARGV[3])
if redis.call('ZCARD', KEYS[2]) >= limit then
  redis.call('HSET', KEYS[1], 'wantedAt', now)
  return {0, -1}
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
local epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if redis.call('HEXISTS', KEYS[1], 'limit') == 0 then redis.call('HSET', KEYS[1], 'limit', limit, 'epoch', 0) end
return {1, epoch}
`;

/**
 * KEYS: state hash. ARGV: initial, max. Returns the limit. Until the app first pushes back, and while requests
 * were turned away for a full window in the last second, +1 per success (slow start: the window doubles per round
 * trip, so N workers reach the window they need as fast as one worker reaches its own smaller one). A push-back
 * halves the window and makes the halved window the `ceiling` of slow start (TCP's ssthresh): above it, +1 after
 * `limit` successes in a row, as the in-process limiter does.
 */
const SUCCESS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or ARGV[1])
local max = tonumber(ARGV[2])
if limit >= max then return limit end
local ceiling = tonumber(redis.call('HGET', KEYS[1], 'ceiling') or max)
local wanted = tonumber(redis.call('HGET', KEYS[1], 'wantedAt') or '0')
if limit < ceiling and now - wanted < 1000 then
  limit = limit + 1
  redis.call('HSET', KEYS[1], 'limit', limit, 'successes', 0)
  return limit
end
local n = redis.call('HINCRBY', KEYS[1], 'successes', 1)
if n >= limit then
  redis.call('HSET', KEYS[1], 'successes', 0)
  limit = limit + 1
  redis.call('HSET', KEYS[1], 'limit', limit)
end
return limit
`;

/**
 * KEYS: state hash. ARGV: the slot's epoch, initial, min. The window halves once per epoch, so a burst of 429s
 * from slots granted together halves it once, and the halved window becomes the ceiling of slow start. A
 * Retry-After pauses no one else, as in one process: it delays the request it answered, and the shared pace
 * (`pacer.ts`) keeps the others under the app's rate instead of stopping them all and then bursting together.
 * Returns {changed, limit}.
 */
const OVERLOAD = `
redis.call('HSET', KEYS[1], 'successes', 0)
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or ARGV[2])
local epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if tonumber(ARGV[1]) ~= epoch then return {0, limit} end
local next = math.max(tonumber(ARGV[3]), math.floor(limit / 2))
redis.call('HSET', KEYS[1], 'epoch', epoch + 1, 'limit', next, 'ceiling', next)
if next ~= limit then return {1, next} end
return {0, next}
`;

export interface SharedBudgetOptions {
  /** Key prefix, so several Roster installations can share one Redis. */
  prefix?: string;
  /** How long a slot is held if its worker dies before releasing it (ms). */
  slotLeaseMs?: number;
  /** Wait between tries while the window is full (ms, jittered). */
  pollMs?: number;
  concurrency?: ConcurrencyOptions;
  /** Told when a Redis call behind a fire-and-forget signal failed (the request itself goes on). */
  onError?: (error: unknown) => void;
}

/** The keys an app's budget lives under. */
export function budgetKeys(prefix: string, appId: string): { state: string; slots: string } {
  return { state: `${prefix}:budget:${appId}:state`, slots: `${prefix}:budget:${appId}:slots` };
}

/**
 * A RequestLimiter whose window is one app's, across every process that uses the same Redis: N workers together
 * keep no more requests in flight than the window one worker would have learned alone.
 */
export class SharedBudget implements RequestLimiter {
  private known: number;
  private readonly keys: { state: string; slots: string };
  private readonly concurrency: ConcurrencyOptions;
  private readonly slotLeaseMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly redis: Redis,
    appId: string,
    private readonly options: SharedBudgetOptions = {},
  ) {
    this.keys = budgetKeys(options.prefix ?? 'roster', appId);
    this.concurrency = options.concurrency ?? { initial: 4, min: 1, max: 32 };
    this.known = this.concurrency.initial;
    this.slotLeaseMs = options.slotLeaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 10;
  }

  get limit(): number {
    return this.known;
  }

  async acquire(): Promise<Slot> {
    const id = randomUUID();
    const { initial, min, max } = this.concurrency;
    for (;;) {
      const [granted, value] = (await this.redis.eval(
        ACQUIRE,
        2,
        this.keys.state,
        this.keys.slots,
        id,
        this.slotLeaseMs,
        initial,
        min,
        max,
      )) as [number, number];
      if (granted === 1) {
        let released = false;
        return {
          epoch: value,
          release: () => {
            if (released) return;
            released = true;
            this.redis.zrem(this.keys.slots, id).catch((error: unknown) => this.options.onError?.(error));
          },
        };
      }
      await new Promise((r) => setTimeout(r, this.pollMs + Math.floor(Math.random() * this.pollMs)));
    }
  }

  success(): void {
    this.redis
      .eval(SUCCESS, 1, this.keys.state, this.concurrency.initial, this.concurrency.max)
      .then((limit) => {
        this.known = Number(limit);
      })
      .catch((error: unknown) => this.options.onError?.(error));
  }

  overload(slot: Pick<Slot, 'epoch'>): boolean {
    // The caller backs off by itself; the shared window catches up as soon as Redis answers.
    this.redis
      .eval(OVERLOAD, 1, this.keys.state, slot.epoch, this.concurrency.initial, this.concurrency.min)
      .then((answer) => {
        this.known = Number((answer as [number, number])[1]);
      })
      .catch((error: unknown) => this.options.onError?.(error));
    return false;
  }

  /** The window as Redis holds it now (for metrics and tests). */
  async state(): Promise<{ limit: number; inFlight: number }> {
    const [limit, inFlight] = await Promise.all([
      this.redis.hget(this.keys.state, 'limit'),
      this.redis.zcard(this.keys.slots),
    ]);
    return { limit: limit === null ? this.concurrency.initial : Number(limit), inFlight };
  }
}
