/** @module The seeded fault layer every sandbox shares: hidden rate limits, 5xx, slowness, hangs, resets, drift. */

import { z } from 'zod';
import { createRng, type Rng } from './rng.js';

/** How an app's 429 answers, as its guide says (or, where it is silent, the harder reading). */
export type RetryAfterBehaviour = 'never' | 'always' | 'sometimes';

export const faultSettingsSchema = z.object({
  /** Hidden token bucket: `capacity` requests at once, refilled at `refillPerSecond`. Null: no limit. */
  rateLimit: z.object({ capacity: z.number().positive(), refillPerSecond: z.number().positive() }).nullable(),
  /** Probability that a request gets a 500/502/503/504 before it is handled. */
  serverError: z.number().min(0).max(1),
  /** Probability that a mutation is carried out but its answer is lost (a 502 or a reset afterwards). */
  lostResponse: z.number().min(0).max(1),
  /** Probability of a slow answer, and how slow. */
  slow: z.number().min(0).max(1),
  slowMs: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  /** Probability that a request is never answered (the client must time out). */
  hang: z.number().min(0).max(1),
  /** Probability that the connection is reset instead of answered. */
  reset: z.number().min(0).max(1),
  /** Probability that a list page after the first sees a record added (or removed) before it. */
  drift: z.number().min(0).max(1),
  driftKinds: z.array(z.enum(['insert', 'remove'])),
});
export type FaultSettings = z.infer<typeof faultSettingsSchema>;

export const FAULT_PROFILES = {
  clean: {
    rateLimit: null,
    serverError: 0,
    lostResponse: 0,
    slow: 0,
    slowMs: [0, 0],
    hang: 0,
    reset: 0,
    drift: 0,
    driftKinds: [],
  },
  flaky: {
    rateLimit: { capacity: 15, refillPerSecond: 60 },
    serverError: 0.04,
    lostResponse: 0.03,
    slow: 0.05,
    slowMs: [50, 400],
    hang: 0.004,
    reset: 0.01,
    drift: 0.15,
    driftKinds: ['insert'],
  },
  hostile: {
    rateLimit: { capacity: 6, refillPerSecond: 20 },
    serverError: 0.1,
    lostResponse: 0.08,
    slow: 0.15,
    slowMs: [100, 1500],
    hang: 0.02,
    reset: 0.04,
    drift: 0.3,
    driftKinds: ['insert', 'remove'],
  },
} as const satisfies Record<string, FaultSettings>;
export type FaultProfileName = keyof typeof FAULT_PROFILES;
export const FAULT_PROFILE_NAMES = Object.keys(FAULT_PROFILES) as FaultProfileName[];

/**
 * A fault aimed at particular requests rather than drawn at random: requests whose method matches and whose
 * path (query left out) matches `path` (a regular expression) get `status`, or are answered as usual only after
 * `delayMs` (one of the two), `times` times (null: until cleared). For tests that need one precise failure: a 503
 * on the read-back after a create, or an app that takes its time over one call.
 */
export const scriptedFaultSchema = z
  .object({
    method: z.string().optional(),
    path: z.string(),
    status: z.number().int().min(400).max(599).optional(),
    delayMs: z.number().int().positive().max(600_000).optional(),
    times: z.number().int().positive().nullable().default(null),
  })
  .refine((rule) => (rule.status === undefined) !== (rule.delayMs === undefined), {
    message: 'give a scripted fault either a status or a delayMs',
  });
export type ScriptedFault = z.input<typeof scriptedFaultSchema>;

/** What the fault layer decided for one request. */
export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'rate_limited'; retryAfterSeconds: number | null }
  | { kind: 'server_error'; status: 500 | 502 | 503 | 504 }
  | { kind: 'scripted'; status: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'hang' }
  | { kind: 'reset' };

/** What happens after a mutation was carried out. */
export type AfterDecision = { kind: 'none' } | { kind: 'lost'; how: 'bad_gateway' | 'reset' };

export type DriftDecision = 'none' | 'insert' | 'remove';

export class FaultInjector {
  private settings: FaultSettings;
  private rng: Rng;
  private tokens = 0;
  private lastRefill = Date.now();
  private readonly retryAfter: RetryAfterBehaviour;
  private scripts: { rule: z.output<typeof scriptedFaultSchema>; path: RegExp; left: number | null }[] = [];

  constructor(options: {
    settings: FaultSettings;
    seed: number;
    label: string;
    retryAfter: RetryAfterBehaviour;
  }) {
    this.settings = options.settings;
    this.rng = createRng(options.seed).fork(`faults:${options.label}`);
    this.retryAfter = options.retryAfter;
    this.tokens = this.settings.rateLimit?.capacity ?? 0;
  }

