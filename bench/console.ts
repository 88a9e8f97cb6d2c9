/**
 * @module Benchmark: the console's list pages (findings, people, audit) over the same 100k-account store as the API
 * benchmark, against the API's own JSON listing of findings as the baseline in the same process. Prints requests/s
 * and latency per page (autocannon) and each page's requests/s as a ratio of the baseline's.
 */

import autocannon from 'autocannon';
import { PEOPLE, seededServer } from './seed.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 10);

async function main(): Promise<void> {
  const { server, token, accounts, apps, seedMs, close } = await seededServer('roster-bench-console-');
  const lines = [
    `people ${PEOPLE}, accounts ${accounts} (${apps} apps), seed ${(seedMs / 1000).toFixed(1)} s`,
  ];
  try {
    // Sign in the way a browser does: the login form's CSRF cookie, then the token for a session cookie.
    const form = await fetch(`${server.url}/console/login`);
    const loginCookie = (form.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const login = await fetch(`${server.url}/console/login`, {
      method: 'POST',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, token }),
      redirect: 'manual',
    });
    const session = login.headers.getSetCookie().find((c) => c.startsWith('roster_session=')) ?? '';
    if (login.status !== 303 || !session) throw new Error(`console login: HTTP ${login.status}`);
    const cookie = session.split(';')[0] ?? '';

    const targets: { name: string; path: string; headers: Record<string, string> }[] = [
      {
        name: 'API  GET /findings?limit=50 (baseline)',
        path: '/findings?limit=50',
        headers: { authorization: `Bearer ${token}` },
      },
      { name: 'page /console/findings', path: '/console/findings', headers: { cookie } },
      {
        name: 'page /console/findings?severity=high&app=targetprocess',
        path: '/console/findings?severity=high&app=targetprocess',
        headers: { cookie },
      },
      { name: 'page /console/people?q=Last17', path: '/console/people?q=Last17', headers: { cookie } },
      { name: 'page /console/people/E123', path: '/console/people/E123', headers: { cookie } },
      { name: 'page /console (overview)', path: '/console', headers: { cookie } },
    ];
    let baseline = 0;
    for (const target of targets) {
      const at = performance.now();
      const warm = await fetch(`${server.url}${target.path}`, {
        headers: target.headers,
        redirect: 'manual',
      });
      const first = performance.now() - at;
      if (warm.status !== 200) throw new Error(`${target.path}: HTTP ${warm.status} ${await warm.text()}`);
      const result = await autocannon({
        url: `${server.url}${target.path}`,
        headers: target.headers,
        connections: CONNECTIONS,
        duration: SECONDS,
      });
      const rps = result.requests.average;
      if (baseline === 0) baseline = rps;
      lines.push(
        `${target.name}: first ${first.toFixed(0)} ms; ${rps.toFixed(1)} req/s (${(rps / baseline).toFixed(2)}× baseline), ` +
          `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
      );
    }
  } finally {
    await close();
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
