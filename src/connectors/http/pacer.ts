/** @module Request pacing: the app's hidden rate limit, learnt from its 429s, and the send times that keep under it. */

export interface PacerOptions {
  /** The share of the measured rate paced to after a 429 (a little under, so the app's bucket can refill). */
  headroom: number;
  /** The cut when a 429 comes before any rate could be measured (too soon after the first one). */
  decrease: number;
  /** The cut once a rate was measured, for a 429 too soon after the last to measure again. */
  floor: number;
  /**
   * The share of the rate added per accepted request while paced: relative, so the requests between two 429s
   * (and so the share answered 429) are the same at any rate.
   */
  increase: number;
  /**
   * The same before any rate was measured: the first cuts may land at half the app's rate, found again fast.
   * Faster than that, the pace overshoots while it spends what the app's bucket saved meanwhile; the 429 that
   * ends it is the first measure, and the too-soon ones after it cut towards what was accepted in between.
   */
  probe: number;
  /** The shortest time between two 429s a rate is measured over; shorter ones count ±1 too much. */
  minWindowMs: number;
  /** Never slower than this, in requests/s. */
  minRate: number;
}

export const DEFAULT_PACER: PacerOptions = {
  headroom: 0.95,
  decrease: 0.5,
  floor: 0.9,
  increase: 0.0025,
  probe: 0.03,
  minWindowMs: 500,
  minRate: 0.2,
};

/** A reserved send time; its epoch tells a 429 already reacted to from a new one. */
export interface PaceTicket {
  readonly waitMs: number;
  readonly epoch: number;
}

/**
 * What a pacer knows, as plain data: the in-process RatePacer holds one in memory, cluster mode one per app in Redis
 * (src/cluster/pacer.ts, whose Lua mirrors the functions below step for step, proven alike by a shared test table).
 */
export interface PaceState {
  /** The paced rate in requests/s, or null while no 429 has been seen. */
  rate: number | null;
  /** The next free send time (ms). */
  nextAt: number;
  epoch: number;
  /** The epoch the last cut opened: a send time reserved before it was spaced at a pace the app refused. */
  cutEpoch: number;
  startedAt: number;
  acceptedTotal: number;
  /** When the app's bucket was last seen empty (a 429), and how many requests it accepted since. */
  emptyAt: number | null;
  acceptedSinceEmpty: number;
  /** The last 429 of any kind and how many requests the app accepted since: a window too short to measure. */
  lastRejectedAt: number | null;
  acceptedSinceRejected: number;
  /** The app's rate as last measured between two 429s. */
  measured: number | null;
}

export function newPaceState(now: number): PaceState {
  return {
    rate: null,
    nextAt: Number.NEGATIVE_INFINITY,
    epoch: 0,
    cutEpoch: 0,
    startedAt: now,
    acceptedTotal: 0,
    emptyAt: null,
    acceptedSinceEmpty: 0,
    lastRejectedAt: null,
    acceptedSinceRejected: 0,
    measured: null,
  };
}

/** Takes the next send time at `now`: wait `waitMs` before sending. */
export function reservePace(state: PaceState, now: number): PaceTicket {
  if (state.rate === null) return { waitMs: 0, epoch: state.epoch };
  const at = Math.max(now, state.nextAt);
  state.nextAt = at + 1000 / state.rate;
  return { waitMs: at - now, epoch: state.epoch };
}

/** Whether the pace was cut since a ticket of `epoch` was reserved. */
export function stalePace(state: PaceState, epoch: number): boolean {
  return epoch < state.cutEpoch;
}

/** The app accepted a request (any answer but a 429). */
export function acceptPace(state: PaceState, options: PacerOptions): void {
  state.acceptedTotal += 1;
  state.acceptedSinceEmpty += 1;
  state.acceptedSinceRejected += 1;
  if (state.rate === null) return;
  // Until a measure the pace is a guess from the app's burst, most often far below its rate: probe up fast.
  state.rate *= 1 + (state.measured === null ? options.probe : options.increase);
}

/**
 * The app answered 429 at `now` to a request sent under a ticket of `epoch`. Returns the new rate when it changed.
 * Several 429s to requests sent before the last change are one congestion: the rate is cut once for them.
 */
