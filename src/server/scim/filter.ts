/** @module The RFC 7644 filter and PATCH path grammar: a recursive-descent parser with positions, and its evaluation. */

import { badRequest, type ScimError } from './errors.js';
import {
  type AttributeDef,
  type AttrRef,
  containerOf,
  isObject,
  type Json,
  type JsonObject,
  keyOf,
  type Resolved,
  type ResourceSchema,
  resolveAttribute,
} from './schema.js';

export const COMPARE_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export type CompareValue = string | number | boolean | null;

/** An attribute path as written, with where it starts (0-based) for error messages. */
export interface AttrPath extends AttrRef {
  text: string;
  at: number;
}

export type Filter =
  | { op: 'pr'; path: AttrPath }
  | { op: CompareOp; path: AttrPath; value: CompareValue }
  | { op: 'and' | 'or'; left: Filter; right: Filter }
  | { op: 'not'; filter: Filter }
  /** `emails[type eq "work"]`: the inner filter's paths are sub-attributes of each value. */
  | { op: 'valuePath'; path: AttrPath; filter: Filter };

/** A PATCH path (RFC 7644 §3.5.2): `attrPath`, or `valuePath` with an optional `.subAttr` after the bracket. */
export interface PatchPath {
  attr: AttrPath;
  filter: Filter | null;
  /** The sub-attribute after `]` (`emails[type eq "work"].value`). */
  sub: string | null;
  text: string;
}

type Token =
  | { kind: '(' | ')' | '[' | ']'; at: number }
  | { kind: 'word'; text: string; at: number }
  | { kind: 'value'; value: CompareValue; at: number; text: string };

const WORD = /[A-Za-z0-9_$:.-]/;

function invalid(kind: 'filter' | 'path', message: string, source: string, at: number): ScimError {
  const where = at >= source.length ? 'at the end' : `at character ${at + 1}`;
  return badRequest(
    kind === 'filter' ? 'invalidFilter' : 'invalidPath',
    `${kind} ${JSON.stringify(source)}: ${message} ${where}`,
  );
}

function tokenize(source: string, kind: 'filter' | 'path'): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ kind: c, at: i });
      i++;
    } else if (c === '"') {
      // A JSON string (RFC 7644 §3.4.2.2): escapes as in JSON, so JSON.parse reads it exactly.
      let j = i + 1;
      while (j < source.length && source[j] !== '"') j += source[j] === '\\' ? 2 : 1;
      if (j >= source.length) throw invalid(kind, 'unterminated string', source, i);
      const text = source.slice(i, j + 1);
      let value: string;
      try {
        value = JSON.parse(text) as string;
      } catch {
        throw invalid(kind, `bad escape in string ${text}`, source, i);
      }
      tokens.push({ kind: 'value', value, at: i, text });
      i = j + 1;
    } else if (c === '-' || /[0-9]/.test(c)) {
      const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
      if (!match) throw invalid(kind, `unexpected "${c}"`, source, i);
      tokens.push({ kind: 'value', value: Number(match[0]), at: i, text: match[0] });
      i += match[0].length;
    } else if (WORD.test(c)) {
      let j = i;
      while (j < source.length && WORD.test(source[j] as string)) j++;
      const text = source.slice(i, j);
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === 'false' || lower === 'null')
        tokens.push({ kind: 'value', value: lower === 'null' ? null : lower === 'true', at: i, text });
      else tokens.push({ kind: 'word', text, at: i });
      i = j;
    } else {
      throw invalid(kind, `unexpected "${c}"`, source, i);
    }
  }
  return tokens;
}

const NAME = /^\$?[A-Za-z][A-Za-z0-9_-]*$/;

