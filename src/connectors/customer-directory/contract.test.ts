import { expect } from 'vitest';
import type { CdState } from '../../sandbox/customer-directory/state.js';
import type { SandboxHandle } from '../../sandbox/kit/server.js';
import { connectorContract } from '../sdk/contract.testkit.js';
import { start } from './testkit.js';

connectorContract('Customer directory', {
  // The suite closes the connector and then the sandbox itself.
  start: async () => {
    const { connector, sandbox } = await start({ seed: 11 });
    return { connector, sandbox };
  },
  newAccount: (n) => ({ email: `new${n}@acme.test`, firstName: 'New', lastName: `Person${n}` }),
  countAccounts: (sandbox) => (sandbox as SandboxHandle<CdState>).state.users.size,
  unknownId: '0123456789abcdef01234567',
  change: {
    changes: { attributes: { department: 'Field Operations' } },
    check: (account) => expect(account.attributes['department']).toBe('Field Operations'),
  },
});
