import { describe, expect, it } from 'vitest';
import { type DriftDecision, DriftingPager } from './faults.js';

const items = Array.from({ length: 10 }, (_, i) => i);
const scripted = (...decisions: DriftDecision[]) => {
  let i = 0;
  return () => decisions[i++] ?? 'none';
};

describe('pagination drift', () => {
  it('an insert before the cursor makes every later page of the listing start one earlier', () => {
    const pager = new DriftingPager(scripted('insert', 'none', 'none'));
    const pages = [0, 3, 6, 9].map((offset) => pager.page('users', items, offset, 3));
    expect(pages).toEqual([
      [0, 1, 2],
      [2, 3, 4],
      [5, 6, 7],
      [8, 9],
    ]);
    // Deduplicated by value, nothing is lost.
    expect(new Set(pages.flat()).size).toBe(10);
  });

  it('a removal makes later pages start one later, so a record is missed', () => {
    const pager = new DriftingPager(scripted('remove'));
    const pages = [0, 3, 6, 9].map((offset) => pager.page('users', items, offset, 3));
    expect(new Set(pages.flat()).size).toBe(9);
  });

  it('a listing that starts again at offset 0 finds the data as stored, and listings drift separately', () => {
    const pager = new DriftingPager(scripted('insert', 'none'));
    pager.page('users', items, 0, 3);
    expect(pager.page('users', items, 3, 3)).toEqual([2, 3, 4]);
    expect(pager.page('groups', items, 3, 3)).toEqual([3, 4, 5]);
    expect(pager.page('users', items, 0, 3)).toEqual([0, 1, 2]);
    expect(pager.page('users', items, 3, 3)).toEqual([3, 4, 5]);
  });
});
