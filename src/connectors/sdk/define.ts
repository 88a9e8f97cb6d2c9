/** @module defineConnector and the capability manifest derived from what a connector implements. */

import type { AppType, EntitlementKind } from '../../core/types.js';
import {
  ACCOUNT_CAPABILITIES,
  type AppEntrySchema,
  type CapabilityManifest,
  type ConnectorDefinition,
  type ConnectorOps,
  ENTITLEMENT_CAPABILITIES,
} from './types.js';

/** Identity function that fixes the config type: a connector is written once, as data plus functions. */
export function defineConnector<const T extends string, S extends AppEntrySchema>(
  definition: ConnectorDefinition<T, S>,
): ConnectorDefinition<T, S> {
  return definition;
}

/** What a connector can do is what it implements; nothing is declared twice. */
export function deriveManifest(definition: ConnectorDefinition, ops: ConnectorOps): CapabilityManifest {
  const accounts = Object.fromEntries(
    ACCOUNT_CAPABILITIES.map((capability) => [capability, typeof ops.accounts[capability] === 'function']),
  ) as CapabilityManifest['accounts'];
  const entitlements: CapabilityManifest['entitlements'] = {};
  for (const [kind, entitlement] of Object.entries(ops.entitlements) as [
    EntitlementKind,
    typeof ops.entitlements.role,
  ][]) {
    if (!entitlement) continue;
    entitlements[kind] = Object.fromEntries(
      ENTITLEMENT_CAPABILITIES.map((capability) => [
        capability,
        typeof entitlement[capability] === 'function',
      ]),
    ) as Record<(typeof ENTITLEMENT_CAPABILITIES)[number], boolean>;
  }
  return {
    // The registry lists every definition, so a live connector's type is one of AppType.
    type: definition.type as AppType,
    accounts,
    entitlements,
    incremental: definition.incremental === true,
    notes: definition.unsupported ?? {},
  };
}
