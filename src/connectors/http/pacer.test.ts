import { describe, expect, it } from 'vitest';
import { RatePacer } from './pacer.js';

/** A fake clock and an app behind a hidden token bucket, answering as the sandboxes' fault layer does. */
function world(limit: { rate: number; burst: number }) {
  let now = 0;
  let tokens = limit.burst;
  let refilledAt = 0;
  const answer = (): 200 | 429 => {
    tokens = Math.min(limit.burst, tokens + ((now - refilledAt) / 1000) * limit.rate);
    refilledAt = now;
    if (tokens < 1) return 429;
    tokens -= 1;
    return 200;
  };
  const pacer = new RatePacer({}, () => now);
  /** One sender sending as soon as the pacer lets it, `count` times: what the app answered. */
  const send = (count: number) => {
    const answers = { ok: 0, limited: 0 };
    for (let i = 0; i < count; i++) {
      const ticket = pacer.reserve();
      now += ticket.waitMs + 1;
      if (answer() === 429) {
        answers.limited += 1;
        pacer.rejected(ticket);
      } else {
        answers.ok += 1;
        pacer.accepted();
      }
    }
    return answers;
  };
  return { pacer, send, clock: () => now };
}

describe('rate pacer', () => {
  it('does not pace before the app has said 429', () => {
    const pacer = new RatePacer({}, () => 0);
    for (let i = 0; i < 100; i++) {
      expect(pacer.reserve().waitMs).toBe(0);
      pacer.accepted();
    }
    expect(pacer.requestsPerSecond).toBeNull();
  });

  it('learns a hidden rate from 429s and keeps ≥ 90 % of it as goodput with ≤ 5 % answered 429', () => {
    for (const limit of [
      { rate: 20, burst: 5 },
      { rate: 20, burst: 20 },
      { rate: 3, burst: 5 },
      { rate: 200, burst: 20 },
    ]) {
      const { pacer, send, clock } = world(limit);
      send(limit.rate * 10);
      expect(pacer.requestsPerSecond).not.toBeNull();
      // From then on: nearly every request accepted, at nearly the hidden rate.
      const started = clock();
      const answers = send(limit.rate * 60);
      const goodput = (answers.ok * 1000) / (clock() - started);
      expect(answers.limited / (answers.ok + answers.limited)).toBeLessThanOrEqual(0.05);
      expect(goodput).toBeGreaterThanOrEqual(limit.rate * 0.9);
    }
  });

  it('spaces sends at the learnt rate: a burst of reservations waits one interval each', () => {
    let now = 0;
    const pacer = new RatePacer({ decrease: 0.5 }, () => now);
    for (let i = 0; i < 10; i++) pacer.accepted();
    now = 1000;
    // No measure yet: half of what was accepted so far (10 in 1 s).
    expect(pacer.rejected(pacer.reserve())).toBe(5);
    const waits = [1, 2, 3].map(() => pacer.reserve().waitMs);
    expect(waits).toEqual([200, 400, 600]);
  });

  it('cuts once for 429s to requests sent before the last cut', () => {
    let now = 0;
    const pacer = new RatePacer({}, () => now);
    for (let i = 0; i < 8; i++) pacer.accepted();
    now = 100;
    const inFlight = [pacer.reserve(), pacer.reserve(), pacer.reserve()];
    expect(pacer.rejected(inFlight[0]!)).not.toBeNull();
    const after = pacer.requestsPerSecond;
    expect(pacer.rejected(inFlight[1]!)).toBeNull();
    expect(pacer.rejected(inFlight[2]!)).toBeNull();
    expect(pacer.requestsPerSecond).toBe(after);
  });

  it('measures from the first 429 on: the burst the app granted before it is no part of its rate', () => {
    let now = 0;
    // A deep first cut (to 10 a second), so the second 429 is measured, not taken as the pace overshooting.
    const pacer = new RatePacer({ decrease: 0.1 }, () => now);
    // A burst of 100 in the first second, then the first 429.
    for (let i = 0; i < 100; i++) pacer.accepted();
    now = 1000;
    pacer.rejected(pacer.reserve());
    // The app accepts 20 more over the next second, then says 429 again: its rate is 20 a second.
    for (let i = 0; i < 20; i++) {
      now += 50;
      pacer.accepted();
    }
    pacer.rejected(pacer.reserve());
    expect(pacer.requestsPerSecond).toBeCloseTo(20 * 0.95);
  });

  it('a 429 too soon after another to measure cuts towards what was accepted in between', () => {
    let now = 0;
    const pacer = new RatePacer({}, () => now);
    for (let i = 0; i < 40; i++) pacer.accepted();
    now = 1000;
    pacer.rejected(pacer.reserve());
    expect(pacer.requestsPerSecond).toBe(20);
    // 3 accepted in 200 ms, then a 429: about 15 a second, not the half of 20 a fixed cut would give.
    for (let i = 0; i < 3; i++) {
      now += 50;
      pacer.accepted();
    }
    now += 50;
    pacer.rejected(pacer.reserve());
    expect(pacer.requestsPerSecond).toBeCloseTo(15 * 0.95);
  });

  it('a send time reserved before a cut is stale and the new spacing starts at the cut', () => {
    let now = 0;
    const pacer = new RatePacer({}, () => now);
    for (let i = 0; i < 40; i++) pacer.accepted();
    now = 1000;
    pacer.rejected(pacer.reserve());
    // 20 a second: three sends reserved 50 ms apart.
    const early = [pacer.reserve(), pacer.reserve(), pacer.reserve()];
    expect(early.map((t) => t.waitMs)).toEqual([50, 100, 150]);
    expect(early.some((t) => pacer.stale(t))).toBe(false);
    now += 10;
    pacer.rejected(early[0]!);
    expect(early.every((t) => pacer.stale(t))).toBe(true);
    // The next send is one interval of the new pace from now, not behind the three stale ones.
    const next = pacer.reserve();
    expect(next.waitMs).toBeCloseTo(1000 / (pacer.requestsPerSecond ?? 1));
    expect(pacer.stale(next)).toBe(false);
  });

  it('creeps up while the app accepts, so a limit raised later is found again', () => {
    let now = 0;
    const pacer = new RatePacer({ increase: 0.01, probe: 0.05 }, () => now);
    for (let i = 0; i < 10; i++) pacer.accepted();
    now = 1000;
    pacer.rejected(pacer.reserve());
    // Before any measure the pace probes up fast...
    let start = pacer.requestsPerSecond ?? 0;
    pacer.accepted();
    expect(pacer.requestsPerSecond).toBeCloseTo(start * 1.05);
    // ...once the rate is measured (10 accepted over a second between two 429s), it creeps.
    for (let i = 0; i < 9; i++) pacer.accepted();
    now = 2000;
    pacer.rejected(pacer.reserve());
    start = pacer.requestsPerSecond ?? 0;
    for (let i = 0; i < 100; i++) pacer.accepted();
    expect(pacer.requestsPerSecond).toBeCloseTo(start * 1.01 ** 100);
  });
});

describe('rate pacer before anything was accepted', () => {
  it('a 429 to the very first requests sets no pace: nothing says how fast the app is', () => {
    const pacer = new RatePacer({}, () => 0);
    expect(pacer.rejected(pacer.reserve())).toBeNull();
    expect(pacer.requestsPerSecond).toBeNull();
    expect(pacer.reserve().waitMs).toBe(0);
  });
});
