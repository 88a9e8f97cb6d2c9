/** @module `roster graph`, `roster accounts`, `roster link` and `roster unlink`: the identity graph and its decisions. */

import { type Command, Option } from 'commander';
import { RosterError } from '../../core/errors.js';
import type { LinkSituation } from '../../core/types.js';
import type { AppAccountView, PersonView } from '../../identity/index.js';
import { SITUATIONS } from '../choices.js';
import { createOutput, type Output } from '../output.js';
import { osUser, withRoster } from '../session.js';

// The core and the renderers load when a command runs, not for `roster --help`.
const app = () => import('../../app/index.js');

export function registerGraphCommands(program: Command): void {
  program
    .command('graph')
    .description("who owns which account: a person's accounts across apps, an app's accounts, or the summary")
    .option('--person <email|id>', "one person's accounts and entitlements in every app")
    .option('--app <id>', "one app's accounts with their owners")
    .option('--json', 'print the result as JSON')
    .action(async (options: { person?: string; app?: string; json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const [{ findPerson, listAccounts, requireSynced, updateGraph }, { printGraphSummary }] =
        await Promise.all([app(), import('../render.js')]);
      await withRoster(command, async (roster) => {
        await requireSynced(roster);
        // Brought up to date, its findings counted in the store, not read back: the summary needs only the counts.
        const graph = await updateGraph(roster);
        if (options.person !== undefined) return printPerson(out, await findPerson(roster, options.person));
        if (options.app !== undefined) {
          const appId = roster.app(options.app).id;
          // --json prints each account as stored, raw record included, as it always has.
          return printApp(out, appId, await listAccounts(roster, { appId, withRaw: options.json ?? false }));
        }
        out.result(graph.summary);
        printGraphSummary(out, graph.summary);
      });
    });

  program
    .command('accounts')
    .description('every synced account with the person it is tied to, or why it is not')
    .option('--app <id>', 'only this app')
    .addOption(new Option('--situation <situation>', 'only accounts in this situation').choices(SITUATIONS))
    .option('--json', 'print the accounts as JSON')
    .action(
      async (options: { app?: string; situation?: LinkSituation; json?: boolean }, command: Command) => {
        const out = createOutput({ json: options.json ?? false });
        const { listAccounts, requireSynced, updateGraph } = await app();
        const rows = await withRoster(command, async (roster) => {
          await requireSynced(roster);
          await updateGraph(roster);
          return listAccounts(roster, {
            // --json prints each account as stored, raw record included, as it always has.
            withRaw: options.json ?? false,
            ...(options.app ? { appId: options.app } : {}),
            ...(options.situation ? { situation: options.situation } : {}),
          });
        });
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
      },
    );

  program
    .command('entitlements')
    .description(
      "each app's roles, groups, teams and courses, with how many accounts hold them (names for the policy)",
    )
    .option('--app <id>', 'only this app')
    .option('--json', 'print the entitlements as JSON')
    .action(async (options: { app?: string; json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const { listEntitlements, requireSynced } = await app();
      const rows = await withRoster(command, async (roster) => {
        await requireSynced(roster);
        return listEntitlements(roster, options.app ? { appId: options.app } : {});
      });
      out.result(rows);
      out.table([
        ['app', 'kind', 'name', 'holders', 'privileged'],
        ...rows.map((e) => [e.appId, e.kind, e.name, String(e.holders), e.privileged ? 'privileged' : '']),
      ]);
      out.line(`\n${rows.length} entitlements`);
    });

  program
    .command('explain')
    .description(
      'why a person holds what they hold: how each account is tied to them, which rule gives each entitlement',
    )
    .argument('<person>', 'employee id or email')
    .option('--json', 'print the explanation as JSON')
    .action(async (key: string, options: { json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const { explainAccess, requireSynced } = await app();
      const explained = await withRoster(command, async (roster) => {
        await requireSynced(roster);
        return explainAccess(roster, key);
      });
      out.result(explained);
      const { person } = explained;
      out.line(
        `${person.firstName} ${person.lastName} <${person.email}> ${person.employeeId}, ${person.status}`,
      );
      if (explained.accounts.length === 0) out.line('  no linked accounts');
      for (const a of explained.accounts) {
        out.line(`\n  ${a.appId} account ${a.account.id} (${a.account.status}): ${a.link.why}`);
        out.line(
          `    account: ${a.rules.length > 0 ? `given by ${a.rules.join(', ')}` : 'no rule gives it'}`,
        );
        for (const e of a.entitlements) {
          const why =
            e.rules.length > 0
              ? `given by ${e.rules.join(', ')}`
              : e.managed
                ? 'no rule gives it (managed: the next plan revokes it)'
                : 'no rule gives it (not managed)';
          out.line(`    ${e.kind} "${e.name}"${e.privileged ? ' [privileged]' : ''}: ${why}`);
        }
      }
      for (const f of explained.findings) out.line(`\n  ${f.severity}  ${f.rule}  ${f.appId}  ${f.title}`);
    });

  program
    .command('link')
    .description('tie an account to a person by hand (kept across syncs until `roster unlink`)')
    .argument('<app>', 'app id from roster.yaml')
    .argument('<accountId>', "the app's id for the account")
    .argument('[person]', 'employee id or email of the person who owns it')
    .option('--nobody', 'the account belongs to no person (a service or shared account)')
    .option('--reason <text>', 'why, for the audit trail')
    .option('--by <name>', 'who decided, for the audit trail', osUser())
    .option('--json', 'print the link as JSON')
    .action(
      async (
        appId: string,
        accountId: string,
        personKey: string | undefined,
        options: { nobody?: boolean; reason?: string; by: string; json?: boolean },
        command: Command,
      ) => {
        const out = createOutput({ json: options.json ?? false });
        if ((personKey === undefined) === !options.nobody) {
          throw new RosterError('invalid_input', 'name the person who owns the account, or pass --nobody', {
            where: 'roster link',
            fix: 'roster link <app> <accountId> <employee id or email>, or roster link <app> <accountId> --nobody',
          });
        }
        const { linkAccount } = await app();
        const { link, person } = await withRoster(
          command,
          (roster) =>
            linkAccount(roster, {
              appId,
              accountId,
              person: personKey ?? null,
              ...(options.reason ? { reason: options.reason } : {}),
            }),
          { actor: options.by },
        );
        out.result(link);
        out.line(
          person === null
            ? `${appId} account ${accountId} now belongs to nobody (decided by ${options.by}).`
            : `${appId} account ${accountId} now belongs to ${person.email} (${person.employeeId}), decided by ${options.by}.`,
        );
      },
    );

  program
    .command('unlink')
    .description('withdraw a decision made with `roster link`: correlation decides the account again')
    .argument('<app>', 'app id from roster.yaml')
    .argument('<accountId>', "the app's id for the account")
    .option('--reason <text>', 'why, for the audit trail')
    .option('--by <name>', 'who withdrew it, for the audit trail', osUser())
    .option('--json', "print the account's link as correlation now sees it, as JSON")
    .action(
      async (
        appId: string,
        accountId: string,
        options: { reason?: string; by: string; json?: boolean },
        command: Command,
      ) => {
        const out = createOutput({ json: options.json ?? false });
        const { unlinkAccount } = await app();
        const { withdrawn, link } = await withRoster(
          command,
          (roster) =>
            unlinkAccount(roster, {
              appId,
              accountId,
              ...(options.reason ? { reason: options.reason } : {}),
            }),
          { actor: options.by },
        );
        out.result({ withdrawn, link });
        out.line(
          `Withdrew the manual link of ${appId} account ${accountId}; correlation now says: ` +
            (link === null
              ? 'no link'
              : `${link.situation}${link.employeeId ? ` to ${link.employeeId}` : ''}`),
        );
      },
    );
}

function printPerson(out: Output, view: PersonView): void {
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

function printApp(out: Output, appId: string, views: readonly AppAccountView[]): void {
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
