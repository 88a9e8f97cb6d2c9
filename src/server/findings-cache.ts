/**
 * @module The server's findings between changes: computing them refreshes the whole identity graph (seconds at
 * 100k accounts), so the API keeps the last result until a sync, an import or a write through this server moves
 * the state on. A link decided with the CLI on the same store shows after the next sync.
 */

import { type FindingRow, listAccounts, listFindings } from '../app/index.js';
import { RosterError } from '../core/errors.js';
import { compareSeverity, FINDING_RULES, type Severity } from '../identity/index.js';
import type { ServerContext } from './context.js';
import { asActor } from './core.js';

export type AccountRow = Awaited<ReturnType<typeof listAccounts>>[number];

export interface FindingsQuery {
  rules?: readonly string[];
  minSeverity?: Severity;
  appId?: string;
  employeeId?: string;
}

export class FindingsCache {
  private generation = 0;
  private cached: { key: string; findings: FindingRow[] } | null = null;
  private computing: { key: string; promise: Promise<FindingRow[]> } | null = null;
  private accountViews: { key: string; rows: Map<string, Promise<AccountRow[]>> } | null = null;

  constructor(
    private readonly ctx: Pick<ServerContext, 'config' | 'store' | 'clock'> & Partial<ServerContext>,
  ) {}

  /** Something this server wrote may change the findings (a link, a re-synced account, an apply). */
  invalidate(): void {
    this.generation++;
  }

  /** Findings as of now, filtered; computed again only when the state moved since the last time. */
  async list(actor: string, query: FindingsQuery = {}): Promise<FindingRow[]> {
    const rules = new Set<string>(FINDING_RULES);
    for (const wanted of query.rules ?? []) {
      if (!rules.has(wanted.split(':')[0] ?? wanted)) {
        throw new RosterError('invalid_input', `"${wanted}" is not a finding Roster reports`, {
          where: 'query.rule',
          fix: `use one of: ${FINDING_RULES.join(', ')}`,
        });
      }
    }
    const wanted = new Set(query.rules ?? []);
    return (await this.all(actor)).filter(
      (f) =>
        (wanted.size === 0 || wanted.has(f.rule) || wanted.has(f.id)) &&
        (query.minSeverity === undefined || compareSeverity(f.severity, query.minSeverity) <= 0) &&
        (query.appId === undefined || f.appId === query.appId) &&
        (query.employeeId === undefined || f.employeeId === query.employeeId),
    );
  }

  private async all(actor: string): Promise<FindingRow[]> {
    const key = await this.key();
    if (this.cached?.key === key) return this.cached.findings;
    // Concurrent requests for the same state share one computation.
    if (this.computing?.key === key) return this.computing.promise;
    const promise = asActor(
      this.ctx as ServerContext,
      actor,
      async (roster) => (await listFindings(roster)).findings,
    );
    this.computing = { key, promise };
    try {
      const findings = await promise;
      this.cached = { key, findings };
      return findings;
    } finally {
      if (this.computing?.promise === promise) this.computing = null;
    }
  }

  /** Every account of an app (or all apps) with its owner, kept like the findings until the state moves. */
  async accounts(actor: string, appId: string | undefined): Promise<AccountRow[]> {
    const key = await this.key();
    if (this.accountViews?.key !== key) this.accountViews = { key, rows: new Map() };
    const views = this.accountViews.rows;
    const slot = appId ?? '*';
    let rows = views.get(slot);
    if (!rows) {
      rows = asActor(this.ctx as ServerContext, actor, (roster) =>
        listAccounts(roster, appId === undefined ? {} : { appId }),
      );
      views.set(slot, rows);
      // A failed read is not kept: the next request tries again.
      rows.catch(() => views.delete(slot));
    }
    return rows;
  }

  /** What the findings depend on: each app's latest sync run, the latest import, and this server's writes. */
  private async key(): Promise<string> {
    const parts: string[] = [String(this.generation)];
    for (const app of this.ctx.config.apps) {
      const [run] = await this.ctx.store.listSyncRuns({ appId: app.id, limit: 1 });
      parts.push(`${app.id}:${run?.id ?? '-'}:${run?.status ?? '-'}`);
    }
    const [imported] = await this.ctx.store.listImports({ limit: 1 });
    parts.push(imported?.id ?? '-');
    return parts.join('|');
  }
}
