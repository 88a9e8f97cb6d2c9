import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writePrivateFile } from './private-file.js';

describe('files that hold secrets', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const temp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-private-'));
    dirs.push(dir);
    return dir;
  };

  it('a new file (the roster.yaml sandbox start writes) is created readable by the owner only', () => {
    const path = join(temp(), 'roster.yaml');
    const warnings: string[] = [];
    writePrivateFile(path, 'token: x\n', 'tokens', (m) => warnings.push(m));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('token: x\n');
    expect(warnings).toEqual([]);
  });

  it('rewriting an existing world-readable file says so, naming it and the chmod that fixes it', () => {
    const path = join(temp(), 'roster.yaml');
    writeFileSync(path, 'old');
    chmodSync(path, 0o644);
    const warnings: string[] = [];
    writePrivateFile(path, 'token: y\n', 'tokens', (m) => warnings.push(m));
    expect(readFileSync(path, 'utf8')).toBe('token: y\n');
    expect(warnings).toEqual([
      `${path} is readable or writable by others (mode 644) and holds tokens; run: chmod 600 ${path}`,
    ]);
  });
});
