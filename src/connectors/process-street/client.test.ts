import { afterEach, describe, expect, it } from 'vitest';
import { account, admin, company } from '../../sandbox/process-street/testkit.js';
import { readAll } from '../sdk/paging.js';
import { PAGE_LIMIT } from './client.js';
import { queryOf, requestsTo, type Started, startProcessStreet } from './testkit.js';

let started: Started | undefined;
afterEach(async () => {
  await started?.close();
  started = undefined;
});

const people = (n: number) => Array.from({ length: n }, (_, i) => account(`p${i}`));

async function listAll(s: Started) {
  return readAll(s.connector.accounts.list!, (a) => a.id);
}

describe('the page size is learned from what comes back, never assumed', () => {
  it('asks for 100 a page; the hidden maximum (100) is honoured, and a short page ends the listing', async () => {
    started = await startProcessStreet({ company: company(people(250)) });
    expect(await listAll(started)).toHaveLength(250);
    const pages = requestsTo(started.sandbox, 'GET', /^\/members$/).map(queryOf);
    expect(pages).toEqual([
      { offset: '0', limit: String(PAGE_LIMIT) },
      { offset: '100', limit: '100' },
      { offset: '200', limit: '100' },
    ]);
  });

  it('a server that clamps to a smaller maximum is paged at its own size, not ended after one page', async () => {
    started = await startProcessStreet({ company: company(people(95)) });
    await admin(started.sandbox, 'PUT', '/config', { maxPageSize: 30 });
    expect(await listAll(started)).toHaveLength(95);
    // 30 + 30 + 30 + 5: the first page was shorter than asked, the second proved 30 is the page size.
    expect(requestsTo(started.sandbox, 'GET', /^\/members$/).map((e) => queryOf(e)['offset'])).toEqual([
      '0',
      '30',
      '60',
      '90',
    ]);
  });

  it('when the last clamped page is full, one empty page ends the listing', async () => {
    started = await startProcessStreet({ company: company(people(90)) });
    await admin(started.sandbox, 'PUT', '/config', { maxPageSize: 30 });
    expect(await listAll(started)).toHaveLength(90);
    expect(requestsTo(started.sandbox, 'GET', /^\/members$/)).toHaveLength(4);
  });

  it('a first page shorter than asked may be a clamp, so the next offset is asked for once', async () => {
    started = await startProcessStreet({ company: company(people(7)) });
    expect(await listAll(started)).toHaveLength(7);
    expect(requestsTo(started.sandbox, 'GET', /^\/members$/).map((e) => queryOf(e)['offset'])).toEqual([
      '0',
      '7',
    ]);
  });

  it('a page that starts early (a record was inserted before it meanwhile) repeats one and skips none', async () => {
    started = await startProcessStreet({ company: company(people(250)) });
    // Every page after the first sees an insert before it.
    started.sandbox.setFaults('clean', { drift: 1, driftKinds: ['insert'] });
    const seen: string[] = [];
    let pageToken: string | null = null;
    do {
      const page: Awaited<ReturnType<NonNullable<typeof started.connector.accounts.list>>> = await started
        .connector.accounts.list!({ pageToken });
      seen.push(...page.items.map((a) => a.email!));
      pageToken = page.nextPageToken;
    } while (pageToken !== null);
    expect(seen).toEqual(people(250).map((p) => p.email));
    // The offset moves by the new records only: 0, 100 (one repeat), then 199, whose short page ends it.
    expect(requestsTo(started.sandbox, 'GET', /^\/members$/).map((e) => queryOf(e)['offset'])).toEqual([
      '0',
      '100',
      '199',
    ]);
  });

  it('page tokens carry the offset and the learned size, so a listing resumes where it stopped', async () => {
    started = await startProcessStreet({ company: company(people(95)) });
    await admin(started.sandbox, 'PUT', '/config', { maxPageSize: 30 });
    const list = started.connector.accounts.list!;
    const first = await list({ pageToken: null });
    const second = await list({ pageToken: first.nextPageToken });
    // A fresh connector (a later run) resumes from the stored token alone.
    const again = await startProcessStreet({ company: company(people(95)) });
    try {
      await admin(again.sandbox, 'PUT', '/config', { maxPageSize: 30 });
      const rest = await readAll(
        (input) => again.connector.accounts.list!({ pageToken: input.pageToken ?? second.nextPageToken }),
        (a) => a.id,
      );
      expect([...first.items, ...second.items, ...rest].map((a) => a.email)).toEqual(
        people(95).map((p) => p.email),
      );
    } finally {
      await again.close();
    }
  });

  it('a token this connector did not issue is refused as invalid input', async () => {
    started = await startProcessStreet({ company: company(people(3)) });
    const error = await started.connector.accounts.list!({ pageToken: '%%%' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
  });
});
