import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../sqlite.js';

describe('the reads of plans that a busy SCIM facade would otherwise bury', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `read` on a store of facade plans and a policy plan, and says how SQLite would run each plans statement. */
  async function plansOf(read: (store: Awaited<ReturnType<typeof openSqliteStore>>) => Promise<unknown>) {
    const dir = mkdtempSync(join(tmpdir(), 'roster-plans-'));
    dirs.push(dir);
    const path = join(dir, 'roster.db');
    const store = await openSqliteStore(path);
    await store.createPlan({ stateHash: 'p', summary: { total: 1, creates: 1 }, body: {}, ops: [] });
    for (const removals of [0, 1, 0, 2]) {
      await store.createPlan({
        stateHash: 'f',
        summary: { total: 1, source: 'scim', removals, approvals: 0 },
        body: {},
        ops: [],
      });
    }
    const prepared: string[] = [];
    const prepare = Sqlite.prototype.prepare;
    Sqlite.prototype.prepare = function (this: Sqlite.Database, source: string) {
      prepared.push(source);
      return prepare.call(this, source);
    } as typeof prepare;
    let value: unknown;
    try {
      value = await read(store);
    } finally {
      Sqlite.prototype.prepare = prepare;
      await store.close();
    }
    const db = new Sqlite(path, { readonly: true });
    try {
      const plans = prepared
        .filter((text) => /from "plans"/.test(text))
        .map((text) => {
          const nulls = (text.match(/\?/g) ?? []).map(() => null);
          const steps = db.prepare(`explain query plan ${text}`).all(...nulls) as { detail: string }[];
          return steps.map((s) => s.detail).join(' | ');
        });
      return { value, plans };
    } finally {
      db.close();
    }
  }

  it("the newest policy plan is read through the policy's own index, not found behind every facade plan", async () => {
    const { value, plans } = await plansOf((store) => store.listPlans({ limit: 1, facade: false }));
    expect((value as { summary: unknown }[]).map((p) => p.summary)).toEqual([{ total: 1, creates: 1 }]);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toContain('USING INDEX plans_policy_created');
  });

  it('the removal hold reads the plans that remove someone through their own index, not the whole window', async () => {
    const { value, plans } = await plansOf((store) =>
      store.listPlans({ createdSince: '2000-01-01T00:00:00.000Z', facade: true, removals: true }),
    );
    const removing = value as { summary: { removals: number } }[];
    expect(removing.map((p) => p.summary.removals).sort()).toEqual([1, 2]);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toContain('USING INDEX plans_removing_created');
  });
});
