/** @module ETags (RFC 7644 §3.14): meta.version as a weak tag from a stable hash, If-Match and If-None-Match. */

import { sha256 } from '../../core/sha256.js';
import { canonicalJson } from '../../store/json.js';
import { preconditionFailed } from './errors.js';
import { isObject, type JsonObject } from './schema.js';

/**
 * The version of a resource: a weak tag over everything but `meta` (which holds the version itself and
 * timestamps that do not change what the resource says).
 */
export function versionOf(resource: JsonObject): string {
  const { meta: _meta, ...content } = resource;
  const hash = sha256(canonicalJson(content), 'base64url').slice(0, 22);
  return `W/"${hash}"`;
}

/** The resource with meta.version set from its content. */
export function withVersion(resource: JsonObject): JsonObject {
  const meta = isObject(resource['meta']) ? resource['meta'] : {};
  return { ...resource, meta: { ...meta, version: versionOf(resource) } };
}

/**
 * A Group with its version set from its content, its members by id alone (`memberIds`, in the group's order): a
 * member's display is the user's name, not the group's, so the version reads the same whether the group was
 * rendered with its members named, by id, or without them (a group listed without its members is not read with
 * every member's account, nor rendered with them, to tag it).
 */
export function withGroupVersion(group: JsonObject, memberIds: readonly string[]): JsonObject {
  const { members: _members, ...content } = group;
  const meta = isObject(group['meta']) ? group['meta'] : {};
  return { ...group, meta: { ...meta, version: versionOf({ ...content, members: [...memberIds] }) } };
}

/** The entity tags of an If-Match/If-None-Match header; `*` stays `*`. */
export function parseTags(header: string): string[] {
  const tags: string[] = [];
  const pattern = /\s*(\*|(?:W\/)?"[^"]*")\s*(?:,|$)/gy;
  let match: RegExpExecArray | null = pattern.exec(header);
  while (match !== null && match[0] !== '') {
    tags.push(match[1] as string);
    match = pattern.exec(header);
  }
  return tags;
}

/** Weak comparison (RFC 7232 §2.3.2): the opaque parts equal, W/ ignored, as SCIM versions are weak. */
function sameTag(a: string, b: string): boolean {
  const opaque = (t: string) => (t.startsWith('W/') ? t.slice(2) : t);
  return opaque(a) === opaque(b);
}

/**
 * A write's If-Match precondition: passes when the header is absent, `*`, or names the current version;
 * otherwise a 412, so an IdP writing over a change it has not seen is told so instead of undoing it.
 */
export function checkIfMatch(header: string | undefined, current: string): void {
  if (header === undefined || header.trim() === '') return;
  const tags = parseTags(header);
  if (tags.includes('*') || tags.some((t) => sameTag(t, current))) return;
  throw preconditionFailed(`the resource has changed: its version is ${current}, not ${header.trim()}`);
}

/** A read's If-None-Match: true when the client's copy is current (answer 304 Not Modified). */
export function notModified(header: string | undefined, current: string): boolean {
  if (header === undefined || header.trim() === '') return false;
  const tags = parseTags(header);
  return tags.includes('*') || tags.some((t) => sameTag(t, current));
}
