/** @module Dates as HR exports write them: the formats `source.dateFormat` names, parsing, and guessing the format. */

/** The day orders an export may use; `YYYY-MM-DD` (ISO) is the default and is always accepted. */
export const DATE_FORMATS = [
  'YYYY-MM-DD',
  'MM/DD/YYYY',
  'DD/MM/YYYY',
  'DD.MM.YYYY',
  'MM-DD-YYYY',
  'DD-MM-YYYY',
  'YYYY/MM/DD',
] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

export const DEFAULT_DATE_FORMAT: DateFormat = 'YYYY-MM-DD';

// A time after the date is dropped: HR means the day, not an instant, and keeps the date as written in the
// export's own time zone. Spreadsheets add `13:05`, `1:05 PM` or an ISO `T13:05:00Z`.
const TIME = String.raw`(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:\s?[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?`;

/**
 * One regex per format. Month and day take one or two digits: Excel writes US dates as `9/4/2024`, and the
 * separators already say where each part ends.
 */
const PATTERNS: Record<DateFormat, { regex: RegExp; order: ('y' | 'm' | 'd')[] }> = Object.fromEntries(
  DATE_FORMATS.map((format) => {
    const order: ('y' | 'm' | 'd')[] = [];
    const body = format.replace(/YYYY|MM|DD|[./-]/g, (token) => {
      if (token === 'YYYY') {
        order.push('y');
        return String.raw`(\d{4})`;
      }
      if (token === 'MM' || token === 'DD') {
        order.push(token === 'MM' ? 'm' : 'd');
        return String.raw`(\d{1,2})`;
      }
      return `\\${token}`;
    });
    return [format, { regex: new RegExp(`^${body}${TIME}$`), order }];
  }),
) as Record<DateFormat, { regex: RegExp; order: ('y' | 'm' | 'd')[] }>;

/**
 * The calendar date `YYYY-MM-DD` the text names in the given format, or null if it is not in that format or
 * names a day that does not exist (`02/30/2024`). An ISO date or datetime is accepted whatever the format: a
 * four-digit year first cannot be mistaken for a day or a month.
 */
export function parseDate(text: string, format: DateFormat = DEFAULT_DATE_FORMAT): string | null {
  return readAs(text, format) ?? (format === 'YYYY-MM-DD' ? null : readAs(text, 'YYYY-MM-DD'));
}

function readAs(text: string, format: DateFormat): string | null {
  const { regex, order } = PATTERNS[format];
  const match = regex.exec(text);
  if (!match) return null;
  const parts = { y: 0, m: 0, d: 0 };
  order.forEach((part, index) => {
    parts[part] = Number(match[index + 1]);
  });
  const day = new Date(Date.UTC(parts.y, parts.m - 1, parts.d));
  const real =
    day.getUTCFullYear() === parts.y && day.getUTCMonth() === parts.m - 1 && day.getUTCDate() === parts.d;
  if (!real) return null;
  return `${String(parts.y).padStart(4, '0')}-${String(parts.m).padStart(2, '0')}-${String(parts.d).padStart(2, '0')}`;
}

/**
 * The formats (other than the one in use) every value reads in: what `source.dateFormat` could be set to.
 * `09/04/2024` alone fits MM/DD/YYYY and DD/MM/YYYY; one `25/04/2024` among them leaves only DD/MM/YYYY.
 */
export function formatsThatFit(values: readonly string[], current: DateFormat): DateFormat[] {
  if (values.length === 0) return [];
  return DATE_FORMATS.filter(
    (format) => format !== current && values.every((value) => readAs(value, format) !== null),
  );
}
