/** @module Reads roster.yaml: YAML with line numbers, ${ENV} references, schema checks, every problem at once. */

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  type Alias,
  CST,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  parseDocument,
  visit,
} from 'yaml';
import type { z } from 'zod';
import { RosterError } from '../core/errors.js';
import { closest } from '../core/suggest.js';
import { collectSecrets, redact } from './mask.js';
import { APP_AUTH_TYPES, type RosterConfig, rosterConfigSchema } from './schema.js';

export type ConfigPath = readonly (string | number)[];
export type Env = Readonly<Record<string, string | undefined>>;

/** One thing wrong with the file, where it is, and what to do about it. */
export interface ConfigProblem {
  file: string;
  /** 1-based; null only when the file has no content to point at. */
  line: number | null;
  /** `apps[2].baseUrl`; empty for the file as a whole. */
  path: string;
  message: string;
  fix: string;
}

/** Where a loaded config came from: its file, and the line of any setting in it (for later errors). */
export interface ConfigOrigin {
  file: string;
  /** 1-based line of the setting at this path (or of its nearest parent present), null if none. */
  lineOf(path: ConfigPath): number | null;
}

// Kept beside the config rather than in it: the config's shape is the schema's, and copies simply lose it.
const origins = new WeakMap<RosterConfig, ConfigOrigin>();

/**
 * Where a config returned by loadConfig/parseConfig was read from, so a later step (a missing HR export) can
 * name the file and line of the setting to change. Undefined for a config built any other way.
 */
export function configOrigin(config: RosterConfig): ConfigOrigin | undefined {
  return origins.get(config);
}

/** `roster.yaml:4` for a setting, or just the file when the line is not known. */
export function settingLocation(config: RosterConfig, path: ConfigPath): string | undefined {
  const origin = configOrigin(config);
  if (origin === undefined) return undefined;
  const line = origin.lineOf(path);
  return line === null ? origin.file : `${origin.file}:${line}`;
}

export interface LoadConfigOptions {
  /** Where `${VAR}` references are looked up. */
  env?: Env;
}

/** Reads, checks and resolves a roster.yaml. Throws one RosterError listing every problem found. */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<RosterConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new RosterError('not_found', `${path} does not exist`, {
        where: path,
        fix: 'run `roster init` to write a commented roster.yaml, or point --config at yours',
        cause: error,
      });
    }
    throw new RosterError('invalid_input', `${path} cannot be read (${code ?? 'unknown error'})`, {
      where: path,
      fix:
        code === 'EISDIR'
          ? 'point at the roster.yaml file, not its folder'
          : 'check the path and its permissions',
      cause: error,
    });
  }
  return parseConfig(text, { file: path, env: options.env ?? process.env });
}

export interface ParseConfigOptions {
  /** The name used in messages, and whose folder relative paths resolve against. */
  file: string;
  env?: Env;
}

