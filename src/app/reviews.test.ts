import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import { fleetWorkspace } from '../sandbox/testkit.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { openRoster } from './context.js';
import { reviewEvidence } from './review-evidence.js';
import { closeReview, decideItem, reassignItem, showReview, startReview } from './reviews.js';
import { syncApps } from './sync.js';

let fleet: Fleet;
let config: RosterConfig;
let store: Store;
const fallback = 'security@acme.com';

beforeAll(async () => {
  fleet = await startFleet({ apps: ['stackspot-scim'], seed: 7, people: 40 });
  config = await loadConfig(fleetWorkspace(fleet).file, { env: {} });
  store = await openStore(config.store);
  await syncApps(await openRoster(config, { store }));
}, 60_000);

afterAll(async () => {
  await store?.close();
  await fleet?.close();
});

const as = (actor: string) => openRoster(config, { store, actor });

describe('access review workflow', () => {
  it('a revoked account becomes a deactivation in the plan; undecided items stop a close unless forced', async () => {
    const ops = await as('ops');
    const started = await startReview(ops, { apps: ['stackspot-scim'], select: 'privileged', fallback });
    const [first, ...rest] = started.items;
    expect(first).toBeDefined();
    const item = first as (typeof started.items)[number];
    await decideItem(ops, {
      review: started.review.id,
      seq: item.seq,
      as: item.reviewer,
      decision: 'revoke',
    });
    // A decided item is not moved, and undecided ones block the close.
    await expect(
      reassignItem(ops, { review: started.review.id, seq: item.seq, to: 'someone@acme.com' }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(closeReview(ops, { review: started.review.id })).rejects.toMatchObject({ code: 'conflict' });
    const closed = await closeReview(ops, { review: started.review.id, force: true });
    const plan = await store.getPlan({ id: closed.planId as string });
    const planOps = await store.listOps({ planId: closed.planId as string });
    expect(planOps.map((o) => [o.kind, (o.target.account as { id: string }).id])).toEqual([
      ['deactivate', item.accountId],
    ]);
    expect(plan?.body).toMatchObject({ requestedBy: 'ops' });
    // Closed: no more decisions.
    const next = rest[0];
    if (next) {
      await expect(
        decideItem(ops, { review: started.review.id, seq: next.seq, as: next.reviewer, decision: 'keep' }),
      ).rejects.toMatchObject({ code: 'conflict' });
    }
    // The evidence calls the undecided items what they are.
    const evidence = await reviewEvidence(ops, started.review.id);
    expect(evidence.rows.filter((r) => r.decision === 'not reviewed')).toHaveLength(rest.length);
    expect(evidence.rows.find((r) => r.item === item.seq)).toMatchObject({
      decision: 'revoke',
      op: 'deactivate',
      opStatus: 'pending',
    });
  });

  it('a delegated item is decided by its new reviewer and keeps its history', async () => {
    const ops = await as('ops');
    const started = await startReview(ops, { apps: ['stackspot-scim'], select: 'privileged', fallback });
    const item = started.items[0] as (typeof started.items)[number];
    const delegate = 'deputy@acme.com';
    await reassignItem(ops, {
      review: started.review.id,
      seq: item.seq,
      as: item.reviewer,
      to: delegate,
      note: 'on leave',
    });
    await expect(
      decideItem(ops, { review: started.review.id, seq: item.seq, as: item.reviewer, decision: 'keep' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await decideItem(ops, { review: started.review.id, seq: item.seq, as: delegate, decision: 'keep' });
    const shown = await showReview(ops, started.review.id, { reviewer: delegate });
    expect(shown.items.map((i) => i.seq)).toEqual([item.seq]);
    expect(shown.items[0]).toMatchObject({
      reviewerReason: 'delegated',
      decidedBy: delegate,
      history: [
        { from: item.reviewer, to: delegate, reason: 'delegated', by: item.reviewer, note: 'on leave' },
      ],
    });
  });
});
