import { describe, expect, it } from 'vitest';
import { html, query, raw } from './html.js';

describe('html templates', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const name = `<script>alert("x")</script>' onmouseover='x`;
    const out = html`<a title="${name}">${name}</a>`.value;
    expect(out).not.toContain('<script>');
    expect(out).not.toContain(`' onmouseover`);
    expect(out).toBe(
      '<a title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x</a>',
    );
  });

  it('passes nested fragments and arrays through without escaping them twice', () => {
    const items = ['a&b', 'c'].map((s) => html`<li>${s}</li>`);
    expect(html`<ul>${items}</ul>`.value).toBe('<ul><li>a&amp;b</li><li>c</li></ul>');
    expect(html`${raw('<b>')}${null}${undefined}${false}${0}`.value).toBe('<b>0');
  });

  it('builds query strings from the set values only', () => {
    expect(query({ a: 'x y', b: undefined, c: '', d: 2 })).toBe('?a=x+y&d=2');
    expect(query({})).toBe('');
  });
});

describe('CSV export', () => {
  it('keeps a cell from running as a formula in a spreadsheet', async () => {
    const { spreadsheetSafe } = await import('./pages/findings.js');
    expect(spreadsheetSafe('=HYPERLINK("x")')).toBe(`'=HYPERLINK("x")`);
    expect(spreadsheetSafe('@SUM(1)')).toBe(`'@SUM(1)`);
    expect(spreadsheetSafe('ana@acme.com')).toBe('ana@acme.com');
  });
});
