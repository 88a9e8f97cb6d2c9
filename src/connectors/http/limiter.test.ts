import { describe, expect, it } from 'vitest';
import { AdaptiveLimiter } from './limiter.js';

describe('AIMD limiter', () => {
  it('halves on overload down to min, and grows by one per limit successes up to max', () => {
    const limiter = new AdaptiveLimiter({ initial: 4, min: 1, max: 5 });
    limiter.overload({ epoch: 0 });
    expect(limiter.limit).toBe(2);
    limiter.overload({ epoch: 1 });
    limiter.overload({ epoch: 2 });
    expect(limiter.limit).toBe(1);
    for (let i = 0; i < 1 + 2 + 3 + 4 + 5 + 10; i++) limiter.success();
    expect(limiter.limit).toBe(5);
  });

  it('a burst of overloads from one window halves once', () => {
    const limiter = new AdaptiveLimiter({ initial: 16, min: 1, max: 32 });
    for (let i = 0; i < 10; i++) limiter.overload({ epoch: 0 });
    expect(limiter.limit).toBe(8);
  });

  it('queues beyond the limit and grants slots first come, first served', async () => {
    const limiter = new AdaptiveLimiter({ initial: 1, min: 1, max: 1 });
    const first = await limiter.acquire();
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) =>
      limiter.acquire().then((slot) => {
        order.push(n);
        slot.release();
      }),
    );
    expect(limiter.waiting).toBe(3);
    first.release();
    first.release();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
    expect(limiter.active).toBe(0);
  });
});
