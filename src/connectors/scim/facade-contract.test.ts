import { expect } from 'vitest';
import { issueToken } from '../../app/tokens.js';
import { loadConfig } from '../../config/load.js';
import { type Fleet, startFleet } from '../../sandbox/fleet.js';
import { fleetWorkspace } from '../../sandbox/testkit.js';
import type { TiState } from '../../sandbox/thought-industries/index.js';
import { startTestServer, type TestServer } from '../../server/testkit.js';
import { tokenStore } from '../../store/tokens.js';
import { connectorContract } from '../sdk/contract.testkit.js';
import { createConnector } from '../sdk/create.js';
import { testHttp } from '../sdk/testkit.js';
import { scimConnector } from './connector.js';

const APP = 'thought-industries';

/**
 * Roster's own generic SCIM connector, pointed at Roster's SCIM facade over the Thought Industries sandbox: the
 * facade is a SCIM service like any other, and what the contract asks of the app is checked in the sandbox.
 */
connectorContract('Generic SCIM against the Roster facade (Thought Industries behind it)', {
  start: async () => {
    const fleet: Fleet = await startFleet({ people: 30, seed: 11, apps: [APP] });
    let t: TestServer | undefined;
    try {
      const ws = fleetWorkspace(fleet, {
        prefix: 'roster-scim-facade-contract-',
        // The contract deletes and deactivates more than the default hold lets through in an hour.
        edit: (yaml) => `${yaml}scim:\n  hold: { max: 1000 }\n`,
      });
      t = await startTestServer({ dir: ws.dir, config: await loadConfig(ws.file, { env: {} }) });
      await t.call('POST', '/syncs', { token: t.tokens.operate, body: {} });
      for (let i = 0; i < 1000 && t.server.context.jobs.list().length > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      const { token } = await issueToken(
        { store: t.store, tokens: tokenStore(t.store) },
        { name: 'roster-as-idp', scope: `scim:${APP}`, createdBy: 'test' },
      );
      const connector = createConnector(
        scimConnector,
        {
          id: 'facade',
          type: 'scim',
          baseUrl: `${t.server.url}/scim/v2/${APP}`,
          auth: { type: 'bearer', token },
        },
        { http: testHttp() },
      );
      const server = t;
      return {
        connector,
        sandbox: fleet.get(APP),
        close: async () => {
          await server.close();
          await fleet.close();
        },
      };
    } catch (error) {
      await t?.close();
      await fleet.close();
      throw error;
    }
  },
  newAccount: (n) => ({ email: `facade.user${n}@acme.example`, firstName: 'Facade', lastName: `User${n}` }),
  countAccounts: (sandbox) => (sandbox.state as TiState).users.length,
  unknownId: '00000000-0000-4000-8000-00000000ffff',
  change: {
    changes: { firstName: 'Renamed' },
    check: (account) => expect(account.firstName).toBe('Renamed'),
  },
});
