/**
 * @module The SCIM facade's connectors: one per app and config generation, kept across requests (building one per
 * request cost a client, its connections and its token each time), closed when the server closes.
 */

import type { AppConfig } from '../../config/schema.js';
import { connectorFor } from '../../connectors/registry.js';
import type { Connector } from '../../connectors/sdk/types.js';

export interface ConnectorCache {
  /** The app's connector, built on first use; a reloaded roster.yaml (a new app object) gets a fresh one. */
  get(app: AppConfig): Connector;
  close(): Promise<void>;
}

export function connectorCache(): ConnectorCache {
  const live = new Map<string, { app: AppConfig; connector: Connector }>();
  // Connectors of an earlier config generation: a request may still be using one, so they close with the server.
  const retired: Connector[] = [];
  return {
    get(app) {
      const kept = live.get(app.id);
      if (kept?.app === app) return kept.connector;
      if (kept) retired.push(kept.connector);
      const connector = connectorFor(app);
      live.set(app.id, { app, connector });
      return connector;
    },
    async close() {
      const all = [...retired, ...[...live.values()].map((k) => k.connector)];
      live.clear();
      retired.length = 0;
      await Promise.all(all.map((c) => c.close()));
    },
  };
}
