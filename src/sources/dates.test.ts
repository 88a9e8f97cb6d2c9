import { describe, expect, it } from 'vitest';
import { formatsThatFit, parseDate } from './dates.js';

describe('HR dates', () => {
  it('each format reads its own order, with one- or two-digit days and months and an optional time', () => {
    expect(parseDate('2024-09-04')).toBe('2024-09-04');
    expect(parseDate('2024-09-04T23:30:00+02:00')).toBe('2024-09-04');
    expect(parseDate('9/4/2024', 'MM/DD/YYYY')).toBe('2024-09-04');
    expect(parseDate('09/04/2024 1:05 PM', 'MM/DD/YYYY')).toBe('2024-09-04');
    expect(parseDate('09/04/2024', 'DD/MM/YYYY')).toBe('2024-04-09');
    expect(parseDate('4.9.2024', 'DD.MM.YYYY')).toBe('2024-09-04');
    expect(parseDate('2024/09/04', 'YYYY/MM/DD')).toBe('2024-09-04');
  });

  it('an ISO date reads whatever the format; another order does not read as ISO', () => {
    expect(parseDate('2024-09-04', 'DD.MM.YYYY')).toBe('2024-09-04');
    expect(parseDate('09/04/2024')).toBeNull();
    expect(parseDate('04.09.2024', 'DD/MM/YYYY')).toBeNull();
  });

  it('a day that does not exist is not a date in any format', () => {
    expect(parseDate('2024-02-30')).toBeNull();
    expect(parseDate('02/30/2024', 'MM/DD/YYYY')).toBeNull();
    expect(parseDate('31.04.2024', 'DD.MM.YYYY')).toBeNull();
    expect(parseDate('29.02.2024', 'DD.MM.YYYY')).toBe('2024-02-29');
  });

  it('the formats that fit are those every value reads in, the current one left out', () => {
    expect(formatsThatFit(['09/04/2024', '12/01/2023'], 'YYYY-MM-DD')).toEqual(['MM/DD/YYYY', 'DD/MM/YYYY']);
    expect(formatsThatFit(['09/04/2024', '25/12/2023'], 'YYYY-MM-DD')).toEqual(['DD/MM/YYYY']);
    expect(formatsThatFit(['09/04/2024', '25/12/2023'], 'DD/MM/YYYY')).toEqual([]);
    expect(formatsThatFit(['soon'], 'YYYY-MM-DD')).toEqual([]);
  });
});