/** `[URI ":"] ATTRNAME ["." subAttr]`. A URN holds dots ("2.0"), so the name starts after its last colon. */
function toAttrPath(text: string, at: number, source: string, kind: 'filter' | 'path'): AttrPath {
  const colon = text.lastIndexOf(':');
  const uri = colon >= 0 ? text.slice(0, colon) : null;
  if (uri !== null && !/^urn:/i.test(uri))
    throw invalid(kind, `"${text}" is not an attribute path (a schema must be a URN)`, source, at);
  const rest = colon >= 0 ? text.slice(colon + 1) : text;
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p)))
    throw invalid(kind, `"${text}" is not an attribute path`, source, at);
  return { uri, name: parts[0] as string, sub: parts[1] ?? null, text, at };
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
    private readonly kind: 'filter' | 'path',
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private fail(message: string, token = this.peek()): ScimError {
    return invalid(this.kind, message, this.source, token ? token.at : this.source.length);
  }

  private isWord(token: Token | undefined, word: string): boolean {
    return token?.kind === 'word' && token.text.toLowerCase() === word;
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  expectEnd(message: string): void {
    if (!this.atEnd()) throw this.fail(message);
  }

  /** FILTER = orExp; precedence: not, then and, then or (RFC 7644 §3.4.2.2, Table 5). */
  parseFilter(inValuePath: boolean): Filter {
    let left = this.parseAnd(inValuePath);
    while (this.isWord(this.peek(), 'or')) {
      this.pos++;
      left = { op: 'or', left, right: this.parseAnd(inValuePath) };
    }
    return left;
  }

  private parseAnd(inValuePath: boolean): Filter {
    let left = this.parseUnary(inValuePath);
    while (this.isWord(this.peek(), 'and')) {
      this.pos++;
      left = { op: 'and', left, right: this.parseUnary(inValuePath) };
    }
    return left;
  }

  private parseUnary(inValuePath: boolean): Filter {
    const token = this.peek();
    if (!token) throw this.fail('expected an expression');
    if (this.isWord(token, 'not')) {
      this.pos++;
      if (this.peek()?.kind !== '(') throw this.fail('expected "(" after not');
      return { op: 'not', filter: this.parseGroup(inValuePath) };
    }
    if (token.kind === '(') return this.parseGroup(inValuePath);
    if (token.kind !== 'word') throw this.fail('expected an attribute name');
    this.pos++;
    const path = toAttrPath(token.text, token.at, this.source, this.kind);
    const next = this.peek();
    if (next?.kind === '[') {
      if (inValuePath) throw this.fail('a value filter cannot hold another', next);
      if (path.sub !== null)
        throw this.fail('a value filter follows an attribute, not a sub-attribute', next);
      this.pos++;
      const filter = this.parseFilter(true);
      const close = this.peek();
      if (close?.kind !== ']') throw this.fail('expected "]"');
      this.pos++;
      const sub = this.peek();
      // `emails[type eq "work"].value eq "x"`: a PATCH path's form, outside RFC 7644's filter grammar, which Entra
      // ID sends when it matches users by their work email. It reads as one value meeting both conditions:
      // `emails[type eq "work" and value eq "x"]`. `].value` tokenizes as one word starting right after the bracket.
      if (sub?.kind === 'word' && sub.at === close.at + 1 && sub.text.startsWith('.')) {
        if (!/^\.\$?[A-Za-z][A-Za-z0-9_-]*$/.test(sub.text)) throw this.fail('expected ".subAttribute"', sub);
        this.pos++;
        const name = sub.text.slice(1);
        const condition = this.comparison({ uri: null, name, sub: null, text: name, at: sub.at + 1 }, sub);
        return { op: 'valuePath', path, filter: { op: 'and', left: filter, right: condition } };
      }
      return { op: 'valuePath', path, filter };
    }
    return this.comparison(path, token);
  }

  /** `path op value` or `path pr`, the path read already (from `token`). */
  private comparison(path: AttrPath, token: Token & { kind: 'word' }): Filter {
    const next = this.peek();
    if (next?.kind !== 'word') throw this.fail(`expected an operator after ${token.text}`);
    const op = next.text.toLowerCase();
    this.pos++;
    if (op === 'pr') return { op: 'pr', path };
    if (!(COMPARE_OPS as readonly string[]).includes(op))
      throw this.fail(`unknown operator "${next.text}" (use one of ${COMPARE_OPS.join(' ')} pr)`, next);
    const value = this.peek();
    if (value?.kind !== 'value')
      throw this.fail(`expected a value (a "string", number, true, false or null) after ${next.text}`);
    this.pos++;
    return { op: op as CompareOp, path, value: value.value };
  }

  private parseGroup(inValuePath: boolean): Filter {
    this.pos++;
    const inner = this.parseFilter(inValuePath);
    if (this.peek()?.kind !== ')') throw this.fail('expected ")"');
    this.pos++;
    return inner;
  }

  parsePath(): PatchPath {
    const token = this.peek();
    if (token?.kind !== 'word') throw this.fail('expected an attribute path');
    this.pos++;
    const attr = toAttrPath(token.text, token.at, this.source, 'path');
    if (this.peek()?.kind !== '[') {
      this.expectEnd('unexpected text after the path');
      return { attr, filter: null, sub: null, text: this.source };
    }
    if (attr.sub !== null) throw this.fail('a value filter follows an attribute, not a sub-attribute');
    this.pos++;
    const filter = this.parseFilter(true);
    if (this.peek()?.kind !== ']') throw this.fail('expected "]"');
    const close = this.peek() as Token;
    this.pos++;
    let sub: string | null = null;
    const after = this.peek();
    if (after) {
      // `].value` tokenizes as one word ".value" starting right after the bracket.
      if (
        after.kind !== 'word' ||
        after.at !== close.at + 1 ||
        !/^\.\$?[A-Za-z][A-Za-z0-9_-]*$/.test(after.text)
      )
        throw this.fail('expected ".subAttribute" or the end after "]"', after);
      sub = after.text.slice(1);
      this.pos++;
    }
    this.expectEnd('unexpected text after the path');
    return { attr, filter, sub, text: this.source };
  }
}

