import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from './open.js';

describe('op kinds', () => {
  it('a wait op (Process Street invite acceptance) is stored and read back with its dependency', async () => {
    const store = await openStore(`sqlite:${join(mkdtempSync(join(tmpdir(), 'roster-ops-')), 'roster.db')}`);
    try {
      const { plan } = await store.createPlan({
        stateHash: 'h',
        summary: {},
        body: {},
        ops: [
          { appId: 'ps', kind: 'create', target: {} },
          { appId: 'ps', kind: 'wait', target: { waitFor: 'invite_acceptance' }, dependsOn: [1] },
          { appId: 'ps', kind: 'grant', target: {}, dependsOn: [2] },
        ],
      });
      const ops = await store.listOps({ planId: plan.id });
      expect(ops.map((o) => [o.kind, o.dependsOn])).toEqual([
        ['create', []],
        ['wait', [1]],
        ['grant', [2]],
      ]);
    } finally {
      await store.close();
    }
  });
});