/** The pure half of loadConfig: text in, config (or one RosterError with every problem) out. */
export function parseConfig(text: string, options: ParseConfigOptions): RosterConfig {
  const { file } = options;
  const env = options.env ?? {};
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number): number => lines.linePos(offset).line;

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error): ConfigProblem => {
      const unclosed = unclosedFlow(text, error.message, error.pos[0]);
      if (unclosed !== null) {
        const [open, close, what] = unclosed.kind === 'seq' ? ['[', ']', 'list'] : ['{', '}', 'mapping'];
        return {
          file,
          line: lineAt(unclosed.offset),
          path: '',
          message: `YAML syntax error: the ${open} on this line opens a ${what} that is never closed`,
          fix: `close it with ${close} on this line (or on a later line indented under its key), before the next key`,
        };
      }
      return {
        file,
        line: syntaxErrorLine(
          text,
          error.code,
          error.message,
          error.linePos?.[0].line ?? lineAt(error.pos[0]),
        ),
        path: '',
        message: `YAML syntax error: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
        fix:
          SYNTAX_FIXES[error.code] ??
          'check the indentation, colons and quotes on this line and the one above',
      };
    });
    // One unclosed bracket can break two collections at once; it is one problem to fix.
    const seen = new Set<string>();
    throw problemsError(
      file,
      problems.filter((p) => !seen.has(`${p.line} ${p.message}`) && seen.add(`${p.line} ${p.message}`)),
      [],
    );
  }
  if (doc.contents === null) {
    throw problemsError(
      file,
      [
        {
          file,
          line: null,
          path: '',
          message: 'the file is empty',
          fix: 'run `roster init` to write a commented roster.yaml to start from',
        },
      ],
      [],
    );
  }

  const problems: ConfigProblem[] = [];
  const locate = (path: ConfigPath): number | null => {
    const offset = offsetOf(doc, path);
    return offset === null ? null : lineAt(offset);
  };

  let tree: unknown;
  try {
    tree = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml library reports alias trouble (a billion-laughs bomb, an alias to no anchor) as a bare
    // ReferenceError; it is the user's file, so it gets a line and a fix like any other problem.
    if (!(error instanceof ReferenceError)) throw error;
    throw problemsError(file, [aliasProblem(doc, error, file, lineAt)], []);
  }
  const envFailed: ConfigPath[] = [];
  const raw = substituteEnv(tree, [], env, (path, message, fix) => {
    envFailed.push(path);
    problems.push({ file, line: locate(path), path: formatPath(path), message, fix });
  });
  // An unresolved reference still holds its "${NAME}" text, which is not a secret worth hiding.
  const secrets = collectSecrets(envFailed.reduce<unknown>((tree, path) => withoutValue(tree, path), raw));

  const parsed = rosterConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as (string | number)[];
      // A value whose ${VAR} did not resolve is already reported; its schema complaint would be noise.
      if (envFailed.some((failed) => startsWith(path, failed))) continue;
      for (const found of describeIssue(issue, raw)) {
        const other = found.otherPath ? locate(found.otherPath) : null;
        problems.push({
          file,
          line: locate(found.path),
          path: formatPath(found.path),
          message: other === null ? found.message : `${found.message} (line ${other})`,
          fix: found.fix,
        });
      }
    }
  }
  if (problems.length > 0) throw problemsError(file, problems, secrets);
  if (!parsed.success) throw new RosterError('internal', 'the config failed a check that gave no reason');

  const config = resolvePaths(parsed.data, dirname(resolve(file)));
  origins.set(config, { file, lineOf: locate });
  return config;
}

/** `apps[2].auth.token`, `source.statusValues["On leave"]`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function problemsError(file: string, problems: ConfigProblem[], secrets: readonly string[]): RosterError {
  const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const lines = sorted.map((problem) => redact(formatProblem(problem), secrets));
  const count = sorted.length === 1 ? '1 problem' : `${sorted.length} problems`;
  const only = sorted.length === 1 ? sorted[0] : undefined;
  return new RosterError('invalid_input', `${file} has ${count}:\n${lines.map((l) => `  ${l}`).join('\n')}`, {
    where: file,
    ...(only ? { fix: redact(only.fix, secrets) } : {}),
    details: {
      problems: sorted.map((problem) => ({
        ...problem,
        message: redact(problem.message, secrets),
        fix: redact(problem.fix, secrets),
      })),
    },
  });
}

/** `roster.yaml:14 apps[2].baseUrl: "localhost:8080" is not a URL — write it with its scheme, …` */
export function formatProblem(problem: ConfigProblem): string {
  const at = problem.line === null ? problem.file : `${problem.file}:${problem.line}`;
  // "apps[1].auth.token uses ${PS_TOKEN}, …" reads as a sentence; everything else is "path: what".
  const joiner = problem.message.startsWith('uses ') ? ' ' : ': ';
  const where = problem.path ? `${at} ${problem.path}${joiner}` : `${at} `;
  return `${where}${problem.message} — ${problem.fix}`;
}

const SYNTAX_FIXES: Partial<Record<string, string>> = {
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs',
  BAD_INDENT: 'line this key up with the other keys at the same level',
  DUPLICATE_KEY: 'keep one of the two keys and delete the other',
  MISSING_CHAR: 'close the quote or bracket opened on this line',
  BAD_DQ_ESCAPE: 'inside "double quotes" write a backslash as \\\\, or use single quotes',
  MULTIPLE_DOCS: 'keep a single document: remove the `---` separator',
  BLOCK_AS_IMPLICIT_KEY: 'put a colon and a space after the key, and indent what belongs under it',
};

/** How many copies of one anchor the yaml library may make: far above any real roster.yaml, far below a bomb. */
const MAX_ALIAS_COUNT = 100;

/**
 * The `[` or `{` left open, for a "Flow sequence/map … must … end with a ]/}" error: the parser reports it where
 * it gave up (the next key, a line late, as if it were indentation); the line to fix is the one that opened it.
 */
function unclosedFlow(
  text: string,
  message: string,
  at: number,
): { kind: 'seq' | 'map'; offset: number } | null {
  const kind = /^Flow sequence/.test(message) ? 'seq' : /^Flow map/.test(message) ? 'map' : null;
  if (kind === null || !/end with a [\]}]/.test(message)) return null;
  let found: number | null = null;
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, (item) => {
      for (const node of [item.key, item.value]) {
        if (node?.type !== 'flow-collection' || node.offset > at) continue;
        const opens = node.start.type === (kind === 'seq' ? 'flow-seq-start' : 'flow-map-start');
        const closed = node.end.some((t) => t.type === 'flow-seq-end' || t.type === 'flow-map-end');
        if (opens && !closed && (found === null || node.offset > found)) found = node.offset;
      }
    });
  }
  return found === null ? null : { kind, offset: found };
}

/** The alias to point at when the yaml library refused to resolve aliases, and what to do about it. */
function aliasProblem(
  doc: Document,
  error: ReferenceError,
  file: string,
  lineAt: (offset: number) => number,
): ConfigProblem {
  const aliases: Alias[] = [];
  visit(doc, {
    Alias(_key, node) {
      aliases.push(node);
    },
  });
  const lineOf = (alias: Alias | undefined) => (alias?.range ? lineAt(alias.range[0]) : null);
  const missing = /^Unresolved alias[^:]*: (.+)$/.exec(error.message)?.[1];
  if (missing !== undefined) {
    return {
      file,
      line: lineOf(aliases.find((alias) => alias.source === missing)),
      path: '',
      message: `*${missing} refers to no anchor: nothing above it is marked &${missing}`,
      fix: `mark the value to repeat with &${missing} before this line, or write the value out here`,
    };
  }
  // A bomb nests anchors that repeat other anchors, so the copies multiply; point at the first such alias.
  const total = expandedSize(doc)(doc.contents);
  const values = total >= 1e9 ? 'over a billion' : total.toLocaleString('en-US');
  const nested = aliases.find((alias) => holdsAlias(alias.resolve(doc)));
  if (nested !== undefined) {
    return {
      file,
      line: lineOf(nested),
      path: '',
      message: `*${nested.source} repeats an anchor that itself repeats anchors: the copies multiply to ${values} values`,
      fix: 'write the values out, or point aliases only at anchors that hold no aliases (roster.yaml needs no nesting)',
    };
  }
  const overused = aliases[MAX_ALIAS_COUNT] ?? aliases[0];
  return {
    file,
    line: lineOf(overused),
    path: '',
    message: `*${overused?.source ?? '?'} is used more than ${MAX_ALIAS_COUNT} times`,
    fix: 'write the value out where it is needed, or use fewer aliases of it',
  };
}

function holdsAlias(node: unknown): boolean {
  if (isAlias(node)) return true;
  if (isPair(node)) return holdsAlias(node.key) || holdsAlias(node.value);
  return isCollection(node) && node.items.some((item) => holdsAlias(item));
}

/** How many values a node stands for once every alias is copied in, memoized and capped at a billion. */
function expandedSize(doc: Document): (node: unknown) => number {
  const memo = new Map<unknown, number>();
  const size = (node: unknown): number => {
    const known = memo.get(node);
    if (known !== undefined) return known;
    memo.set(node, 1); // a cycle counts once rather than forever
    let total = 1;
    if (isAlias(node)) total = size(node.resolve(doc));
    else if (isPair(node)) total = size(node.key) + size(node.value);
    else if (isCollection(node)) total = node.items.reduce<number>((sum, item) => sum + size(item), 1);
    total = Math.min(total, 1e9);
    memo.set(node, total);
    return total;
  };
  return size;
}

/**
 * An unclosed quote is reported where the parser gave up (often the end of the file, since quoted
 * scalars may span lines); the line that opened it is the one to fix.
 */
function syntaxErrorLine(text: string, code: string, message: string, line: number): number {
  if (code !== 'MISSING_CHAR' || !message.includes('quote')) return line;
  const quote = message.includes('"') ? '"' : "'";
  const lines = text.split('\n');
  for (let index = Math.min(line, lines.length) - 1; index >= 0; index--) {
    const count = (lines[index] ?? '').replace(/\\./g, '').split(quote).length - 1;
    if (count % 2 === 1) return index + 1;
  }
  return line;
}

/** Resolves `${VAR}` in every string; `$${` writes a literal `${`. Reports each unresolved reference. */
function substituteEnv(
  value: unknown,
  path: (string | number)[],
  env: Env,
  report: (path: ConfigPath, message: string, fix: string) => void,
): unknown {
  if (typeof value === 'string') return substituteString(value, path, env, report);
  if (Array.isArray(value))
    return value.map((item, index) => substituteEnv(item, [...path, index], env, report));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteEnv(item, [...path, key], env, report)]),
    );
  }
  return value;
}

function substituteString(
  text: string,
  path: ConfigPath,
  env: Env,
  report: (path: ConfigPath, message: string, fix: string) => void,
): string {
  let out = '';
  let index = 0;
  while (index < text.length) {
    if (text.startsWith('$${', index)) {
      out += '${';
      index += 3;
      continue;
    }
    if (!text.startsWith('${', index)) {
      out += text[index];
      index += 1;
      continue;
    }
    const close = text.indexOf('}', index + 2);
    if (close === -1) {
      report(
        path,
        `has "\${" with no closing "}"`,
        `write the reference as \${NAME}, or $\${ for a literal "\${"`,
      );
      return text;
    }
    const name = text.slice(index + 2, close);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      report(
        path,
        `\${${name}} is not a variable name`,
        `use letters, digits and _ only, starting with a letter, e.g. \${PS_TOKEN}`,
      );
      return text;
    }
    const found = env[name];
    if (found === undefined || found === '') {
      report(
        path,
        `uses \${${name}}, which is ${found === undefined ? 'not set' : 'empty'}`,
        `set ${name} in the environment Roster runs in, e.g. export ${name}=…`,
      );
      return text;
    }
    out += found;
    index = close + 1;
  }
  return out;
}

/** The offset to point at for a path: the key's line for a mapping entry, else the nearest existing parent. */
function offsetOf(doc: Document, path: ConfigPath): number | null {
  let node: unknown = doc.contents;
  let offset: number | null = (node as Node | null)?.range?.[0] ?? null;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => {
        const key = isScalar(item.key) ? item.key.value : item.key;
        return String(key) === String(segment);
      });
      if (!pair) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? (pair.value as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

interface Found {
  path: ConfigPath;
  message: string;
  fix: string;
  otherPath?: ConfigPath;
}

/** Turns one zod issue into what the user reads: what is wrong and the fix, with the real value quoted. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): Found[] {
  const path = issue.path as (string | number)[];
  const value = valueAt(raw, path);
  const last = path[path.length - 1];
  const appType = appTypeAt(raw, path);
  const secret = isSecretPath(path);
  const shown = secret ? 'the value given' : show(value);

  switch (issue.code) {
    case 'custom': {
      const params = (issue.params ?? {}) as { fix?: string; otherPath?: (string | number)[] };
      return [
        {
          path,
          message: issue.message,
          fix: params.fix ?? 'see the example that `roster init` writes',
          ...(params.otherPath ? { otherPath: params.otherPath } : {}),
        },
      ];
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined) {
        const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
        const choose = `use one of: ${options.join(', ')}`;
        if (path.length >= 2 && path[path.length - 2] === 'auth') {
          const owner = appTypeAt(raw, path);
          if (value === undefined) {
            return [
              { path, message: 'auth has no type', fix: `add "type: ${options[0]}" under auth (${choose})` },
            ];
          }
          const whose = owner && owner in APP_AUTH_TYPES ? `${owner} apps` : 'this app';
          return [{ path, message: `auth type ${shown} is not accepted by ${whose}`, fix: choose }];
        }
        if (value === undefined) {
          return [
            { path, message: 'the app has no type', fix: `add "type:" with one of: ${options.join(', ')}` },
          ];
        }
        return [{ path, message: `${shown} is not an app type Roster knows`, fix: choose }];
      }
      return [{ path, message: `${shown} does not match any accepted form`, fix: fallbackFix(last) }];
    }
    case 'unrecognized_keys': {
      const allowed = allowedKeys(rosterConfigSchema, path, raw);
      return issue.keys.map((key) => {
        const guess = allowed ? closestKey(key, allowed) : undefined;
        return {
          path: [...path, key],
          message: `unknown key "${key}"${appType && path.length <= 2 ? ` for ${appType} apps` : ''}`,
          fix: guess
            ? `did you mean "${guess}"?`
            : allowed
              ? `remove it; keys allowed here: ${allowed.join(', ')}`
              : 'remove it',
        };
      });
    }
    case 'invalid_type': {
      if (value === undefined) {
        const who = appType && path.length === 3 ? `${appType} apps need ${String(last)}` : 'is required';
        return [{ path, message: `${who}, but it is missing`, fix: `add ${example(last, issue.expected)}` }];
      }
      if (value === null) {
        return [{ path, message: 'is empty', fix: `give it a value: ${example(last, issue.expected)}` }];
      }
      if (path.length === 0) {
        return [
          {
            path,
            message: `the file holds ${kindOf(value)}, not a mapping of settings`,
            fix: 'start from the top-level keys store:, source: and apps: (see `roster init`)',
          },
        ];
      }
      const subject = typeof value === 'object' ? 'is' : `${shown} is`;
      return [
        {
          path,
          message: `${subject} ${kindOf(value)}, expected ${article(issue.expected)}`,
          fix: TYPE_FIXES[issue.expected] ?? `write ${article(issue.expected)}`,
        },
      ];
    }
    case 'too_small':
    case 'too_big': {
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      if (issue.origin === 'string' && issue.code === 'too_small') {
        return [{ path, message: 'is empty', fix: `give it a value: ${example(last, 'string')}` }];
      }
      if (issue.origin === 'number') {
        const word = issue.code === 'too_small' ? 'at least' : 'at most';
        return [{ path, message: `${shown} is out of range`, fix: `use a number ${word} ${bound}` }];
      }
      return [
        {
          path,
          message: `${shown} has the wrong length`,
          fix: `it needs ${issue.code === 'too_small' ? 'at least' : 'at most'} ${bound} items`,
        },
      ];
    }
    case 'invalid_value': {
      const options = issue.values.map(String);
      const custom = !issue.message.startsWith('Invalid');
      return [
        {
          path,
          message: custom ? `${shown}: ${issue.message}` : `${shown} is not allowed here`,
          fix: options.length === 1 ? `write ${options[0]}` : `use one of: ${options.join(', ')}`,
        },
      ];
    }
    case 'invalid_format': {
      if (last === 'id')
        return [{ path, message: `${shown} is not a valid app id`, fix: `an id ${issue.message}` }];
      return [{ path, message: `${shown} is not in the expected format`, fix: issue.message }];
    }
    default:
      return [{ path, message: `${shown}: ${issue.message}`, fix: fallbackFix(last) }];
  }
}

const TYPE_FIXES: Partial<Record<string, string>> = {
  number: 'write a plain number without quotes, e.g. 4',
  string: 'write text, in quotes if it looks like a number or a boolean',
  boolean: 'write true or false, without quotes',
  array: 'write a list: one "- item" per line, or [a, b]',
  object: 'write a mapping: "key: value" lines indented under it',
};

/** What to write for a missing or empty key, so the fix can be pasted. */
const EXAMPLES: Partial<Record<string, string>> = {
  source: 'source: with type: csv and path: ./people.csv',
  apps: 'apps: with one entry per app (see `roster init`)',
  type: 'type: …',
  path: 'path: ./people.csv',
  id: 'id: my-app',
  baseUrl: 'baseUrl: https://api.example.com/api/v1',
  auth: `auth: with type: bearer and token: \${APP_TOKEN}`,
  token: `token: \${APP_TOKEN} (and set APP_TOKEN in the environment)`,
  password: `password: \${APP_PASSWORD} (and set APP_PASSWORD in the environment)`,
  key: `key: \${APP_API_KEY} (and set APP_API_KEY in the environment)`,
  username: 'username: roster-bot',
  header: 'header: X-API-Key (the header the service reads the key from)',
  tenantId: 'tenantId: your-tenant-id (the X-Tenant-Id the service gave you)',
  customerId: 'customerId: 64b7f0c2a1e4d5f6a7b8c9d0 (24 hexadecimal characters)',
  integration: 'integration: the integration name the directory expects',
};

function example(key: string | number | undefined, expected: string): string {
  const known = typeof key === 'string' ? EXAMPLES[key] : undefined;
  if (known) return known;
  return `${String(key ?? 'it')}: <${expected}>`;
}

function fallbackFix(key: string | number | undefined): string {
  const known = typeof key === 'string' ? EXAMPLES[key] : undefined;
  return known ? `write it as ${known}` : 'compare with the commented example that `roster init` writes';
}

function article(word: string): string {
  const noun = word === 'object' ? 'mapping' : word === 'array' ? 'list' : word;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'empty';
  if (typeof value === 'object') return 'a mapping';
  return article(typeof value);
}

function show(value: unknown): string {
  if (value === undefined) return 'the value';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'the list' : 'the mapping';
  return String(value);
}

function isSecretPath(path: ConfigPath): boolean {
  const last = path[path.length - 1];
  return path[path.length - 2] === 'auth' && (last === 'token' || last === 'password' || last === 'key');
}

function valueAt(root: unknown, path: ConfigPath): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function appTypeAt(raw: unknown, path: ConfigPath): string | undefined {
  if (path[0] !== 'apps' || typeof path[1] !== 'number') return undefined;
  const type = valueAt(raw, ['apps', path[1], 'type']);
  return typeof type === 'string' ? type : undefined;
}

function withoutValue(tree: unknown, path: ConfigPath): unknown {
  const [head, ...rest] = path;
  if (head === undefined || tree === null || typeof tree !== 'object')
    return head === undefined ? undefined : tree;
  const copy = (Array.isArray(tree) ? [...tree] : { ...tree }) as Record<string | number, unknown>;
  copy[head] = withoutValue(copy[head], rest);
  return copy;
}

function startsWith(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.every((segment, index) => path[index] === segment);
}

/** The keys the schema accepts at a path (following the union branch the data chose), for "did you mean". */
function allowedKeys(schema: z.core.$ZodType, path: ConfigPath, raw: unknown): string[] | undefined {
  let current: z.core.$ZodType | undefined = schema;
  for (let depth = 0; depth <= path.length && current; depth++) {
    current = unwrap(current, valueAt(raw, path.slice(0, depth)));
    if (depth === path.length) break;
    const segment = path[depth];
    const def = current._zod.def as unknown as SchemaDef;
    if (def.type === 'object' && typeof segment === 'string') current = def.shape?.[segment];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else if (def.type === 'tuple' && typeof segment === 'number') current = def.items?.[segment];
    else current = undefined;
  }
  const def = current?._zod.def as unknown as SchemaDef | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

interface SchemaDef {
  type: string;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
  items?: z.core.$ZodType[];
  options?: z.core.$ZodType[];
  discriminator?: string;
  values?: unknown[];
}

function unwrap(schema: z.core.$ZodType, value: unknown): z.core.$ZodType {
  let current = schema;
  for (let guard = 0; guard < 10; guard++) {
    const def = current._zod.def as unknown as SchemaDef;
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else if (def.type === 'union' && def.options) {
      const tag = def.discriminator ? valueAt(value, [def.discriminator]) : undefined;
      const match = def.options.find((option) => {
        const shape = (unwrap(option, value)._zod.def as unknown as SchemaDef).shape;
        const literal = def.discriminator ? shape?.[def.discriminator] : undefined;
        return (literal?._zod.def as unknown as SchemaDef | undefined)?.values?.includes(tag);
      });
      if (!match) return current;
      current = match;
    } else return current;
  }
  return current;
}

/** The allowed key a typo most likely meant: same letters ignoring case, or at most two edits away. */
const closestKey = (key: string, allowed: readonly string[]) => closest(key, allowed, 2);

/** Relative file paths in the config mean "next to roster.yaml", not "wherever roster was started". */
function resolvePaths(config: RosterConfig, dir: string): RosterConfig {
  const sqlite = /^sqlite:(.+)$/.exec(config.store);
  const file = sqlite?.[1];
  const store =
    file && file !== ':memory:' && !isAbsolute(file) ? `sqlite:${resolve(dir, file)}` : config.store;
  const sourcePath = isAbsolute(config.source.path) ? config.source.path : resolve(dir, config.source.path);
  return { ...config, store, source: { ...config.source, path: sourcePath } };
}
