/** @module Desired state: the policy evaluated for every person — which apps, which attributes, which entitlements. */

import { traitsOf } from '../connectors/registry.js';
import { closest } from '../core/suggest.js';
import type { AppType, EntitlementKind, Person } from '../core/types.js';
import { isKnownField, matchesWhen, PERSON_FIELDS, renderTemplate } from './match.js';
import { GRANT_LISTS, type Policy } from './policy.js';

/** What desired-state evaluation needs to know about an app. */
export interface DesiredApp {
  id: string;
  type: AppType;
  /** Entitlement kinds the app has (from its manifest): decides whether `role` is an entitlement or an attribute. */
  kinds: readonly EntitlementKind[];
  /**
   * Where the connector has custom fields the app drops silently unless they exist (its `customFields` trait):
   * the keys this app's config allows.
   */
  customFieldKeys?: readonly string[];
}

export interface DesiredEntitlement {
  kind: EntitlementKind;
  name: string;
  rule: string;
  /** Came from a rule's single `role`: a later rule's `role` replaces it. */
  single?: boolean;
}

export interface DesiredAccount {
  appId: string;
  employeeId: string;
  /** The rules that gave this person the app, in policy order. */
  rules: string[];
  /** App field → value (identity fields and names, then app attributes), with the rule each came from. */
  fields: Record<string, { value: string; rule: string | null }>;
  entitlements: DesiredEntitlement[];
  /** A rule giving this app said to leave the privileged entitlements the person holds alone. */
  keepPrivileged: boolean;
}

export interface LeaverVerdict {
  employeeId: string;
  action: 'deactivate' | 'delete';
  /** False while the grace period runs: the leaver's access is left alone for now. */
  due: boolean;
  dueAt: string;
}

export interface DesiredState {
  /** appId → employeeId → what the person should have there. */
  accounts: Map<string, Map<string, DesiredAccount>>;
  /** appId → people a matching rule says must have no account there (`account: false`). */
  denied: Map<string, Set<string>>;
  leavers: Map<string, LeaverVerdict>;
  warnings: string[];
  /**
   * What a rule asks for that cannot be done as written (a custom field the portal lacks, a condition on a field
   * no person has): the plan shows these and cannot be applied.
   */
  errors: { appId: string; rule: string; message: string }[];
}

const DAY = 86_400_000;

/** When a leaver's access goes: end date (or now, without one) plus the grace days. */
export function leaverVerdict(person: Person, policy: Policy, now: Date): LeaverVerdict {
  const end = person.endDate ? Date.parse(person.endDate) : Number.NaN;
  const from = Number.isNaN(end) ? now.getTime() : end;
  const dueAt = new Date(from + policy.leavers.graceDays * DAY);
  return {
    employeeId: person.employeeId,
    action: policy.leavers.action,
    due: dueAt.getTime() <= now.getTime(),
    dueAt: dueAt.toISOString(),
  };
}

type Rule = Policy['rules'][number];
type Grant = Rule['apps'][string];
type PlanErrors = Map<string, { appId: string; rule: string; message: string }>;

/** What is the same for every person, worked out once: each app's connector traits and each rule's apps here. */
interface Evaluation {
  byId: Map<string, DesiredApp>;
  traits: Map<string, AppTraits>;
  ruleApps: [string, Grant][][];
}

function evaluation(policy: Policy, apps: readonly DesiredApp[]): Evaluation {
  const byId = new Map(apps.map((a) => [a.id, a]));
  return {
    byId,
    traits: new Map(apps.map((a) => [a.id, traitOf(a)])),
    ruleApps: policy.rules.map((rule) => Object.entries(rule.apps).filter(([appId]) => byId.has(appId))),
  };
}

/** Evaluates the policy for every person. Pure: same people, policy and clock, same result. */
export function desiredState(input: {
  people: readonly Person[];
  policy: Policy;
  apps: readonly DesiredApp[];
  now: Date;
}): DesiredState {
  return evaluate(input, true);
}

/**
 * The policy's verdicts without the accounts it gives: leavers, denials, warnings and errors as desiredState has
 * them (its `accounts` maps are empty). A plan takes each app's accounts from desiredAccountsOf, one at a time.
 */
export function desiredVerdicts(input: {
  people: readonly Person[];
  policy: Policy;
  apps: readonly DesiredApp[];
  now: Date;
}): DesiredState {
  return evaluate(input, false);
}

/**
 * The accounts the policy gives people in one app, in people order, each made as it is asked for: the same values
 * desiredState puts in `accounts.get(app.id)`, without holding every person's for every app at once.
 */
