import type { Account } from '../../core/types.js';
import { generateCompany } from '../../sandbox/company.js';
import type { SandboxHandle } from '../../sandbox/kit/server.js';
import type { PsState } from '../../sandbox/process-street/state.js';
import { admin } from '../../sandbox/process-street/testkit.js';
import { connectorContract } from '../sdk/contract.testkit.js';
import { startProcessStreet } from './testkit.js';

const SEED = 11;

connectorContract('Process Street', {
  start: async () => {
    const { sandbox, connector } = await startProcessStreet({
      seed: SEED,
      company: generateCompany({ seed: SEED, people: 120 }),
    });
    return { sandbox, connector };
  },
  newAccount: (n) => ({ email: `New.Hire${n}@acme.com`, firstName: 'New', lastName: `Hire${n}` }),
  countAccounts: (sandbox) => {
    const state = sandbox.state as PsState;
    return [...state.membersById.values()].filter((m) => m.organizationId === state.organizationId).length;
  },
  unknownId: 'mem_0badc0de00ffff',
  // A fresh member is invited and cannot join a group until the person accepts.
  prepareForGrant: async (sandbox: SandboxHandle, account: Account) => {
    await admin(sandbox as SandboxHandle<PsState>, 'POST', `/members/${account.id}/accept`);
  },
});
