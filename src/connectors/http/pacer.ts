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
export class RatePacer {
  private rate: number | null = null;
  private nextAt = Number.NEGATIVE_INFINITY;
  private epoch = 0;
  /** The epoch the last cut opened: a send time reserved before it was spaced at a pace the app refused. */
  private cutEpoch = 0;
  private readonly startedAt: number;
  private acceptedTotal = 0;
  /** When the app's bucket was last seen empty (a 429), and how many requests it accepted since. */
  private emptyAt: number | null = null;
  private acceptedSinceEmpty = 0;
  /** The last 429 of any kind and how many requests the app accepted since: a window too short to measure. */
  private lastRejectedAt: number | null = null;
  private acceptedSinceRejected = 0;
  /** The app's rate as last measured between two 429s. */
  private measured: number | null = null;
  private readonly options: PacerOptions;

  constructor(
    options: Partial<PacerOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_PACER, ...options };
    this.startedAt = now();
  }

  /** The paced rate in requests/s, or null while no 429 has been seen. */
  get requestsPerSecond(): number | null {
    return this.rate;
  }

  /** Takes the next send time: wait `waitMs` before sending. */
  reserve(): PaceTicket {
    const now = this.now();
    if (this.rate === null) return { waitMs: 0, epoch: this.epoch };
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / this.rate;
    return { waitMs: at - now, epoch: this.epoch };
  }

  /**
   * Whether the pace was cut since this ticket was reserved. Its send time was spaced for a pace the app has since
   * refused: sent as reserved, it would spend the tokens the slower pace leaves the app to refill and meet the
   * next 429 (each such 429 cutting again). The caller reserves again instead.
   */
  stale(ticket: Pick<PaceTicket, 'epoch'>): boolean {
    return ticket.epoch < this.cutEpoch;
  }

  /** The app accepted a request (any answer but a 429). */
  accepted(): void {
    this.acceptedTotal += 1;
    this.acceptedSinceEmpty += 1;
    this.acceptedSinceRejected += 1;
    if (this.rate === null) return;
    // Until a measure the pace is a guess from the app's burst, most often far below its rate: probe up fast.
    this.rate *= 1 + (this.measured === null ? this.options.probe : this.options.increase);
  }

  /**
   * The app answered 429 to a request sent under `ticket`. Returns the new rate when it changed. Several 429s
   * to requests sent before the last change are one congestion: the rate is cut once for them.
   */
  rejected(ticket: Pick<PaceTicket, 'epoch'>): number | null {
    const now = this.now();
    let measured: number | null = null;
    // What the app accepted since the previous 429: ±1 request over a short time, so only a hint of its rate.
    const hint =
      this.lastRejectedAt !== null && now > this.lastRejectedAt
        ? (this.acceptedSinceRejected * 1000) / (now - this.lastRejectedAt)
        : null;
    this.lastRejectedAt = now;
    this.acceptedSinceRejected = 0;
    if (this.emptyAt === null) {
      // The first 429: what was accepted before it includes the app's initial burst, which says nothing of its rate.
      this.emptyAt = now;
      this.acceptedSinceEmpty = 0;
    } else if (now - this.emptyAt >= this.options.minWindowMs) {
      measured = (this.acceptedSinceEmpty * 1000) / (now - this.emptyAt);
      this.emptyAt = now;
      this.acceptedSinceEmpty = 0;
    }
    if (measured === null && ticket.epoch !== this.epoch) return null;
    const before = this.rate;
    if (this.rate === null) {
      // Nothing accepted yet says nothing about a rate: the Retry-After or the backoff alone spaces the retry.
      if (this.acceptedTotal < 2) return null;
      // The first 429: start from what was accepted so far (the burst included, so too high) and halve.
      this.rate = ((this.acceptedTotal * 1000) / Math.max(1, now - this.startedAt)) * this.options.decrease;
    } else if (measured !== null) {
      // The pace that met this 429 was at or above the app's rate; the count between two 429s is below it when
      // the client was slower for a while (the app's bucket filled up and stopped counting): take the larger.
      this.measured = Math.max(measured, this.rate * this.options.floor);
      this.rate = this.measured * this.options.headroom;
    } else {
      // Too soon after the last 429 to measure: cut towards the hint, by `floor` at least and `decrease` at most.
      // A fixed cut would land far below the app's rate (then found again slowly) or take several 429s to get there.
      const most = this.rate * this.options.decrease;
      const least = this.rate * this.options.floor;
      if (hint !== null) this.rate = Math.min(least, Math.max(most, hint * this.options.headroom));
      else this.rate = this.measured === null ? most : least;
    }
    this.rate = Math.max(this.options.minRate, this.rate);
    this.epoch += 1;
    if (before === null || this.rate < before) {
      // Every send time reserved at the faster pace is stale and taken again: the new spacing starts now.
      this.cutEpoch = this.epoch;
      this.nextAt = now + 1000 / this.rate;
    } else {
      // A measure that raised the pace: what was reserved at the slower one is kept.
      this.nextAt = Math.max(this.nextAt, now + 1000 / this.rate);
    }
    return this.rate === before ? null : this.rate;
  }
}
