import { expect } from 'vitest';
import { connectorContract } from '../sdk/contract.testkit.js';
import { type ScimmyOptions, type ScimmyStore, scimConnectorFor, startScimmyServer } from './testkit.js';

/** The shared contract against SCIMMY as it is, and against it behaving as third-party servers were seen to. */
function scimContract(name: string, options: ScimmyOptions, tag: string): void {
  connectorContract(name, {
    start: async () => {
      const server = await startScimmyServer({ users: 12, groups: 3, ...options });
      return { connector: scimConnectorFor(server), sandbox: server.handle, close: server.close };
    },
    newAccount: (n) => ({
      email: `contract.${tag}${n}@acme.com`,
      firstName: 'Con',
      lastName: `Tract${n}`,
    }),
    countAccounts: (sandbox) => (sandbox.state as ScimmyStore).users.size,
    unknownId: '00000000-0000-4000-8000-000000000000',
    change: {
      changes: { firstName: 'Renamed', email: `renamed.${tag}@acme.com` },
      check: (account) => {
        expect(account.firstName).toBe('Renamed');
        expect(account.email).toBe(`renamed.${tag}@acme.com`);
      },
    },
  });
}

scimContract('Generic SCIM (scimmy)', {}, 'plain');
// scimgateway 6.1.18: count capped at 50 (here 5, with 12 users), totalResults reported as the page's length.
scimContract('Generic SCIM (pages capped, totalResults misreported)', { capPageAt: 5 }, 'capped');
// python-scim: a filter holding an escaped quote crashes the server, the same 500 every time.
scimContract('Generic SCIM (500 on an escaped quote)', { crashOnEscapedQuote: true }, 'quote');