/** Parses a filter; a syntax error is an invalidFilter naming the character where it is. */
export function parseFilter(source: string): Filter {
  const parser = new Parser(tokenize(source, 'filter'), source, 'filter');
  const filter = parser.parseFilter(false);
  parser.expectEnd('expected "and", "or" or the end');
  return filter;
}

/**
 * Paths already parsed: the attribute map renders every User through the same few paths, and IdPs send the
 * same ones again and again. Parsed paths are only read, never changed, so one object serves every caller.
 */
const parsedPaths = new Map<string, PatchPath>();

/** Parses a PATCH path; a syntax error is an invalidPath naming the character where it is. */
export function parsePath(source: string): PatchPath {
  const cached = parsedPaths.get(source);
  if (cached) return cached;
  const parsed = new Parser(tokenize(source, 'path'), source, 'path').parsePath();
  // Bounded: paths come from requests too.
  if (parsedPaths.size >= 1000) parsedPaths.clear();
  parsedPaths.set(source, parsed);
  return parsed;
}

/** How many comparisons a filter holds: a bound on the work one request may ask for. */
export function filterSize(filter: Filter): number {
  switch (filter.op) {
    case 'and':
    case 'or':
      return filterSize(filter.left) + filterSize(filter.right);
    case 'not':
    case 'valuePath':
      return filterSize(filter.filter);
    default:
      return 1;
  }
}

/** What a checked filter compares: each path resolved against the schema once. */
export type Checked =
  | { op: 'pr'; at: Resolved }
  | { op: CompareOp; at: Resolved; value: CompareValue }
  | { op: 'and' | 'or'; left: Checked; right: Checked }
  | { op: 'not'; filter: Checked }
  | { op: 'valuePath'; at: Resolved; filter: CheckedSub };

/** Inside a value filter the paths name sub-attributes of the multi-valued attribute. */
type CheckedSub =
  | { op: 'pr'; sub: AttributeDef }
  | { op: CompareOp; sub: AttributeDef; value: CompareValue }
  | { op: 'and' | 'or'; left: CheckedSub; right: CheckedSub }
  | { op: 'not'; filter: CheckedSub };

const ORDERED = new Set(['string', 'dateTime', 'integer', 'decimal', 'reference']);

function checkCompare(
  kind: 'filter' | 'path',
  def: AttributeDef,
  op: CompareOp | 'pr',
  value: CompareValue,
  path: AttrPath,
  source: string,
) {
  if (op === 'pr' || op === 'eq' || op === 'ne') return;
  if (value === null) throw invalid(kind, `"${op}" needs a value other than null`, source, path.at);
  if ((op === 'co' || op === 'sw' || op === 'ew') && def.type !== 'string' && def.type !== 'reference')
    throw invalid(kind, `"${op}" applies to strings; ${path.text} is ${def.type}`, source, path.at);
  if (!ORDERED.has(def.type))
    throw invalid(kind, `"${op}" cannot order ${def.type} attribute ${path.text}`, source, path.at);
}

/**
 * Resolves every attribute of a filter against the resource type's schema. An attribute the schema does not
 * declare is an invalidFilter, not an empty result: an IdP told "no such user" would create a duplicate.
 */
