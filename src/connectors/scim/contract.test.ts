import { expect } from 'vitest';
import { connectorContract } from '../sdk/contract.testkit.js';
import { type ScimmyStore, scimConnectorFor, startScimmyServer } from './testkit.js';

connectorContract('Generic SCIM (scimmy)', {
  start: async () => {
    const server = await startScimmyServer({ users: 12, groups: 3 });
    return { connector: scimConnectorFor(server), sandbox: server.handle, close: server.close };
  },
  newAccount: (n) => ({ email: `contract.user${n}@acme.com`, firstName: 'Con', lastName: `Tract${n}` }),
  countAccounts: (sandbox) => (sandbox.state as ScimmyStore).users.size,
  unknownId: '00000000-0000-4000-8000-000000000000',
  change: {
    changes: { firstName: 'Renamed', email: 'renamed.contract@acme.com' },
    check: (account) => {
      expect(account.firstName).toBe('Renamed');
      expect(account.email).toBe('renamed.contract@acme.com');
    },
  },
});
