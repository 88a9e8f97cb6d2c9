import { expect } from 'vitest';
import { generateCompany } from '../../sandbox/company.js';
import type { TiState } from '../../sandbox/thought-industries/index.js';
import { connectorContract } from '../sdk/contract.testkit.js';
import { startTiConnector } from './testkit.js';

connectorContract('Thought Industries', {
  // The suite closes the connector and then the sandbox itself.
  start: async () => {
    const { connector, sandbox } = await startTiConnector(generateCompany({ seed: 11, people: 40 }), {
      seed: 11,
    });
    return { connector, sandbox };
  },
  newAccount: (n) => ({
    email: `contract.user${n}@acme.example`,
    firstName: 'Contract',
    lastName: `User${n}`,
    externalId: `okta|contract-${n}`,
    attributes: { 'customFields.department': 'Engineering' },
  }),
  countAccounts: (sandbox) => (sandbox.state as TiState).users.length,
  unknownId: '00000000-0000-4000-8000-00000000ffff',
  change: {
    changes: { firstName: 'Renamed', attributes: { 'customFields.title': 'Staff Engineer' } },
    check(account) {
      expect(account.firstName).toBe('Renamed');
      expect(account.attributes['customFields.title']).toBe('Staff Engineer');
      expect(account.attributes['customFields.department']).toBe('Engineering');
    },
  },
});
