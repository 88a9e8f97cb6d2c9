import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFindings } from '../app/graph.js';
import { importPeople } from '../app/people.js';
import {
  type ClusterWorkspace,
  clusterWorkspace,
  requireClusterServices,
  until,
} from '../cluster/cluster.testkit.js';
import { scheduleStore } from '../store/schedule.js';
import { type RunningServer, startServer } from './serve.js';

const services = await requireClusterServices();

let ws: ClusterWorkspace;
let server: RunningServer | undefined;
let receiver: Server;
const received: { event?: string }[] = [];

beforeAll(async () => {
  if (!services.available) return;
  // A local receiver stands in for the webhook sink.
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += String(c);
    });
    req.on('end', () => {
      received.push(JSON.parse(body) as { event?: string });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  ws = await clusterWorkspace({
    apps: ['customer-directory'],
    people: 60,
    seed: 7,
    policy: { managed: { 'customer-directory': ['account'] } },
    extra: {
      schedule: { apps: { '*': { every: '1h' } }, afterSync: { plan: false } },
      server: { notifications: [{ type: 'webhook', url, events: ['finding.high'] }] },
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await ws?.close();
  await new Promise((r) => receiver?.close(r));
});

describe.skipIf(!services.available)(
  services.available
    ? 'findings after a scheduled sync in cluster mode'
    : `findings after a scheduled sync in cluster mode (skipped: ${services.reason})`,
  () => {
    it('a scheduled sync on the workers announces the new high-severity findings once the graph refresh after it ran', async () => {
      await ws.withRoster((roster) => importPeople(roster));
      await ws.worker(2);
      server = await startServer({
        config: ws.config,
        configPath: join(ws.dir, 'roster.yaml'),
        port: 0,
        logger: false,
        env: ws.env,
      });
      const running = server;
      const [job] = await until('the scheduled sync', async () => {
        const list = await ws.withRoster((roster) => scheduleStore(roster.store).list());
        const syncs = list.filter((j) => j.kind === 'sync' && j.lastStatus !== null);
        return syncs.length === 1 ? syncs : undefined;
      });
      expect(job).toMatchObject({ lastStatus: 'succeeded' });
      await running.context.notifier.settle();

      const high = await ws.withRoster(async (roster) =>
        (await listFindings(roster, { minSeverity: 'high' })).findings
          .map((f) => `finding.high:${f.id}`)
          .sort(),
      );
      expect(high.length).toBeGreaterThan(0);
      const said = (await running.context.notifier.list({ limit: 1000 }))
        .filter((n) => n.event === 'finding.high')
        .map((n) => n.key)
        .sort();
      expect(said).toEqual(high);
      expect(received.filter((m) => m.event === 'finding.high').length).toBeGreaterThan(0);
    }, 180_000);
  },
);