export function checkFilter(filter: Filter, schema: ResourceSchema, source: string): Checked {
  switch (filter.op) {
    case 'and':
    case 'or':
      return {
        op: filter.op,
        left: checkFilter(filter.left, schema, source),
        right: checkFilter(filter.right, schema, source),
      };
    case 'not':
      return { op: 'not', filter: checkFilter(filter.filter, schema, source) };
    case 'valuePath': {
      const at = resolveAttribute(schema, filter.path);
      if (!at) throw unknownAttribute(filter.path, source);
      if (!at.def.multiValued && at.def.type !== 'complex')
        throw invalid('filter', `${filter.path.text} is not multi-valued or complex`, source, filter.path.at);
      return { op: 'valuePath', at, filter: checkSub(filter.filter, at.def, source, 'filter') };
    }
    default: {
      const at = resolveAttribute(schema, filter.path);
      if (!at) throw unknownAttribute(filter.path, source);
      const def = at.sub ?? valueDef(at.def);
      checkCompare('filter', def, filter.op, filter.op === 'pr' ? null : filter.value, filter.path, source);
      return filter.op === 'pr' ? { op: 'pr', at } : { op: filter.op, at, value: filter.value };
    }
  }
}

function checkSub(filter: Filter, parent: AttributeDef, source: string, kind: 'filter' | 'path'): CheckedSub {
  switch (filter.op) {
    case 'and':
    case 'or':
      return {
        op: filter.op,
        left: checkSub(filter.left, parent, source, kind),
        right: checkSub(filter.right, parent, source, kind),
      };
    case 'not':
      return { op: 'not', filter: checkSub(filter.filter, parent, source, kind) };
    case 'valuePath':
      throw invalid(kind, 'a value filter cannot hold another', source, filter.path.at);
    default: {
      if (filter.path.uri !== null || filter.path.sub !== null)
        throw invalid(
          kind,
          `"${filter.path.text}" is not a sub-attribute of ${parent.name}`,
          source,
          filter.path.at,
        );
      const sub = (parent.subAttributes ?? []).find(
        (d) => d.name.toLowerCase() === filter.path.name.toLowerCase(),
      );
      if (!sub)
        throw invalid(
          kind,
          `${parent.name} has no sub-attribute "${filter.path.name}"`,
          source,
          filter.path.at,
        );
      checkCompare(kind, sub, filter.op, filter.op === 'pr' ? null : filter.value, filter.path, source);
      return filter.op === 'pr' ? { op: 'pr', sub } : { op: filter.op, sub, value: filter.value };
    }
  }
}

function unknownAttribute(path: AttrPath, source: string): ScimError {
  return invalid('filter', `no attribute "${path.text}" in this resource type's schema`, source, path.at);
}

/** A complex multi-valued attribute compared without a sub-attribute compares its `value` (RFC 7644 §3.4.2.2). */
function valueDef(def: AttributeDef): AttributeDef {
  if (def.type !== 'complex') return def;
  return (def.subAttributes ?? []).find((s) => s.name === 'value') ?? def;
}

/** Parse and check in one step. */
export function compileFilter(source: string, schema: ResourceSchema): Checked {
  return checkFilter(parseFilter(source), schema, source);
}

function present(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.some(present);
  if (isObject(value)) return Object.values(value).some(present);
  return true;
}

function field(object: JsonObject, name: string): Json | undefined {
  const key = keyOf(object, name);
  return key === undefined ? undefined : object[key];
}

/** The values an attribute reference reaches in a resource, flattened over multi-valued attributes. */
function valuesAt(resource: JsonObject, at: Resolved): Json[] {
  const holder = containerOf(resource, at.container);
  if (!holder) return [];
  const raw = field(holder, at.def.name);
  if (raw === undefined || raw === null) return [];
  const items = Array.isArray(raw) ? raw : [raw];
  if (at.def.type !== 'complex') return items;
  const subName = at.sub?.name ?? 'value';
  return items.flatMap((item) => {
    if (!isObject(item)) return [];
    const v = field(item, subName);
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  });
}

function asBoolean(value: Json | CompareValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  // Tolerant: "True"/"False" as strings (Entra writes booleans so).
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return undefined;
}

