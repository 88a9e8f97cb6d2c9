import { expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/kit/server.js';
import { stackspotScimSandbox } from '../../sandbox/stackspot-scim/index.js';
import { account, company } from '../../sandbox/stackspot-scim/testkit.js';
import { readGrants } from '../sdk/contract.testkit.js';
import { createConnector } from '../sdk/create.js';
import { readAll } from '../sdk/paging.js';
import { testHttp } from '../sdk/testkit.js';
import { scimConnector } from './connector.js';

it('a server whose /Groups is a 404 lists no groups and no grants', async () => {
  // StackSpot has no /Groups; its /{tenant}/scim path form needs no tenant header, so the generic connector fits.
  const sandbox = await startSandbox(stackspotScimSandbox, { seed: 3, company: company([account('ana')]) });
  const connector = createConnector(
    scimConnector,
    {
      id: 'generic',
      type: 'scim',
      baseUrl: `${sandbox.origin}/${sandbox.credentials.tenant}/scim`,
      auth: { type: 'bearer', token: sandbox.credentials.token },
    },
    { http: testHttp(sandbox) },
  );
  try {
    expect(await readAll(connector.entitlements.group!.list, (e) => e.id)).toEqual([]);
    expect(await readGrants(connector, 'group')).toEqual([]);
    expect(await readAll(connector.accounts.list!, (a) => a.id)).toHaveLength(1);
    const statuses = sandbox.requests().map((r) => [r.url.split('?')[0]?.split('/').at(-1), r.status]);
    // The ServiceProviderConfig is read once (a 404: the RFC baseline is assumed); a one-user page whose total
    // equals its length may be a capped page, so one page more is asked for.
    expect(statuses).toEqual([
      ['ServiceProviderConfig', 404],
      ['Groups', 404],
      ['Groups', 404],
      ['Users', 200],
      ['Users', 200],
    ]);
  } finally {
    await connector.close();
    await sandbox.close();
  }
});
