/** @module HTML as typed values: every interpolated value is escaped unless it is already Html, so pages cannot inject. */

import { escapeHtml } from '../core/html.js';

/** Markup known to be safe: made only by `html`, `raw` on a literal, or `join`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Renderable = Html | string | number | boolean | null | undefined | readonly Renderable[];

export { escapeHtml };

function render(value: Renderable): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<p>${name}</p>\`` escapes `name`; nested `html` fragments and arrays pass through. */
export function html(strings: TemplateStringsArray, ...values: Renderable[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i] as Renderable) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Trusted markup written in this codebase (a stylesheet, a script): never data from a request or the store. */
export function raw(trusted: string): Html {
  return new Html(trusted);
}

/** A query string from the set values only, escaped by the caller's `html` when placed in an attribute. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}