export function* desiredAccountsOf(input: {
  people: readonly Person[];
  policy: Policy;
  apps: readonly DesiredApp[];
  app: string;
}): Generator<DesiredAccount> {
  const { people, policy } = input;
  const { byId, traits, ruleApps } = evaluation(policy, input.apps);
  const app = byId.get(input.app);
  if (app === undefined) return;
  const trait = traits.get(app.id) as AppTraits;
  // The rules that give this app, in policy order, with what each gives.
  const rules: [Rule, Grant][] = [];
  for (let r = 0; r < policy.rules.length; r++) {
    for (const [appId, grant] of ruleApps[r] as [string, Grant][]) {
      if (appId === app.id) rules.push([policy.rules[r] as Rule, grant]);
    }
  }
  // Errors were counted by desiredVerdicts; the same ones found again here are dropped.
  const errors: PlanErrors = new Map();
  for (const person of people) {
    if (person.status === 'leaver') continue;
    let desired: DesiredAccount | undefined;
    let denied = false;
    for (const [rule, grant] of rules) {
      if (!matchesWhen(person, rule.when)) continue;
      if (grant.account === false) {
        denied = true;
        continue;
      }
      desired = give(desired, app, trait, rule, grant, person, errors);
    }
    if (desired !== undefined && !denied) yield desired;
  }
}

/**
 * Every app field a desired account of this app may carry: its connector's defaults, the attributes the rules
 * giving it set, a role where the app has no roles (as give() makes them). What a plan may compare with the
 * accounts the app holds.
 */
export function desiredFieldsOf(app: DesiredApp, policy: Policy): Set<string> {
  const fields = new Set(Object.keys(traitsOf(app.type).attributeMap));
  for (const rule of policy.rules) {
    const grant = rule.apps[app.id];
    if (grant === undefined || grant.account === false) continue;
    for (const field of Object.keys(grant.account?.attributes ?? {})) fields.add(field);
    if (grant.role !== undefined && !app.kinds.includes('role')) fields.add('role');
  }
  return fields;
}

function evaluate(
  input: { people: readonly Person[]; policy: Policy; apps: readonly DesiredApp[]; now: Date },
  withAccounts: boolean,
): DesiredState {
  const { people, policy, apps, now } = input;
  const { byId, traits, ruleApps } = evaluation(policy, apps);
  const accounts = new Map<string, Map<string, DesiredAccount>>(apps.map((a) => [a.id, new Map()]));
  const denied = new Map<string, Set<string>>(apps.map((a) => [a.id, new Set()]));
  const leavers = new Map<string, LeaverVerdict>();
  const warnings = new Set<string>();
  const errors: PlanErrors = new Map();

  for (const rule of policy.rules) {
    for (const appId of Object.keys(rule.apps)) {
      // roster.yaml refuses an app it does not have; here it is only one left out of this plan (--app).
      if (!byId.has(appId))
        warnings.add(`rule "${rule.name}" names app "${appId}", which this plan leaves out`);
    }
  }
  for (const error of unknownConditions(policy, people))
    errors.set(`when:${error.rule}:${error.message}`, error);

  for (const person of people) {
    if (person.status === 'leaver') {
      leavers.set(person.employeeId, leaverVerdict(person, policy, now));
      continue;
    }
    for (let r = 0; r < policy.rules.length; r++) {
      const rule = policy.rules[r] as Rule;
      if (!matchesWhen(person, rule.when)) continue;
      for (const [appId, grant] of ruleApps[r] as [string, Grant][]) {
        const app = byId.get(appId) as DesiredApp;
        const trait = traits.get(appId) as AppTraits;
        if (grant.account === false) {
          denied.get(appId)?.add(person.employeeId);
          continue;
        }
        if (!withAccounts) {
          // Only what a rule's own fields can get wrong, in the order a full evaluation meets it.
          for (const field of Object.keys(grant.account?.attributes ?? {})) {
            customFieldError(app, trait, field, rule.name, errors);
          }
          continue;
        }
        const perApp = accounts.get(appId) as Map<string, DesiredAccount>;
        const before = perApp.get(person.employeeId);
        const desired = give(before, app, trait, rule, grant, person, errors);
        if (before === undefined) perApp.set(person.employeeId, desired);
      }
    }
  }
  for (const [appId, ids] of denied) {
    for (const id of ids) accounts.get(appId)?.delete(id);
  }
  return { accounts, denied, leavers, warnings: [...warnings], errors: [...errors.values()] };
}

