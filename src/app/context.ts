/** @module The Roster context every use case runs in: the config, one open store, lazily built connectors, who acts. */

import type { AppConfig, RosterConfig } from '../config/schema.js';
import { connectorFor } from '../connectors/registry.js';
import type { CreateConnectorOptions } from '../connectors/sdk/create.js';
import type { CapabilityManifest, Connector } from '../connectors/sdk/types.js';
import { RosterError } from '../core/errors.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';

export interface Roster {
  readonly config: RosterConfig;
  readonly store: Store;
  /** Who the audit log names for what this context does: an OS user, a token's name, "scheduler"... */
  readonly actor: string;
  now(): Date;
  /** The live connector for one configured app, built on first use and closed with the context. */
  connector(appId: string): Connector;
  /** What each configured app's API can do. Building a connector makes no request. */
  manifests(): Record<string, CapabilityManifest>;
  /** The configured app, or an error naming the ones there are. */
  app(appId: string, where?: string): AppConfig;
  close(): Promise<void>;
}

export interface OpenRosterOptions {
  actor?: string;
  /** An already open store (tests, the server): the context does not close it. */
  store?: Store;
  now?: () => Date;
  connectors?: CreateConnectorOptions;
  /**
   * Connectors kept by the caller across contexts (the server's SCIM facade builds one per app and config, not one
   * per request): used instead of building one, and not closed with the context.
   */
  sharedConnector?: (app: AppConfig) => Connector;
}

/** Opens the store the config names and returns the context the use cases take. */
export async function openRoster(config: RosterConfig, options: OpenRosterOptions = {}): Promise<Roster> {
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await openStore(config.store));
  const live = new Map<string, Connector>();
  const byId = new Map(config.apps.map((app) => [app.id, app]));

  const app = (appId: string, where = '--app'): AppConfig => {
    const found = byId.get(appId);
    if (found) return found;
    throw new RosterError('invalid_input', `no app "${appId}" in roster.yaml`, {
      where,
      fix: `use one of: ${[...byId.keys()].join(', ')}`,
    });
  };
  const connector = (appId: string): Connector => {
    if (options.sharedConnector) return options.sharedConnector(app(appId));
    let c = live.get(appId);
    if (!c) {
      c = connectorFor(app(appId), options.connectors);
      live.set(appId, c);
    }
    return c;
  };

  return {
    config,
    store,
    actor: options.actor ?? 'roster',
    now: options.now ?? (() => new Date()),
    connector,
    manifests: () => Object.fromEntries(config.apps.map((a) => [a.id, connector(a.id).manifest])),
    app,
    async close() {
      await Promise.all([...live.values()].map((c) => c.close()));
      live.clear();
      if (ownsStore) await store.close();
    },
  };
}

/** Runs `work` in a fresh context and always closes it. */
export async function withRoster<T>(
  config: RosterConfig,
  options: OpenRosterOptions,
  work: (roster: Roster) => Promise<T>,
): Promise<T> {
  const roster = await openRoster(config, options);
  try {
    return await work(roster);
  } finally {
    await roster.close();
  }
}

/** The selected app ids in roster.yaml order (all of them when none is named); unknown ids are an error. */
export function selectApps(roster: Roster, wanted: readonly string[] | undefined): string[] {
  if (!wanted || wanted.length === 0) return roster.config.apps.map((a) => a.id);
  return wanted.map((id) => roster.app(id).id);
}
