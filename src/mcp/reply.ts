/**
 * @module How a Roster MCP tool answers: structured content (checked by the SDK against the tool's output schema)
 * with a short text summary, every secret the config holds scrubbed from both, and Roster errors turned into
 * tool errors that say where the problem is and what to do about it.
 */

import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { redact } from '../config/mask.js';
import { isRosterError } from '../core/errors.js';

/** The secret values a reply must never carry (longest first): `secretsOf(config)`. */
export type Secrets = readonly string[];

/** A copy of a JSON value with every secret replaced by `********`, wherever it sits. */
export function scrub<T>(value: T, secrets: Secrets): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item) => scrub(item, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item, secrets)])) as T;
  }
  return value;
}

/** A tool's answer: the structured result and a few lines an assistant (or a person reading along) can quote. */
export function answer(
  structured: Record<string, unknown>,
  summary: string,
  secrets: Secrets,
): CallToolResult {
  // A round trip through JSON drops `undefined` and turns dates into strings, as the wire would anyway.
  const plain = JSON.parse(JSON.stringify(structured)) as Record<string, unknown>;
  return {
    structuredContent: scrub(plain, secrets),
    content: [{ type: 'text', text: redact(summary, secrets) }],
  };
}

/** A failed call as a tool error: what went wrong, where, and the fix, so the assistant can relay or retry. */
export function failure(error: unknown, secrets: Secrets): CallToolResult {
  const text = isRosterError(error)
    ? `${error.code}: ${error.describe()}`
    : `internal: ${error instanceof Error ? error.message : String(error)}`;
  return { isError: true, content: [{ type: 'text', text: redact(text, secrets) }] };
}

/** Runs a tool body and answers, or answers with the error: a thrown error never reaches the SDK unscrubbed. */
export async function reply(
  secrets: Secrets,
  body: () => Promise<{ structured: Record<string, unknown>; summary: string }>,
): Promise<CallToolResult> {
  try {
    const { structured, summary } = await body();
    return answer(structured, summary, secrets);
  } catch (error) {
    return failure(error, secrets);
  }
}
