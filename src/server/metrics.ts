/** @module Prometheus metrics of `roster serve`: the API, syncs and upstream requests, ops, tasks, findings, scheduler. */

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AppSyncResult } from '../app/index.js';
import type { HttpClientStats } from '../connectors/http/client.js';
import type { Finding } from '../identity/index.js';
import type { Store } from '../store/store.js';

/** How many recent plans the ops gauge reads at each scrape: enough for what is moving, bounded in cost. */
const RECENT_PLANS = 50;

export class Metrics {
  readonly registry = new Registry();
  private readonly http: Counter<'method' | 'route' | 'status'>;
  private readonly httpSeconds: Histogram<'method' | 'route'>;
  private readonly syncSeconds: Histogram<'app' | 'outcome'>;
  private readonly upstreamRequests: Counter<'app' | 'endpoint'>;
  private readonly upstreamRetries: Counter<'app'>;
  private readonly upstream429: Counter<'app'>;
  private readonly findings: Gauge<'rule' | 'severity'>;
  private readonly concurrency: Gauge<'app'>;
  private readonly upstreamErrors: Gauge<'app' | 'endpoint' | 'code'>;
  private readonly schedulerLag: Histogram<'job'>;
  private readonly schedulerRuns: Counter<'job' | 'outcome'>;
  private readonly interrupted: Counter<'kind' | 'outcome'>;

  constructor(store: Store) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'roster_process_' });
    this.http = new Counter({
      name: 'roster_http_requests_total',
      help: 'API requests by method, route and status (429: the API rate limit)',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpSeconds = new Histogram({
      name: 'roster_http_request_duration_seconds',
      help: 'API request duration',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.syncSeconds = new Histogram({
      name: 'roster_sync_duration_seconds',
      help: 'App sync duration by app and outcome (succeeded, failed)',
      labelNames: ['app', 'outcome'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    this.upstreamRequests = new Counter({
      name: 'roster_upstream_requests_total',
      help: "Requests Roster made to each app's API during syncs, by endpoint",
      labelNames: ['app', 'endpoint'],
      registers,
    });
    this.upstreamRetries = new Counter({
      name: 'roster_upstream_retries_total',
      help: 'Retried upstream requests by app',
      labelNames: ['app'],
      registers,
    });
    this.upstream429 = new Counter({
      name: 'roster_upstream_rate_limited_total',
      help: 'Upstream 429 answers by app',
      labelNames: ['app'],
      registers,
    });
    this.concurrency = new Gauge({
      name: 'roster_upstream_concurrency_limit',
      help: "The adaptive concurrency limit each app's HTTP client had reached at the end of its last sync",
      labelNames: ['app'],
      registers,
    });
    this.upstreamErrors = new Gauge({
      name: 'roster_upstream_errors',
      help: 'Failed upstream attempts in the last sync of each app, by endpoint and the error code they raised',
      labelNames: ['app', 'endpoint', 'code'],
      registers,
    });
    this.findings = new Gauge({
      name: 'roster_findings',
      help: 'Findings by rule and severity as of the last graph refresh the server made',
      labelNames: ['rule', 'severity'],
      registers,
    });
    this.schedulerLag = new Histogram({
      name: 'roster_scheduler_lag_seconds',
      help: 'How late a scheduled run started against its planned time',
      labelNames: ['job'],
      buckets: [0.01, 0.1, 1, 5, 30, 120, 600],
      registers,
    });
    this.schedulerRuns = new Counter({
      name: 'roster_scheduler_runs_total',
      help: 'Scheduled runs by job and outcome',
      labelNames: ['job', 'outcome'],
      registers,
    });
    this.interrupted = new Counter({
      name: 'roster_interrupted_total',
      help:
        'Work a stopped server left under way, as this server found it: SCIM facade writes (finished, failed, left ' +
        'to another server) and applies (started again, or left for a person after a day)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    // Read from the store at scrape time: the store is the truth, whichever process ran the ops or tasks.
    new Gauge({
      name: 'roster_ops',
      help: `Ops of the ${RECENT_PLANS} latest plans by kind and status`,
      labelNames: ['kind', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const plan of await store.listPlans({ limit: RECENT_PLANS })) {
          for (const op of await store.listOps({ planId: plan.id }))
            this.inc({ kind: op.kind, status: op.status });
        }
      },
    });
    new Gauge({
      name: 'roster_open_tasks',
      help: 'Open manual tasks by app',
      labelNames: ['app'],
      registers,
      async collect() {
        this.reset();
        for (const task of await store.listTasks({ status: 'open' })) this.inc({ app: task.appId });
      },
    });
  }

  observeRequest(input: { method: string; route: string; status: number; seconds: number }): void {
    this.http.inc({ method: input.method, route: input.route, status: String(input.status) });
    this.httpSeconds.observe({ method: input.method, route: input.route }, input.seconds);
  }

  observeSync(result: AppSyncResult): void {
    const app = result.appId;
    this.syncSeconds.observe({ app, outcome: result.status }, result.durationMs / 1000);
    for (const [endpoint, n] of Object.entries(result.requests.byEndpoint)) {
      this.upstreamRequests.inc({ app, endpoint }, n);
    }
    this.upstreamRetries.inc({ app }, result.requests.retries);
    this.upstream429.inc({ app }, result.requests.rateLimited);
  }

  /** What an app's HTTP client says after a sync: its concurrency limit and failures by endpoint and code. */
  observeClient(appId: string, stats: HttpClientStats): void {
    this.concurrency.set({ app: appId }, stats.concurrencyLimit);
    for (const [endpoint, e] of Object.entries(stats.byEndpoint)) {
      for (const [code, n] of Object.entries(e.errors))
        this.upstreamErrors.set({ app: appId, endpoint, code }, n ?? 0);
    }
  }

  observeFindings(findings: readonly Pick<Finding, 'rule' | 'severity'>[]): void {
    this.findings.reset();
    for (const f of findings) this.findings.inc({ rule: f.rule, severity: f.severity });
  }

  /** Interrupted work found by a start or a sweep: `count` of `kind` that came to `outcome`. */
  observeInterrupted(kind: 'scim_write' | 'apply', outcome: string, count: number): void {
    if (count > 0) this.interrupted.inc({ kind, outcome }, count);
  }

  observeScheduledRun(input: { job: string; ok: boolean; lagMs: number }): void {
    this.schedulerLag.observe({ job: input.job }, input.lagMs / 1000);
    this.schedulerRuns.inc({ job: input.job, outcome: input.ok ? 'succeeded' : 'failed' });
  }
}
