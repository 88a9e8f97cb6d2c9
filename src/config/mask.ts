/** @module Keeps secrets out of sight: masks them in a config for display and scrubs them from any text. */

import type { RosterConfig } from './schema.js';

export const MASK = '********';

/** The secret fields of an app's auth block. */
const AUTH_SECRET_KEYS = ['token', 'password', 'key'] as const;

/**
 * Every secret value in a config-shaped tree, valid or not (the loader calls it before the schema runs,
 * so error messages can be scrubbed too): auth token/password/key, the Basic credential as it goes on the
 * wire, and the password in a postgres:// store URL. Encoded forms are included so they are caught too.
 */
export function collectSecrets(tree: unknown): string[] {
  const found = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value !== 'string' || value === '') return;
    found.add(value);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) found.add(encoded);
  };
  const root = asRecord(tree);
  const apps = root?.['apps'];
  if (Array.isArray(apps)) {
    for (const app of apps) {
      const auth = asRecord(asRecord(app)?.['auth']);
      if (!auth) continue;
      for (const key of AUTH_SECRET_KEYS) add(auth[key]);
      if (typeof auth['username'] === 'string' && typeof auth['password'] === 'string') {
        add(Buffer.from(`${auth['username']}:${auth['password']}`).toString('base64'));
      }
    }
  }
  // roster serve: webhook secrets, and notification URLs (a Slack incoming-webhook URL is its own credential).
  const server = asRecord(root?.['server']);
  for (const hook of Object.values(asRecord(server?.['webhooks']) ?? {})) add(asRecord(hook)?.['secret']);
  const sinks = server?.['notifications'];
  if (Array.isArray(sinks)) {
    for (const sink of sinks) {
      add(asRecord(sink)?.['secret']);
      add(asRecord(sink)?.['url']);
    }
  }
  const password = storePassword(root?.['store']);
  if (password) {
    add(password);
    add(safeDecode(password));
  }
  return [...found].sort((a, b) => b.length - a.length);
}

/** Every secret value a loaded config holds, longest first. */
export function secretsOf(config: RosterConfig): string[] {
  return collectSecrets(config);
}

/** A copy of the config with every secret replaced by `********`, for `roster config show` and logs. */
export function maskSecrets(config: RosterConfig): RosterConfig {
  const secrets = secretsOf(config);
  const apps = config.apps.map((app) => {
    const auth = { ...app.auth };
    for (const key of AUTH_SECRET_KEYS) {
      if (key in auth) (auth as Record<string, unknown>)[key] = MASK;
    }
    return { ...app, auth } as typeof app;
  });
  const masked: RosterConfig = { ...config, store: maskStore(config.store), apps };
  // A secret reused elsewhere (pasted into a URL, a policy note) is caught by value.
  return scrub(masked, secrets) as RosterConfig;
}

/**
 * Secrets shorter than this are not searched for in free text: a 1–3 character "secret" protects
 * nothing, and replacing every "t" in a message would make it unreadable. maskSecrets still masks them.
 */
export const MIN_REDACT_LENGTH = 4;

/** Replaces every occurrence of any known secret in the text by `********`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= MIN_REDACT_LENGTH) out = out.split(secret).join(MASK);
  }
  return out;
}

function scrub(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (Array.isArray(value)) return value.map((item) => scrub(item, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item, secrets)]));
  }
  return value;
}

function maskStore(store: string): string {
  const password = storePassword(store);
  if (!password) return store;
  const url = new URL(store);
  url.password = MASK;
  return url.toString();
}

function storePassword(store: unknown): string | undefined {
  if (typeof store !== 'string' || !/^postgres(ql)?:\/\//.test(store)) return undefined;
  try {
    return new URL(store).password || undefined;
  } catch {
    return undefined;
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
