import { afterEach, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../kit/server.js';
import { processStreetSandbox } from './sandbox.js';
import type { PsMember, PsState } from './state.js';
import { account, admin, call, company, idOf } from './testkit.js';

let sandbox: SandboxHandle<PsState> | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(): Promise<SandboxHandle<PsState>> {
  sandbox = await startSandbox(processStreetSandbox, {
    seed: 3,
    company: company([account('ann'), account('ivy', { state: 'invited', login: 'ivy.login' })], ['Ops']),
  });
  return sandbox;
}

async function statusOf(s: SandboxHandle<PsState>, id: string): Promise<string> {
  return ((await call(s, 'GET', `/members/${id}`)).body as { member: PsMember }).member.status;
}

describe('admin extras', () => {
  it('accepting an invitation turns the member active, after which group assignment works', async () => {
    const s = await start();
    const ivy = idOf(s, 'ivy');
    const grp = s.state.organizations.get(s.state.organizationId)!.groups[0]!.id;
    expect((await call(s, 'POST', `/groups/${grp}/members`, { memberId: ivy })).status).toBe(400);
    const res = await admin(s, 'POST', `/members/${ivy}/accept`);
    expect(res.status).toBe(200);
    expect((res.body as { member: PsMember }).member.status).toBe('active');
    expect(await statusOf(s, ivy)).toBe('active');
    expect((await call(s, 'POST', `/groups/${grp}/members`, { memberId: ivy })).status).toBe(200);
  });

  it('accept-after N keeps the member invited for N API requests, then active', async () => {
    const s = await start();
    const ivy = idOf(s, 'ivy');
    expect((await admin(s, 'POST', `/members/${ivy}/accept-after`, { requests: 3 })).status).toBe(200);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(await statusOf(s, ivy));
    expect(seen).toEqual(['invited', 'invited', 'invited', 'active']);
  });

  it('the seat limit can be set, and counts active and invited members', async () => {
    const s = await start();
    const res = await admin(s, 'PUT', '/seat-limit', { seatLimit: 2 });
    expect(res.body).toEqual({ seatLimit: 2, seatsUsed: 2 });
    expect((await call(s, 'POST', '/members', { email: 'n@acme.test' })).status).toBe(402);
    expect((await admin(s, 'PUT', '/seat-limit', { seatLimit: -1 })).status).toBe(400);
  });

  it('accepting an unknown member is 404', async () => {
    const s = await start();
    expect((await admin(s, 'POST', '/members/mem_nope/accept')).status).toBe(404);
  });

  it('an invited planted account has no username until it accepts', async () => {
    const s = await start();
    const ivy = idOf(s, 'ivy');
    expect(s.state.membersById.get(ivy)?.username).toBeNull();
    const res = await admin(s, 'POST', `/members/${ivy}/accept`);
    expect((res.body as { member: PsMember }).member.username).toBe('ivy');
  });
});
