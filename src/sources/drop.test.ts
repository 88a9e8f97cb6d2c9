import { describe, expect, it } from 'vitest';
import { checkDrop } from './drop.js';

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `E${from + i}`);

describe('truncation guard', () => {
  it('refuses an import that drops 30% of the active people, naming the count, share and file', () => {
    const result = checkDrop({
      previousActive: ids(0, 100),
      nextActive: ids(30, 100),
      maxDropShare: 0.3,
      file: 'hr.csv',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('conflict');
    expect(result.error.message).toBe(
      'this import would drop 30 of 100 active people (30%), at or above the 30% limit: run with --force if ' +
        'that is right, or check that hr.csv is the complete export',
    );
  });

  it('allows a drop of 29%', () => {
    const result = checkDrop({ previousActive: ids(0, 100), nextActive: ids(29, 100), maxDropShare: 0.3 });
    expect(result).toMatchObject({ ok: true, dropped: 29, previous: 100 });
  });

  it('counts people who left even when new hires keep the total up', () => {
    const result = checkDrop({ previousActive: ids(0, 176), nextActive: ids(61, 250), maxDropShare: 0.3 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('drop 61 of 176 active people (35%)');
  });

  it('works from counts when ids are not at hand, and passes a first import', () => {
    expect(checkDrop({ previousActive: 176, nextActive: 115, maxDropShare: 0.3 }).ok).toBe(false);
    expect(checkDrop({ previousActive: 176, nextActive: 140, maxDropShare: 0.3 }).ok).toBe(true);
    expect(checkDrop({ previousActive: [], nextActive: ids(0, 10), maxDropShare: 0.3 }).ok).toBe(true);
  });

  it('rejects a share outside (0, 1]', () => {
    expect(() => checkDrop({ previousActive: 1, nextActive: 1, maxDropShare: 30 })).toThrow(
      /between 0 and 1/,
    );
  });
});
