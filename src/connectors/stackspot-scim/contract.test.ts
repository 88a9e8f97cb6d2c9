import { expect } from 'vitest';
import type { SsState } from '../../sandbox/stackspot-scim/index.js';
import { connectorContract } from '../sdk/contract.testkit.js';
import { startStackspot } from './testkit.js';

connectorContract('StackSpot SCIM', {
  start: () => startStackspot(),
  newAccount: (n) => ({ email: `contract.user${n}@acme.com`, firstName: 'Con', lastName: `Tract${n}` }),
  countAccounts: (sandbox) => (sandbox.state as SsState).users.size,
  unknownId: '00000000-0000-4000-8000-000000000000',
  change: {
    changes: { firstName: 'Renamed', attributes: { 'ext.company': 'Acme' } },
    check: (account) => {
      expect(account.firstName).toBe('Renamed');
      expect(account.attributes['ext.company']).toBe('Acme');
    },
  },
});
