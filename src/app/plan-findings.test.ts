import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import { fleetWorkspace } from '../sandbox/testkit.js';
import { explainAccess, listFindings, planChanges, planForFindings, syncApps, withRoster } from './index.js';

describe('a plan made from selected findings', () => {
  let fleet: Fleet;
  let config: RosterConfig;
  beforeAll(async () => {
    fleet = await startFleet({ people: 40, seed: 7 });
    config = await loadConfig(fleetWorkspace(fleet).file, { env: {} });
    await withRoster(config, { actor: 'test' }, (roster) => syncApps(roster, {}).then(() => undefined));
  }, 120_000);
  afterAll(async () => fleet?.close());

  it('holds only the ops acting on the selected findings’ accounts, and records which findings', async () => {
    await withRoster(config, { actor: 'ana' }, async (roster) => {
      const { findings } = await listFindings(roster, { rules: ['leaver_with_access'] });
      const chosen = findings[0]!;
      const planned = await planForFindings(roster, [chosen.id]);
      expect(planned.body.findings).toEqual([chosen.id]);
      expect(planned.body.apps).toEqual([chosen.appId]);
      expect(planned.body.requestedBy).toBe('ana');
      expect(planned.body.ops.length).toBeGreaterThan(0);
      for (const op of planned.body.ops) {
        expect(op.appId).toBe(chosen.appId);
        expect(op.person?.employeeId).toBe(chosen.employeeId);
      }
      // The whole plan has more to do than the selection.
      const all = await planChanges(roster, {});
      expect(all.body.ops.length).toBeGreaterThan(planned.body.ops.length);
    });
  });

  it('lists each finding with its account’s address (or login) and its person’s address', async () => {
    await withRoster(config, { actor: 'ana' }, async (roster) => {
      const { findings } = await listFindings(roster);
      expect(findings.some((f) => f.employeeId === null)).toBe(true);
      expect(findings.some((f) => f.employeeId !== null)).toBe(true);
      const people = new Map((await roster.store.listPeople()).map((p) => [p.employeeId, p.email]));
      for (const f of findings) {
        const account = await roster.store.getAccount({ appId: f.appId, id: f.accountId });
        expect(f.accountEmail, f.id).toBe(account?.email ?? account?.login ?? null);
        expect(f.personEmail, f.id).toBe(f.employeeId === null ? null : (people.get(f.employeeId) ?? null));
      }
      expect(findings.filter((f) => f.accountEmail !== null).length).toBeGreaterThan(0);
      expect(findings.filter((f) => f.personEmail !== null).length).toBeGreaterThan(0);
    });
  });

  it("explains a person's access with exactly their findings", async () => {
    await withRoster(config, { actor: 'ana' }, async (roster) => {
      const { findings } = await listFindings(roster);
      const employeeId = findings.find((f) => f.rule === 'leaver_with_access')?.employeeId;
      if (!employeeId) throw new Error('the sample company has a leaver with access');
      const explained = await explainAccess(roster, employeeId);
      const theirs = findings.filter((f) => f.employeeId === employeeId).map((f) => f.id);
      expect(theirs.length).toBeGreaterThan(0);
      expect(explained.findings.map((f) => f.id).sort()).toEqual(theirs.sort());
    });
  });

  it('refuses an empty selection and a finding that is no longer there, naming it', async () => {
    await withRoster(config, { actor: 'ana' }, async (roster) => {
      await expect(planForFindings(roster, [])).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(planForFindings(roster, ['orphan:targetprocess:nope'])).rejects.toMatchObject({
        code: 'not_found',
        message: expect.stringContaining('orphan:targetprocess:nope'),
      });
    });
  });
});
