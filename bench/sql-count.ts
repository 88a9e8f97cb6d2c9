/**
 * @module Benchmark helper: counts what the store runs (statements by verb and by text, prepares, transactions
 * begun) while counting is on, by wrapping better-sqlite3's prepare and pg's `Client.query` (on Postgres each
 * statement is a round trip to the server, its time the wait for the answer). Benchmarks only; nothing shipped
 * imports it.
 */

import Sqlite from 'better-sqlite3';
import pg from 'pg';

export interface SqlCounts {
  statements: number;
  prepares: number;
  transactions: number;
  byVerb: Map<string, number>;
  /** Calls and milliseconds per statement text. */
  bySql: Map<string, { calls: number; ms: number }>;
}

const counts: SqlCounts = {
  statements: 0,
  prepares: 0,
  transactions: 0,
  byVerb: new Map(),
  bySql: new Map(),
};
let counting = false;
let installed = false;

function counted(sql: string, started: number): void {
  counts.statements++;
  // The verb after a leading comment (the store's markers: ARRAY_ROWS, WITH_NEXT).
  const verb = /^\s*(?:\/\*.*?\*\/\s*)?(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? '?';
  if (verb === 'begin') counts.transactions++;
  counts.byVerb.set(verb, (counts.byVerb.get(verb) ?? 0) + 1);
  const entry = counts.bySql.get(sql) ?? { calls: 0, ms: 0 };
  entry.calls++;
  entry.ms += performance.now() - started;
  counts.bySql.set(sql, entry);
}

/** Wraps pg's Client.query: each statement a client sends, with the time until its answer (or failure). */
function installPgCounter(): void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
    if (!counting || typeof text !== 'string') return query.apply(this, args);
    const started = performance.now();
    // A query object of its own (the store's named statements) answers through its callback, not a promise.
    const submitted = first as { submit?: unknown; callback?: (...answer: unknown[]) => void };
    if (typeof submitted.submit === 'function' && typeof submitted.callback === 'function') {
      const callback = submitted.callback;
      submitted.callback = (...answer: unknown[]) => {
        counted(text, started);
        callback(...answer);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args);
    return result instanceof Promise ? result.finally(() => counted(text, started)) : result;
  };
}

/** Wraps better-sqlite3's prepare and pg's query once, so statements run from now on can be counted. */
export function installSqlCounter(): void {
  if (installed) return;
  installed = true;
  installPgCounter();
  const proto = Sqlite.prototype as unknown as { prepare: (sql: string) => Sqlite.Statement };
  const prepare = proto.prepare;
  proto.prepare = function (this: Sqlite.Database, sql: string) {
    const stmt = prepare.call(this, sql);
    if (counting) counts.prepares++;
    for (const method of ['run', 'all', 'get', 'iterate'] as const) {
      const original = stmt[method] as (...args: unknown[]) => unknown;
      (stmt as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        if (!counting) return original.apply(stmt, args);
        const started = performance.now();
        try {
          return original.apply(stmt, args);
        } finally {
          counted(sql, started);
        }
      };
    }
    return stmt;
  };
}

/** Starts counting afresh. */
export function startCounting(): void {
  counts.statements = 0;
  counts.prepares = 0;
  counts.transactions = 0;
  counts.byVerb.clear();
  counts.bySql.clear();
  counting = true;
}

/** Stops counting and returns what was counted. */
export function stopCounting(): SqlCounts {
  counting = false;
  return counts;
}

/** Lines describing the counts per unit of work (`units` ops or requests), the `top` costliest texts first. */
export function describeCounts(c: SqlCounts, units: number, unit: string, top = 10): string[] {
  const per = (n: number) => (n / Math.max(1, units)).toFixed(2);
  const verbs = [...c.byVerb].map(([verb, n]) => `${verb} ${per(n)}`).join(', ');
  const lines = [
    `SQL per ${unit}: ${per(c.statements)} statements (${verbs}), ${per(c.prepares)} prepares, ${per(c.transactions)} transactions`,
  ];
  const costliest = [...c.bySql].sort(([, a], [, b]) => b.ms - a.ms).slice(0, top);
  for (const [text, { calls, ms }] of costliest) {
    lines.push(`  ${per(calls)}/${unit} ${((1000 * ms) / calls).toFixed(0)} µs each: ${text.slice(0, 110)}`);
  }
  return lines;
}
