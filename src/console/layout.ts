/** @module The page shell every console page shares: navigation, who is signed in, the logout form, errors. */

import type { GrantedScope, TokenScope } from '../store/tokens.js';
import { type Html, html, type Renderable } from './html.js';

/** What a page knows about who is looking: the session's token, its scope, the CSRF token for its forms. */
export interface Viewer {
  name: string;
  scope: GrantedScope;
  /** The person a reviewer's token answers for (their review items are all it may see), or null. */
  person: string | null;
  csrf: string;
  /** Whether the session's token may do what needs `scope`. */
  can(scope: TokenScope): boolean;
}

export interface NavEntry {
  href: string;
  label: string;
  /** Pages are listed by it: later pages (access reviews) slot in without editing the others. */
  order: number;
  /** Shown to a reviewer's session too (the only pages it may open). */
  reviewer?: boolean;
}

export const ASSET_CSS = '/console/assets/console.css';
export const ASSET_JS = '/console/assets/console.js';

/** The hidden field every write form carries; the server refuses a write without it. */
export function csrfField(viewer: Pick<Viewer, 'csrf'>): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;
}

export function layout(input: {
  title: string;
  viewer: Viewer | null;
  nav: readonly NavEntry[];
  current?: string;
  body: Renderable;
}): Html {
  const { viewer } = input;
  const nav = viewer
    ? html`<nav aria-label="Main"><ul>${[...input.nav]
        .filter((n) => viewer.person === null || n.reviewer === true)
        .sort((a, b) => a.order - b.order)
        .map(
          (n) =>
            html`<li><a href="${n.href}"${n.href === input.current ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
        )}</ul></nav>
      <div class="who"><span>Signed in as <strong>${viewer.name}</strong> (${viewer.person ? `reviewer ${viewer.person}` : viewer.scope})</span>
        <form class="inline" method="post" action="/console/logout">${csrfField(viewer)}<button type="submit">Sign out</button></form></div>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · Roster</title>
<link rel="stylesheet" href="${ASSET_CSS}">
<script src="${ASSET_JS}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/console">Roster</a>${nav}</header>
<main id="main" tabindex="-1">
${input.body}
</main>
</body>
</html>`;
}

export function badge(kind: string, text: Renderable = kind): Html {
  return html`<span class="badge ${kind}">${text}</span>`;
}

/** A table, or the empty state saying what to do next when there are no rows. */
export function table(input: {
  caption?: string;
  head: readonly Renderable[];
  rows: readonly Renderable[][];
  empty: Renderable;
  id?: string;
}): Html {
  if (input.rows.length === 0) return html`<p class="empty">${input.empty}</p>`;
  return html`<div class="table-wrap"><table${input.id ? html` id="${input.id}"` : ''}>
${input.caption ? html`<caption class="muted">${input.caption}</caption>` : ''}
<thead><tr>${input.head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${input.rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
</table></div>`;
}

/** "Previous / Next" links for a server-side page of `total` rows. */
export function pager(input: {
  page: number;
  size: number;
  total: number;
  href: (page: number) => string;
}): Html {
  const pages = Math.max(1, Math.ceil(input.total / input.size));
  if (pages <= 1) return html``;
  return html`<nav class="pager" aria-label="Pages">
${input.page > 1 ? html`<a href="${input.href(input.page - 1)}" rel="prev">Previous</a>` : ''}
<span>Page ${input.page} of ${pages} (${input.total} in all)</span>
${input.page < pages ? html`<a href="${input.href(input.page + 1)}" rel="next">Next</a>` : ''}
</nav>`;
}

export function when(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">never</span>`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 16)} UTC</time>`;
}