function compareOne(
  def: AttributeDef,
  op: CompareOp,
  actual: Json,
  expected: string | number | boolean,
): boolean {
  if (def.type === 'boolean') {
    const a = asBoolean(actual);
    const e = asBoolean(expected);
    return op === 'eq' ? a === e : a !== e;
  }
  if (def.type === 'integer' || def.type === 'decimal') {
    const a = Number(actual);
    const e = Number(expected);
    if (Number.isNaN(a) || Number.isNaN(e)) return op === 'ne';
    return ordered(op, a - e);
  }
  if (def.type === 'dateTime') {
    const a = Date.parse(String(actual));
    const e = Date.parse(String(expected));
    if (Number.isNaN(a) || Number.isNaN(e)) return op === 'ne';
    return ordered(op, a - e);
  }
  let a = String(actual);
  let e = String(expected);
  // caseExact false (userName, emails.value...): compared without regard to case (RFC 7643 §2.2).
  if (!def.caseExact) {
    a = a.toLowerCase();
    e = e.toLowerCase();
  }
  switch (op) {
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    default:
      return ordered(op, a < e ? -1 : a > e ? 1 : 0);
  }
}

function ordered(op: CompareOp, diff: number): boolean {
  switch (op) {
    case 'eq':
      return diff === 0;
    case 'ne':
      return diff !== 0;
    case 'gt':
      return diff > 0;
    case 'ge':
      return diff >= 0;
    case 'lt':
      return diff < 0;
    case 'le':
      return diff <= 0;
    default:
      return false;
  }
}

/**
 * A multi-valued attribute matches when any of its values does; `ne` is the negation of `eq` (no value
 * equal), and an absent attribute is `ne` anything and matches no other operator.
 */
function compareValues(def: AttributeDef, op: CompareOp, values: Json[], expected: CompareValue): boolean {
  // `eq null` asks for an unassigned attribute, `ne null` for an assigned one.
  if (expected === null) return op === 'eq' ? !present(values) : present(values);
  if (op === 'ne') return !values.some((v) => compareOne(def, 'eq', v, expected));
  if (values.length === 0) return false;
  return values.some((v) => compareOne(def, op, v, expected));
}

/** Whether the filter reads any of these core attributes (names lower-cased), or any extension's attribute. */
export function reads(filter: Checked, names: ReadonlySet<string>): boolean {
  switch (filter.op) {
    case 'and':
    case 'or':
      return reads(filter.left, names) || reads(filter.right, names);
    case 'not':
      return reads(filter.filter, names);
    default:
      return filter.at.container !== null || names.has(filter.at.def.name.toLowerCase());
  }
}

export function evaluate(filter: Checked, resource: JsonObject): boolean {
  switch (filter.op) {
    case 'and':
      return evaluate(filter.left, resource) && evaluate(filter.right, resource);
    case 'or':
      return evaluate(filter.left, resource) || evaluate(filter.right, resource);
    case 'not':
      return !evaluate(filter.filter, resource);
    case 'pr':
      return present(valuesAt(resource, filter.at));
    case 'valuePath': {
      const holder = containerOf(resource, filter.at.container);
      const raw = holder ? field(holder, filter.at.def.name) : undefined;
      const items = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
      return items.some((item) => isObject(item) && evaluateSub(filter.filter, item));
    }
    default:
      return compareValues(
        filter.at.sub ?? valueDef(filter.at.def),
        filter.op,
        valuesAt(resource, filter.at),
        filter.value,
      );
  }
}

/** Evaluates a value filter against one value of a multi-valued attribute. */
export function evaluateSub(filter: CheckedSub, item: JsonObject): boolean {
  switch (filter.op) {
    case 'and':
      return evaluateSub(filter.left, item) && evaluateSub(filter.right, item);
    case 'or':
      return evaluateSub(filter.left, item) || evaluateSub(filter.right, item);
    case 'not':
      return !evaluateSub(filter.filter, item);
    case 'pr':
      return present(field(item, filter.sub.name));
    default: {
      const v = field(item, filter.sub.name);
      const values = v === undefined || v === null ? [] : [v];
      return compareValues(filter.sub, filter.op, values, filter.value);
    }
  }
}

export type { CheckedSub };

/** Checks a value filter of a PATCH path against its multi-valued attribute; its faults are invalidPath errors. */
export function checkValueFilter(filter: Filter, parent: AttributeDef, source: string): CheckedSub {
  return checkSub(filter, parent, source, 'path');
}
