import { describe, expect, it } from 'vitest';
import { serially } from './serial.js';

describe('writes to one resource run one at a time', () => {
  it('a second write with the same key starts after the first ends, even when the first fails', async () => {
    const order: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const first = serially('app|u1', async () => {
      order.push('first start');
      await gate;
      order.push('first end');
      throw new Error('first failed');
    });
    const second = serially('app|u1', async () => {
      order.push('second');
      return 2;
    });
    const other = serially('app|u2', async () => {
      order.push('other key');
      return 3;
    });
    expect(await other).toBe(3);
    expect(order).toEqual(['first start', 'other key']);
    open();
    await expect(first).rejects.toThrow('first failed');
    expect(await second).toBe(2);
    expect(order).toEqual(['first start', 'other key', 'first end', 'second']);
  });
});
