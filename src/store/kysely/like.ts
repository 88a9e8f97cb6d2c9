/** @module Text taken literally in a SQL LIKE pattern. */

/** `value` with `%`, `_` and the escape itself taken literally in a LIKE pattern that says ESCAPE '\'. */
export const likeLiteral = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`);
