import { expect } from 'vitest';
import { connectorContract } from '../sdk/contract.testkit.js';
import { startTp, type TpSandbox } from './testkit.js';

connectorContract('Targetprocess', {
  // The suite closes the connector and the sandbox itself.
  start: async () => {
    const { sandbox, connector } = await startTp();
    return { sandbox, connector };
  },
  newAccount: (n) => ({ email: `new.hire${n}@acme.com`, firstName: 'New', lastName: `Hire${n}` }),
  countAccounts: (sandbox) => (sandbox as TpSandbox).state.users.length,
  unknownId: '999999',
  change: {
    changes: { firstName: 'Renamed', lastName: 'Person' },
    check: (account) => expect(account).toMatchObject({ firstName: 'Renamed', lastName: 'Person' }),
  },
});
