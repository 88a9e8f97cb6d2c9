import { describe, expect, it } from 'vitest';
import { decodeKeyCursor, encodeKeyCursor, paginate } from './paging.js';

const keys = { id: (n: { id: string }) => n.id, sortBy: { name: (n: { name: string }) => n.name } };
const items = (names: string[]) => names.map((name, i) => ({ id: `i${i}`, name }));

describe('cursor paging', () => {
  it('walks every item once, in order, whatever is inserted before the cursor between pages', () => {
    const list = items(['d', 'a', 'c', 'b', 'e']);
    const first = paginate(list, { limit: 2, order: 'asc' }, keys);
    expect(first.items.map((i) => i.name)).toEqual(['a', 'b']);
    expect(first.total).toBe(5);
    // Something sorting before the cursor arrives: an offset would repeat "b"; the keyset does not.
    const grown = [...list, { id: 'i9', name: 'a0' }];
    const second = paginate(grown, { limit: 2, order: 'asc', cursor: first.nextCursor ?? '' }, keys);
    expect(second.items.map((i) => i.name)).toEqual(['c', 'd']);
    const third = paginate(grown, { limit: 2, order: 'asc', cursor: second.nextCursor ?? '' }, keys);
    expect(third.items.map((i) => i.name)).toEqual(['e']);
    expect(third.nextCursor).toBeNull();
  });

  it('sorts descending, breaking ties by id', () => {
    const page = paginate(items(['x', 'y', 'x']), { limit: 10, order: 'desc' }, keys);
    expect(page.items.map((i) => `${i.name}${i.id}`)).toEqual(['yi1', 'xi2', 'xi0']);
  });

  it('refuses a cursor from another sort or order, naming the field', () => {
    const page = paginate(items(['a', 'b', 'c']), { limit: 1, order: 'asc' }, keys);
    expect(() =>
      paginate(items(['a']), { limit: 1, order: 'desc', cursor: page.nextCursor ?? '' }, keys),
    ).toThrow(/cursor/);
    expect(() => decodeKeyCursor('nonsense')).toThrow(/cursor/);
    expect(decodeKeyCursor(encodeKeyCursor('2026-01-01T00:00:00Z', 'n1'))).toEqual({
      at: '2026-01-01T00:00:00Z',
      id: 'n1',
    });
  });
});
