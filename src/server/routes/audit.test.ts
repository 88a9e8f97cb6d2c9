import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testkit.js';

interface Listed {
  items: { seq: number; kind: string; actor: string; subject: string | null }[];
  nextAfterSeq: number | null;
}

describe('GET /audit', () => {
  let t: TestServer;
  /** The seqs of the events this test wrote, by what they are. */
  const rare: number[] = [];

  beforeAll(async () => {
    t = await startTestServer({ dir: mkdtempSync(join(tmpdir(), 'roster-audit-')) });
    // A long log with a rare kind among it: more than one page of the store's reads before and between them.
    for (let i = 0; i < 2500; i++) {
      const odd = i % 1000 === 999;
      await t.store.appendAudit({
        actor: odd ? 'okta' : 'cli',
        kind: odd ? 'scim.held' : 'op.intent',
        subject: odd ? `Person${i}@Example.com` : `person${i}@example.com`,
        data: { i },
      });
    }
    rare.push(...(await t.store.listAudit({ actor: 'okta' })).map((e) => e.seq));
  });
  afterAll(async () => t?.close());

  const list = async (query: string): Promise<Listed> => {
    const response = await t.call('GET', `/audit?${query}`, { token: t.tokens.read });
    expect(response.status, response.text).toBe(200);
    return response.body as Listed;
  };

  it('pages through the events of one kind, however far apart, and says when there are no more', async () => {
    const first = await list('kind=scim.held&limit=1');
    expect(first.items.map((e) => e.seq)).toEqual([rare[0]]);
    expect(first.nextAfterSeq).toBe(rare[0]);
    const rest = await list(`kind=scim.held&limit=5&afterSeq=${first.nextAfterSeq}`);
    expect(rest.items.map((e) => e.seq)).toEqual(rare.slice(1));
    expect(rest.nextAfterSeq).toBeNull();
    // A full last page is the last: no cursor to an empty one.
    expect((await list('kind=scim.held&limit=2')).nextAfterSeq).toBeNull();
  });

  it('filters by actor, and by subject with its case ignored', async () => {
    expect((await list('actor=okta&limit=10')).items.map((e) => e.seq)).toEqual(rare);
    const bySubject = await list('subject=person1999@example.com');
    expect(bySubject.items.map((e) => [e.seq, e.subject])).toEqual([[rare[1], 'Person1999@Example.com']]);
    expect((await list('actor=nobody')).items).toEqual([]);
  });
});