export function rejectPace(
  state: PaceState,
  epoch: number,
  now: number,
  options: PacerOptions,
): number | null {
  let measured: number | null = null;
  // What the app accepted since the previous 429: ±1 request over a short time, so only a hint of its rate.
  const hint =
    state.lastRejectedAt !== null && now > state.lastRejectedAt
      ? (state.acceptedSinceRejected * 1000) / (now - state.lastRejectedAt)
      : null;
  state.lastRejectedAt = now;
  state.acceptedSinceRejected = 0;
  if (state.emptyAt === null) {
    // The first 429: what was accepted before it includes the app's initial burst, which says nothing of its rate.
    state.emptyAt = now;
    state.acceptedSinceEmpty = 0;
  } else if (now - state.emptyAt >= options.minWindowMs) {
    measured = (state.acceptedSinceEmpty * 1000) / (now - state.emptyAt);
    state.emptyAt = now;
    state.acceptedSinceEmpty = 0;
  }
  if (measured === null && epoch !== state.epoch) return null;
  const before = state.rate;
  let rate: number;
  if (state.rate === null) {
    // Nothing accepted yet says nothing about a rate: the Retry-After or the backoff alone spaces the retry.
    if (state.acceptedTotal < 2) return null;
    // The first 429: start from what was accepted so far (the burst included, so too high) and halve.
    rate = ((state.acceptedTotal * 1000) / Math.max(1, now - state.startedAt)) * options.decrease;
  } else if (measured !== null) {
    // The pace that met this 429 was at or above the app's rate; the count between two 429s is below it when
    // the client was slower for a while (the app's bucket filled up and stopped counting): take the larger.
    state.measured = Math.max(measured, state.rate * options.floor);
    rate = state.measured * options.headroom;
  } else {
    // Too soon after the last 429 to measure: cut towards the hint, by `floor` at least and `decrease` at most.
    // A fixed cut would land far below the app's rate (then found again slowly) or take several 429s to get there.
    const most = state.rate * options.decrease;
    const least = state.rate * options.floor;
    if (hint !== null) rate = Math.min(least, Math.max(most, hint * options.headroom));
    else rate = state.measured === null ? most : least;
  }
  rate = Math.max(options.minRate, rate);
  state.rate = rate;
  state.epoch += 1;
  if (before === null || rate < before) {
    // Every send time reserved at the faster pace is stale and taken again: the new spacing starts now.
    state.cutEpoch = state.epoch;
    state.nextAt = now + 1000 / rate;
  } else {
    // A measure that raised the pace: what was reserved at the slower one is kept.
    state.nextAt = Math.max(state.nextAt, now + 1000 / rate);
  }
  return rate === before ? null : rate;
}

/**
 * What the HTTP client spaces its sends with: the in-process RatePacer, or in cluster mode one pace per app shared
 * by every worker (src/cluster/pacer.ts), whose answers come from Redis and so may be promises.
 */
export interface RequestPacer {
  /** The paced rate in requests/s, or null while no 429 has been seen (as last known). */
  readonly requestsPerSecond: number | null;
  reserve(): PaceTicket | Promise<PaceTicket>;
  stale(ticket: Pick<PaceTicket, 'epoch'>): boolean | Promise<boolean>;
  accepted(): void;
  rejected(ticket: Pick<PaceTicket, 'epoch'>): number | null | Promise<number | null>;
}

/**
 * None of the five apps publishes its limit or rate-limit headers (their guides say so), so the limit is learnt.
 * A 429 means the app's token bucket was empty when it answered; the requests it accepted between two such
 * moments are what it refilled in between, so accepted ÷ elapsed is its refill rate, whatever the bucket's size
 * and however fast the client sent. Until the first 429 nothing is paced (the concurrency limit alone applies);
 * after it, sends are spaced at headroom × that rate and the pace creeps up (additive increase) until the next
 * 429 measures the rate again. A Retry-After delays only the request it answered: the others carry on at the
 * learnt pace instead of stopping and then bursting, which would spend the bucket and meet the next 429 at once.
 * What a 429 costs is mostly at the start (the burst spent, the first guesses too fast): a cut makes every send
 * time reserved at the old pace stale, and a 429 too soon after another cuts towards what was accepted between.
 */
export class RatePacer implements RequestPacer {
  private readonly state: PaceState;
  private readonly options: PacerOptions;

  constructor(
    options: Partial<PacerOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_PACER, ...options };
    this.state = newPaceState(now());
  }

  /** The paced rate in requests/s, or null while no 429 has been seen. */
  get requestsPerSecond(): number | null {
    return this.state.rate;
  }

  /** Takes the next send time: wait `waitMs` before sending. */
  reserve(): PaceTicket {
    return reservePace(this.state, this.now());
  }

  /**
   * Whether the pace was cut since this ticket was reserved. Its send time was spaced for a pace the app has since
   * refused: sent as reserved, it would spend the tokens the slower pace leaves the app to refill and meet the
   * next 429 (each such 429 cutting again). The caller reserves again instead.
   */
  stale(ticket: Pick<PaceTicket, 'epoch'>): boolean {
    return stalePace(this.state, ticket.epoch);
  }

  /** The app accepted a request (any answer but a 429). */
  accepted(): void {
    acceptPace(this.state, this.options);
  }

  /**
   * The app answered 429 to a request sent under `ticket`. Returns the new rate when it changed. Several 429s
   * to requests sent before the last change are one congestion: the rate is cut once for them.
   */
  rejected(ticket: Pick<PaceTicket, 'epoch'>): number | null {
    return rejectPace(this.state, ticket.epoch, this.now(), this.options);
  }

  /** A copy of what it knows (for tests proving the shared pacer decides alike). */
  snapshot(): PaceState {
    return { ...this.state };
  }
}
