/** @module Test support for CLI tests: run `roster ...` in-process and capture what it printed. */

import { vi } from 'vitest';
import { main } from './main.js';

export interface RosterRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `roster ...args` in-process and returns what it printed and its exit code. */
export async function roster(...args: string[]): Promise<RosterRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'roster', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** The `data` of a `--json` document, after checking it is one (the envelope every command prints). */
export function jsonData<T = unknown>(stdout: string): T {
  const doc = JSON.parse(stdout) as { schemaVersion?: unknown; data?: unknown; error?: unknown };
  if (doc.schemaVersion !== 1 || !('data' in doc)) {
    throw new Error(`not a roster --json document with data: ${stdout.slice(0, 200)}`);
  }
  return doc.data as T;
}