  configure(settings: FaultSettings, seed?: number, label = 'reconfigured'): void {
    this.settings = settings;
    if (seed !== undefined) this.rng = createRng(seed).fork(`faults:${label}`);
    this.tokens = settings.rateLimit?.capacity ?? 0;
    this.lastRefill = Date.now();
  }

  current(): FaultSettings {
    return this.settings;
  }

  /** Adds aimed faults (see ScriptedFault); they are checked before the random ones. */
  script(rules: readonly ScriptedFault[]): void {
    for (const input of rules) {
      const rule = scriptedFaultSchema.parse(input);
      this.scripts.push({ rule, path: new RegExp(rule.path), left: rule.times });
    }
  }

  clearScripts(): void {
    this.scripts = [];
  }

  /** The aimed fault this request meets, if any (and one fewer of it left). */
  scripted(method: string, path: string): FaultDecision | null {
    for (const s of this.scripts) {
      if (s.left === 0) continue;
      if (s.rule.method !== undefined && s.rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!s.path.test(path)) continue;
      if (s.left !== null) s.left--;
      const { status, delayMs } = s.rule;
      return status === undefined
        ? { kind: 'slow', delayMs: delayMs as number }
        : { kind: 'scripted', status };
    }
    return null;
  }

  /** Decide, before the handler runs, whether this request is answered normally. */
  before(): FaultDecision {
    const s = this.settings;
    if (s.rateLimit && !this.takeToken(s.rateLimit)) {
      return { kind: 'rate_limited', retryAfterSeconds: this.retryAfterSeconds() };
    }
    if (this.rng.chance(s.reset)) return { kind: 'reset' };
    if (this.rng.chance(s.hang)) return { kind: 'hang' };
    if (this.rng.chance(s.serverError)) {
      return { kind: 'server_error', status: this.rng.pick([500, 502, 503, 504] as const) };
    }
    if (this.rng.chance(s.slow)) return { kind: 'slow', delayMs: this.rng.int(s.slowMs[0], s.slowMs[1]) };
    return { kind: 'none' };
  }

  /** Decide, after a mutation was applied, whether its answer reaches the client. */
  after(): AfterDecision {
    if (!this.rng.chance(this.settings.lostResponse)) return { kind: 'none' };
    return { kind: 'lost', how: this.rng.chance(0.5) ? 'bad_gateway' : 'reset' };
  }

  /** For a list page that is not the first: did a record appear or vanish before it meanwhile? */
  drift(): DriftDecision {
    const kinds = this.settings.driftKinds;
    if (kinds.length === 0 || !this.rng.chance(this.settings.drift)) return 'none';
    return this.rng.pick(kinds);
  }

  private retryAfterSeconds(): number | null {
    const send = this.retryAfter === 'always' || (this.retryAfter === 'sometimes' && this.rng.chance(0.5));
    if (!send || !this.settings.rateLimit) return null;
    return Math.max(1, Math.ceil(1 / this.settings.rateLimit.refillPerSecond));
  }

  private takeToken(limit: { capacity: number; refillPerSecond: number }): boolean {
    const now = Date.now();
    this.tokens = Math.min(
      limit.capacity,
      this.tokens + ((now - this.lastRefill) / 1000) * limit.refillPerSecond,
    );
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Offset pages as a client sees them while other writers are busy. When drift fires on a page after the first,
 * a record lands before the client's position (`insert`: every later page of this listing starts one earlier, so
 * the client sees a record twice) or vanishes from before it (`remove`: every later page starts one later, so the
 * client misses one). A listing that starts again at offset 0 finds the data as stored: the inserted record was
 * a phantom that is gone, so `clean` and `flaky` hold the same data and a client that dedupes by id loses nothing.
 */
export class DriftingPager {
  private readonly shifts = new Map<string, number>();

  constructor(private readonly decide: () => DriftDecision) {}

  page<T>(listing: string, items: readonly T[], offset: number, limit: number): T[] {
    if (offset <= 0) {
      this.shifts.delete(listing);
      return items.slice(0, limit);
    }
    const decision = this.decide();
    const shift =
      (this.shifts.get(listing) ?? 0) + (decision === 'insert' ? 1 : decision === 'remove' ? -1 : 0);
    this.shifts.set(listing, shift);
    const start = Math.max(0, offset - shift);
    return items.slice(start, start + limit);
  }
}
