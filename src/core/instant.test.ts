import { describe, expect, it } from 'vitest';
import { parseInstant } from './instant.js';

/** Same answer as Date.parse, NaN included. */
const same = (text: string) => expect([text, parseInstant(text)]).toEqual([text, Date.parse(text)]);

describe('parseInstant', () => {
  it('reads the ISO form as Date.parse does', () => {
    expect(parseInstant('2026-10-01T08:30:05.123Z')).toBe(Date.UTC(2026, 9, 1, 8, 30, 5, 123));
    for (const text of [
      '2026-10-01T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '9999-12-28T23:59:59.999Z',
      '0100-01-01T00:00:00.000Z',
      '2024-02-28T12:00:00.000Z',
    ])
      same(text);
  });

  it('leaves every other value of the form to Date.parse, which carries or refuses it', () => {
    for (const text of [
      '2026-02-29T00:00:00.000Z', // carried into March
      '2026-02-30T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
      '2026-01-31T00:00:00.000Z',
      '2026-01-32T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
      '2026-01-01T23:60:00.000Z',
      '2026-01-01T23:59:60.000Z',
      '2026-00-01T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-01-00T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
      '0099-06-15T00:00:00.000Z',
    ])
      same(text);
  });

  it('answers NaN where a digit is not one, and reads other forms through Date.parse', () => {
    const base = '2026-10-01T08:30:05.123Z';
    // Every digit position replaced by each character around the digits ('/' and ':' sit either side of 0-9).
    for (let at = 0; at < base.length; at++) {
      if (!/[0-9]/.test(base[at] as string)) continue;
      for (const c of ['/', ':', ' ', 'a', '٣']) same(base.slice(0, at) + c + base.slice(at + 1));
    }
    for (const text of [
      '',
      'yesterday',
      '2026-10-01',
      '2026-10-01T08:30:05Z',
      '2026-10-01T08:30:05.123+02:00',
      '2026-10-01 08:30:05.123Z',
      '+002026-10-01T08:30:05.123Z',
      '2026-10-01T08:30:05.123z',
      'Thu, 01 Oct 2026 08:30:05 GMT',
    ])
      same(text);
  });

  it('agrees with Date.parse on a sweep of instants across four centuries', () => {
    const start = Date.UTC(1900, 0, 1);
    for (let i = 0; i < 20_000; i++) same(new Date(start + i * 631_152_011).toISOString());
  });
});