/** What one matching rule gives a person in one app, added to what earlier rules gave (made with the first). */
function give(
  existing: DesiredAccount | undefined,
  app: DesiredApp,
  trait: AppTraits,
  rule: Rule,
  grant: Grant,
  person: Person,
  errors: PlanErrors,
): DesiredAccount {
  let desired = existing;
  if (desired === undefined) {
    desired = {
      appId: app.id,
      employeeId: person.employeeId,
      // Made with its first rule, not pushed onto an empty array: a push leaves room for 16 more, per
      // person and app (tens of megabytes at 20k people).
      rules: [rule.name],
      fields: {},
      entitlements: [],
      keepPrivileged: false,
    };
    for (const [field, template] of trait.defaults) {
      setField(desired, app, trait, field, template, person, null, errors);
    }
  } else desired.rules.push(rule.name);
  if (grant.keepPrivileged) desired.keepPrivileged = true;
  const account = grant.account === false ? undefined : grant.account;
  for (const [field, template] of Object.entries(account?.attributes ?? {})) {
    setField(desired, app, trait, field, template, person, rule.name, errors);
  }
  if (grant.role !== undefined) {
    if (app.kinds.includes('role')) {
      // One role per account: a later rule's role replaces an earlier one.
      desired.entitlements = desired.entitlements.filter((e) => !(e.kind === 'role' && e.single));
      addEntitlement(desired, { kind: 'role', name: grant.role, rule: rule.name, single: true });
    } else {
      desired.fields['role'] = { value: grant.role, rule: rule.name };
    }
  }
  for (const { key, kind } of GRANT_LISTS) {
    for (const name of grant[key] ?? []) addEntitlement(desired, { kind, name, rule: rule.name });
  }
  return desired;
}

function addEntitlement(desired: DesiredAccount, entitlement: DesiredEntitlement): void {
  const same = (e: DesiredEntitlement) =>
    e.kind === entitlement.kind && e.name.toLowerCase() === entitlement.name.toLowerCase();
  if (!desired.entitlements.some(same)) desired.entitlements.push(entitlement);
}

/** What the connector of an app says about its fields: the default attribute map and its custom fields. */
interface AppTraits {
  defaults: [string, string][];
  custom: ReturnType<typeof traitsOf>['customFields'];
}

function traitOf(app: DesiredApp): AppTraits {
  const traits = traitsOf(app.type);
  return { defaults: Object.entries(traits.attributeMap), custom: traits.customFields };
}

/**
 * Whether a field is a custom field this app's portal lacks. A rule that names one is a plan error (the app would
 * drop it silently); a connector default naming one is simply not managed.
 */
function customFieldError(
  app: DesiredApp,
  { custom }: AppTraits,
  field: string,
  rule: string | null,
  errors: PlanErrors,
): boolean {
  if (!custom || !field.startsWith(custom.prefix)) return false;
  const key = field.slice(custom.prefix.length);
  if ((app.customFieldKeys ?? []).includes(key)) return false;
  if (rule !== null) {
    // A rule asked for it by name: silently not sending it would hide the mistake, so the plan refuses.
    errors.set(`${app.id}:${rule}:${key}`, {
      appId: app.id,
      rule,
      message: `rule "${rule}" sets ${field} in ${app.id}, but "${key}" is not one of the portal's custom fields (customFieldKeys: ${(app.customFieldKeys ?? []).join(', ') || 'none'}); the app would drop it silently — create the field in the portal and add it to customFieldKeys, or remove it from the rule`,
    });
  }
  // A default of the connector's map, not something the user wrote: the portal lacks the field, so it is
  // simply not managed (the app would drop it silently). Saying so on every plan would be noise.
  return true;
}

function setField(
  desired: DesiredAccount,
  app: DesiredApp,
  trait: AppTraits,
  field: string,
  template: string,
  person: Person,
  rule: string | null,
  errors: PlanErrors,
): void {
  if (customFieldError(app, trait, field, rule, errors)) return;
  const value = renderTemplate(template, person);
  if (value === null) {
    delete desired.fields[field];
    return;
  }
  desired.fields[field] = { value, rule };
}

const NO_COLUMNS: ReadonlySet<string> = new Set();

/**
 * Conditions on a field no person has (`departmnet`): such a rule never matches anyone, silently. Each is an error
 * naming the nearest field that does exist. With no people there is nothing to tell a typo from.
 */
function unknownConditions(
  policy: Policy,
  people: readonly Person[],
): { appId: string; rule: string; message: string }[] {
  if (people.length === 0) return [];
  // Every HR column any person has, gathered only if a condition names a field that is not a Person field: most
  // policies name only those, and gathering walks every person's attributes.
  let columns: Set<string> | undefined;
  const columnsOf = () => {
    if (columns === undefined) {
      columns = new Set();
      for (const person of people) for (const name in person.attributes) columns.add(name);
    }
    return columns;
  };
  const out: { appId: string; rule: string; message: string }[] = [];
  for (const rule of policy.rules) {
    for (const field of Object.keys(rule.when)) {
      if (isKnownField(field, NO_COLUMNS) || isKnownField(field, columnsOf())) continue;
      const known = [...PERSON_FIELDS, ...columnsOf()];
      const guess = closest(field, known);
      out.push({
        appId: Object.keys(rule.apps).join(', '),
        rule: rule.name,
        message: `rule "${rule.name}" has a condition on "${field}", which no person in the HR import has, so it matches nobody${guess ? ` — did you mean "${guess}"?` : ` (fields: ${known.join(', ')})`}`,
      });
    }
  }
  return out;
}
