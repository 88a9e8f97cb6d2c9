/** @module `roster tokens`: create (shown once), list and revoke the API tokens of `roster serve`. */

import { userInfo } from 'node:os';
import { type Command, Option } from 'commander';
import type { RosterConfig } from '../../config/schema.js';
import type { Store } from '../../store/store.js';
import type { TokenStore } from '../../store/tokens.js';
import { createOutput } from '../output.js';

// The token use cases and the store load when a command runs, not for `roster --help`.
const tokenCases = () => import('../../app/tokens.js');

export function registerTokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('API tokens for roster serve: create, list, revoke');

  tokens
    .command('create')
    .description('make a token; it is printed once and only its hash is kept')
    .requiredOption('--name <name>', 'who or what uses it (the audit log shows this name as the actor)')
    .addOption(
      new Option(
        '--scope <scope>',
        "read < operate (sync, plan, apply) < approve < admin (tokens); or scim:<appId>: that app's SCIM facade only",
      ).makeOptionMandatory(),
    )
    .option('--person <email>', "a reviewer's token: it sees and decides only that person's review items")
    .option('--json', 'print the token and its record as JSON')
    .action(
      async (options: { name: string; scope: string; person?: string; json?: boolean }, command: Command) => {
        const out = createOutput({ json: options.json ?? false });
        const { issueToken, parseScope } = await tokenCases();
        await withTokens(command, async (deps, config) => {
          const scope = parseScope(
            options.scope,
            '--scope',
            config.apps.map((a) => a.id),
          );
          const issued = await issueToken(deps, {
            name: options.name,
            scope,
            createdBy: osUser(),
            person: options.person,
          });
          out.result(issued);
          out.line(issued.token);
          out.line(
            `\ntoken "${issued.record.name}" (${issued.record.scope}) created. It is shown only now: keep it`,
          );
          out.line('in a secret store and send it as "Authorization: Bearer <token>".');
        });
      },
    );

  tokens
    .command('list')
    .description('the tokens (names, scopes, prefixes and last use; never the secret)')
    .option('--all', 'revoked tokens too')
    .option('--json', 'print the tokens as JSON')
    .action(async (options: { all?: boolean; json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      await withTokens(command, async ({ tokens: store }) => {
        const list = await store.list({ includeRevoked: options.all ?? false });
        out.result(list);
        if (list.length === 0) out.line('no tokens: roster tokens create --name NAME --scope read makes one');
        out.table([
          ['name', 'scope', 'person', 'prefix', 'created', 'last used', 'revoked'],
          ...list.map((t) => [
            t.name,
            t.scope,
            t.person ?? '',
            `${t.prefix}…`,
            t.createdAt,
            t.lastUsedAt ?? '-',
            t.revokedAt ?? '',
          ]),
        ]);
      });
    });

  tokens
    .command('revoke')
    .description('revoke a token by name or id; requests with it are refused from now on')
    .argument('<name>', 'the token name or id')
    .option('--json', 'print the revoked token as JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const { revokeToken } = await tokenCases();
      await withTokens(command, async (deps) => {
        const revoked = await revokeToken(deps, { idOrName: name, by: osUser() });
        out.result(revoked);
        out.line(`token "${revoked.name}" revoked at ${revoked.revokedAt}`);
      });
    });
}

async function withTokens(
  command: Command,
  run: (deps: { store: Store; tokens: TokenStore }, config: RosterConfig) => Promise<void>,
): Promise<void> {
  const [{ loadConfig }, { openStore }, { tokenStore }] = await Promise.all([
    import('../../config/load.js'),
    import('../../store/open.js'),
    import('../../store/tokens.js'),
  ]);
  const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
  const store = await openStore(config.store);
  try {
    await run({ store, tokens: tokenStore(store) }, config);
  } finally {
    await store.close();
  }
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}
