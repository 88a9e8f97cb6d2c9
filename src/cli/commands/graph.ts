/** @module `roster graph`, `roster accounts`, `roster link` and `roster unlink`: the identity graph and its decisions. */

import { userInfo } from 'node:os';
import { type Command, Option } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { RosterConfig } from '../../config/schema.js';
import { RosterError } from '../../core/errors.js';
import type { LinkSituation } from '../../core/types.js';
import {
  appView,
  type GraphResult,
  type GraphSummary,
  personView,
  refreshGraph,
  SITUATIONS,
} from '../../identity/index.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { createOutput, type Output } from '../output.js';

export function registerGraphCommands(program: Command): void {
  program
    .command('graph')
    .description("who owns which account: a person's accounts across apps, an app's accounts, or the summary")
    .option('--person <email|id>', "one person's accounts and entitlements in every app")
    .option('--app <id>', "one app's accounts with their owners")
    .option('--json', 'print the result as JSON')
    .action(async (options: { person?: string; app?: string; json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      await withGraph(command, async ({ store, config, graph }) => {
        if (options.person !== undefined) return printPerson(out, store, options.person);
        if (options.app !== undefined) return printApp(out, store, knownApp(config, options.app));
        out.result(graph.summary);
        printSummary(out, graph.summary);
      });
    });

  program
    .command('accounts')
    .description('every synced account with the person it is tied to, or why it is not')
    .option('--app <id>', 'only this app')
    .addOption(new Option('--situation <situation>', 'only accounts in this situation').choices(SITUATIONS))
    .option('--json', 'print the accounts as JSON')
    .action(async (options: AccountsOptions, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      await withGraph(command, async ({ store, config }) => {
        const apps =
          options.app === undefined ? config.apps.map((a) => a.id) : [knownApp(config, options.app)];
        const rows = [];
        for (const appId of apps) {
          for (const view of await appView({ store, appId })) {
            if (options.situation === undefined || view.situation === options.situation) {
              rows.push({ appId, ...view });
            }
          }
        }
        out.result(rows);
        out.table([
          ['app', 'account', 'email', 'status', 'situation', 'owner', 'how'],
          ...rows.map((r) => [
            r.appId,
            r.account.id,
            r.account.email ?? r.account.login ?? '',
            r.account.status,
            r.situation ?? '',
            r.owner?.email ?? (r.candidates.length > 0 ? `one of ${r.candidates.join(', ')}` : ''),
            r.method ?? '',
          ]),
        ]);
        out.line(`\n${rows.length} ${rows.length === 1 ? 'account' : 'accounts'}`);
      });
    });

  program
    .command('link')
    .description('tie an account to a person by hand (kept across syncs until `roster unlink`)')
    .argument('<app>', 'app id from roster.yaml')
    .argument('<accountId>', "the app's id for the account")
    .argument('[person]', 'employee id or email of the person who owns it')
    .option('--nobody', 'the account belongs to no person (a service or shared account)')
    .option('--by <name>', 'who decided, for the audit trail', defaultActor())
    .option('--json', 'print the link as JSON')
    .action(
      async (
        appArg: string,
        accountId: string,
        personKey: string | undefined,
        options: LinkOptions,
        command: Command,
      ) => {
        const out = createOutput({ json: options.json ?? false });
        if ((personKey === undefined) === !options.nobody) {
          throw new RosterError('invalid_input', 'name the person who owns the account, or pass --nobody', {
            where: 'roster link',
            fix: 'roster link <app> <accountId> <employee id or email>, or roster link <app> <accountId> --nobody',
          });
        }
        await withStore(command, async ({ store, config }) => {
          const appId = knownApp(config, appArg);
          const account = await existingAccount(store, appId, accountId);
          const person = personKey === undefined ? null : await existingPerson(store, personKey);
          const link = await store.decideLink({
            appId,
            accountId,
            employeeId: person?.employeeId ?? null,
            decidedBy: options.by,
          });
          await store.appendAudit({
            actor: options.by,
            kind: 'link.decided',
            appId,
            subject: accountId,
            data: { employeeId: link.employeeId, accountEmail: account.email },
          });
          out.result(link);
          out.line(
            person === null
              ? `${appId} account ${accountId} now belongs to nobody (decided by ${options.by}).`
              : `${appId} account ${accountId} now belongs to ${person.email} (${person.employeeId}), decided by ${options.by}.`,
          );
        });
      },
    );

  program
    .command('unlink')
    .description('withdraw a decision made with `roster link`: correlation decides the account again')
    .argument('<app>', 'app id from roster.yaml')
    .argument('<accountId>', "the app's id for the account")
    .option('--by <name>', 'who withdrew it, for the audit trail', defaultActor())
    .option('--json', "print the account's link as correlation now sees it, as JSON")
    .action(
      async (
        appArg: string,
        accountId: string,
        options: { by: string; json?: boolean },
        command: Command,
      ) => {
        const out = createOutput({ json: options.json ?? false });
        await withStore(command, async ({ store, config }) => {
          const appId = knownApp(config, appArg);
          await existingAccount(store, appId, accountId);
          const decided = (await store.listLinks({ appId })).find(
            (l) => l.accountId === accountId && l.manual,
          );
          if (decided === undefined) {
            throw new RosterError(
              'not_found',
              `${appId} account ${accountId} has no manual link to withdraw`,
              {
                where: 'roster unlink',
                fix: `an account linked by correlation has nothing to withdraw; \`roster link\` decides it by hand`,
              },
            );
          }
          await store.undecideLink({ appId, accountId });
          await store.appendAudit({
            actor: options.by,
            kind: 'link.withdrawn',
            appId,
            subject: accountId,
            data: { employeeId: decided.employeeId },
          });
          // Hand the account back to correlation now, so what it decides is what this prints.
          const again = await refreshGraph({ store, config });
          const link = again.links.find((l) => l.appId === appId && l.accountId === accountId) ?? null;
          out.result({ withdrawn: decided, link });
          out.line(
            `Withdrew the manual link of ${appId} account ${accountId}; correlation now says: ` +
              (link === null
                ? 'no link'
                : `${link.situation}${link.employeeId ? ` to ${link.employeeId}` : ''}`),
          );
        });
      },
    );
}

interface AccountsOptions {
  app?: string;
  situation?: LinkSituation;
  json?: boolean;
}

interface LinkOptions {
  nobody?: boolean;
  by: string;
  json?: boolean;
}

interface Context {
  store: Store;
  config: RosterConfig;
}

/** Open the configured store for one command and close it afterwards. */
export async function withStore<T>(command: Command, run: (context: Context) => Promise<T>): Promise<T> {
  const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
  const store = await openStore(config.store);
  try {
    return await run({ store, config });
  } finally {
    await store.close();
  }
}

/** As withStore, with the identity graph brought up to date first (links written, findings computed). */
export async function withGraph<T>(
  command: Command,
  run: (context: Context & { graph: GraphResult }) => Promise<T>,
): Promise<T> {
  return withStore(command, async (context) =>
    run({ ...context, graph: await refreshGraph({ store: context.store, config: context.config }) }),
  );
}

/** Accounts per app by situation, for people. */
export function printSummary(out: Output, summary: GraphSummary, indent = 2): void {
  out.table(
    [
      ['app', 'accounts', ...SITUATIONS],
      ...Object.entries(summary.apps).map(([appId, counts]) => [
        appId,
        String(counts.accounts),
        ...SITUATIONS.map((s) => String(counts[s])),
      ]),
    ],
    indent,
  );
  const p = summary.people;
  out.line(
    `\n${' '.repeat(indent)}${p.total} people: ${p.withAccounts} with accounts, ${p.withoutAccounts} without any`,
  );
}

async function printPerson(out: Output, store: Store, key: string): Promise<void> {
  const view = await personView({ store, key });
  if (view === null) {
    throw new RosterError('not_found', `no person "${key}" in the last import`, {
      where: '--person',
      fix: 'give an employee id or an address the person answers to; `roster people` lists them',
    });
  }
  out.result(view);
  const { person, accounts } = view;
  out.line(`${person.firstName} ${person.lastName} <${person.email}> ${person.employeeId}, ${person.status}`);
  if (accounts.length === 0) {
    out.line('  no linked accounts');
    return;
  }
  out.table([
    ['app', 'account', 'status', 'admin', 'how', 'entitlements'],
    ...accounts.map((a) => [
      a.appId,
      a.account.id,
      a.account.status,
      a.account.isAdmin ? 'admin' : '',
      a.method ?? '',
      a.entitlements.join(', '),
    ]),
  ]);
  out.line(`\n${accounts.length} accounts in ${new Set(accounts.map((a) => a.appId)).size} apps`);
}

async function printApp(out: Output, store: Store, appId: string): Promise<void> {
  const views = await appView({ store, appId });
  out.result(views);
  out.table([
    ['account', 'email', 'status', 'situation', 'owner', 'owner status'],
    ...views.map((v) => [
      v.account.id,
      v.account.email ?? v.account.login ?? '',
      v.account.status,
      v.situation ?? '',
      v.owner ? `${v.owner.name} <${v.owner.email}>` : '',
      v.owner?.status ?? '',
    ]),
  ]);
  out.line(`\n${views.length} accounts in ${appId}`);
}

/** The app id, checked against roster.yaml. */
export function knownApp(config: RosterConfig, appId: string): string {
  if (config.apps.some((a) => a.id === appId)) return appId;
  throw new RosterError('invalid_input', `no app "${appId}" in roster.yaml`, {
    where: '--app',
    fix: `use one of: ${config.apps.map((a) => a.id).join(', ')}`,
  });
}

async function existingAccount(store: Store, appId: string, accountId: string) {
  const account = await store.getAccount({ appId, id: accountId });
  if (account !== null) return account;
  throw new RosterError('not_found', `${appId} has no account "${accountId}" in the last sync`, {
    where: `${appId}/${accountId}`,
    fix: `check the id with \`roster accounts --app ${appId}\`, or run \`roster sync\` first`,
  });
}

async function existingPerson(store: Store, key: string) {
  const person = key.includes('@')
    ? await store.getPerson({ email: key })
    : await store.getPerson({ employeeId: key });
  if (person !== null) return person;
  throw new RosterError('not_found', `no person "${key}" in the last import`, {
    where: key,
    fix: 'give an employee id or an address the person answers to; `roster people` lists them',
  });
}

/** The OS user running the command; `--by` overrides it. */
function defaultActor(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}
