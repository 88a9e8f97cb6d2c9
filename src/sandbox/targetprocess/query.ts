/** @module The Targetprocess REST v1 query language as the sandbox reads it: `where` clauses and `include` lists. */

/** A literal in a where clause. */
export type Literal =
  | { type: 'number'; value: number }
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean };

export type CompareOp = 'eq' | 'ne' | 'gt' | 'lt' | 'gte' | 'lte';

/** One condition; a where clause is the conjunction of its conditions (`or` is not supported). */
export type Condition =
  | { kind: 'compare'; path: string; op: CompareOp; value: Literal }
  | { kind: 'null'; path: string; negated: boolean }
  | { kind: 'in'; path: string; values: Literal[] }
  | { kind: 'contains'; path: string; value: Literal; negated: boolean };

/** A malformed query parameter. The message is terse on purpose: the real API gives little detail. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
}

type Token =
  | { t: 'open' }
  | { t: 'close' }
  | { t: 'comma' }
  | { t: 'word'; v: string }
  | { t: 'number'; v: number }
  | { t: 'string'; v: string };

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'gt', 'lt', 'gte', 'lte']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(') {
      tokens.push({ t: 'open' });
      i++;
    } else if (c === ')') {
      tokens.push({ t: 'close' });
      i++;
    } else if (c === ',') {
      tokens.push({ t: 'comma' });
      i++;
    } else if (c === "'") {
      // Vendor rule: a quote inside a value is escaped with a preceding backslash ('o\'brien').
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new QueryError('Invalid where clause');
        const d = text[i] as string;
        if (d === '\\' && (text[i + 1] === "'" || text[i + 1] === '\\')) {
          value += text[i + 1];
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ t: 'string', v: value });
    } else if (/[-0-9]/.test(c)) {
      const match = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (!match) throw new QueryError('Invalid where clause');
      tokens.push({ t: 'number', v: Number(match[0]) });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(text.slice(i));
      if (!match) throw new QueryError('Invalid where clause');
      tokens.push({ t: 'word', v: match[0] });
      i += match[0].length;
    } else {
      throw new QueryError('Invalid where clause');
    }
  }
  return tokens;
}

/** Parses a where clause: `(Email eq 'a@b.c') and (DeleteDate is null)`; brackets optional, `and` any case. */
export function parseWhere(text: string): Condition[] {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (): never => {
    throw new QueryError('Invalid where clause');
  };
  const word = (tok: Token | undefined, w: string) => tok?.t === 'word' && tok.v.toLowerCase() === w;

  const literal = (): Literal => {
    const tok = tokens[pos++];
    if (tok?.t === 'number') return { type: 'number', value: tok.v };
    if (tok?.t === 'string') return { type: 'string', value: tok.v };
    if (word(tok, 'true')) return { type: 'bool', value: true };
    if (word(tok, 'false')) return { type: 'bool', value: false };
    return fail();
  };

  const condition = (): Condition => {
    const pathTok = tokens[pos++];
    if (pathTok?.t !== 'word') return fail();
    const path = pathTok.v;
    const opTok = tokens[pos++];
    if (opTok?.t !== 'word') return fail();
    const op = opTok.v.toLowerCase();
    if (COMPARE_OPS.has(op)) return { kind: 'compare', path, op: op as CompareOp, value: literal() };
    if (op === 'is') {
      const negated = word(peek(), 'not');
      if (negated) pos++;
      if (!word(tokens[pos++], 'null')) fail();
      return { kind: 'null', path, negated };
    }
    if (op === 'contains') return { kind: 'contains', path, value: literal(), negated: false };
    if (op === 'not') {
      if (!word(tokens[pos++], 'contains')) fail();
      return { kind: 'contains', path, value: literal(), negated: true };
    }
    if (op === 'in') {
      if (tokens[pos++]?.t !== 'open') fail();
      const values = [literal()];
      while (peek()?.t === 'comma') {
        pos++;
        values.push(literal());
      }
      if (tokens[pos++]?.t !== 'close') fail();
      return { kind: 'in', path, values };
    }
    return fail();
  };

  const term = (): Condition[] => {
    if (peek()?.t === 'open') {
      pos++;
      const inner = conjunction();
      if (tokens[pos++]?.t !== 'close') fail();
      return inner;
    }
    return [condition()];
  };

  const conjunction = (): Condition[] => {
    const out = term();
    while (word(peek(), 'and')) {
      pos++;
      out.push(...term());
    }
    // The vendor documents that `or` is not supported: it is a syntax error like any other.
    return out;
  };

  if (tokens.length === 0) fail();
  const result = conjunction();
  if (pos !== tokens.length) fail();
  return result;
}

/** One entry of an `include=[...]` list: a field, optionally with its own inner field list. */
export interface IncludeSpec {
  name: string;
  inner: IncludeSpec[] | null;
}

/** Parses `[FirstName, Role[Name], Teams]`. The outer brackets are required, as in the vendor docs. */
export function parseFieldList(text: string): IncludeSpec[] {
  let pos = 0;
  const fail = (): never => {
    throw new QueryError('Invalid include/exclude parameter');
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };
  const list = (): IncludeSpec[] => {
    skipSpace();
    if (text[pos] !== '[') fail();
    pos++;
    const out: IncludeSpec[] = [];
    skipSpace();
    if (text[pos] === ']') {
      pos++;
      return out;
    }
    for (;;) {
      skipSpace();
      const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(pos));
      if (!match) fail();
      const name = (match as RegExpExecArray)[0];
      pos += name.length;
      skipSpace();
      const inner = text[pos] === '[' ? list() : null;
      out.push({ name, inner });
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === ']') {
        pos++;
        return out;
      }
      fail();
    }
  };
  const result = list();
  skipSpace();
  if (pos !== text.length) fail();
  return result;
}
