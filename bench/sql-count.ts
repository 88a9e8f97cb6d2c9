/**
 * @module Benchmark helper: counts what better-sqlite3 runs (statements by verb and by text, prepares,
 * transactions begun) while counting is on, by wrapping its prepare. Benchmarks only; nothing shipped imports it.
 */

import Sqlite from 'better-sqlite3';

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

/** Wraps better-sqlite3's prepare once, so statements prepared from now on can be counted. */
export function installSqlCounter(): void {
  if (installed) return;
  installed = true;
  const proto = Sqlite.prototype as unknown as { prepare: (sql: string) => Sqlite.Statement };
  const prepare = proto.prepare;
  proto.prepare = function (this: Sqlite.Database, sql: string) {
    const stmt = prepare.call(this, sql);
    if (counting) counts.prepares++;
    const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? '?';
    for (const method of ['run', 'all', 'get', 'iterate'] as const) {
      const original = stmt[method] as (...args: unknown[]) => unknown;
      (stmt as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        if (!counting) return original.apply(stmt, args);
        counts.statements++;
        if (verb === 'begin') counts.transactions++;
        counts.byVerb.set(verb, (counts.byVerb.get(verb) ?? 0) + 1);
        const started = performance.now();
        try {
          return original.apply(stmt, args);
        } finally {
          const entry = counts.bySql.get(sql) ?? { calls: 0, ms: 0 };
          entry.calls++;
          entry.ms += performance.now() - started;
          counts.bySql.set(sql, entry);
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
