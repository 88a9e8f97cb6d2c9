import { describe, expect, it } from 'vitest';
import { shortId, timeOrderedId } from './ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedId', () => {
  it('is a version 7 UUID whose first 48 bits are the time in ms', () => {
    const at = Date.UTC(2026, 11, 4, 17, 0, 0, 123);
    const id = timeOrderedId(at);
    expect(id).toMatch(UUID_V7);
    expect(Number.parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts by the time it was made, and ids made in the same ms differ', () => {
    const ids = [1, 2, 3_600_000, 2 ** 40].map((ms) => timeOrderedId(1_700_000_000_000 + ms));
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 1000 }, () => timeOrderedId(1_700_000_000_000)));
    expect(same.size).toBe(1000);
  });

  it('has a short label from its random part, so ids made together are told apart', () => {
    const a = timeOrderedId(1_700_000_000_000);
    const b = timeOrderedId(1_700_000_000_000);
    expect(a.slice(0, 13)).toBe(b.slice(0, 13));
    expect(shortId(a)).toHaveLength(8);
    expect(shortId(a)).not.toBe(shortId(b));
    expect(a.endsWith(shortId(a))).toBe(true);
  });
});
