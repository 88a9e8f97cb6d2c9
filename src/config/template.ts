/** @module The commented roster.yaml that `roster init` writes: every key explained, secrets as ${ENV}. */

import { APP_TYPES, CONNECTORS } from '../connectors/registry.js';
import type { AppType } from '../core/types.js';
import { SCHEMA_FILE_NAME } from './json-schema.js';

export interface InitTemplateOptions {
  /** Which app examples to include, in this order; all six types when omitted. */
  apps?: readonly AppType[];
  /**
   * The JSON Schema the editor modeline on the first line points at: by default the roster.schema.json that
   * `roster init` writes beside the file; false leaves the modeline out.
   */
  schema?: string | false;
}

/** The text of a starter roster.yaml that loadConfig accepts once its ${…} variables are set. */
export function initTemplate(options: InitTemplateOptions = {}): string {
  const types = options.apps ?? APP_TYPES;
  const used = new Map<string, number>();
  const apps = types.map((type) => {
    const count = (used.get(type) ?? 0) + 1;
    used.set(type, count);
    const id = count === 1 ? type : `${type}-${count}`;
    const env = id.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    // Each connector writes its own example block (its config.ts), so a new app needs no line here.
    return CONNECTORS[type].configExample(id, env);
  });

  const schema = options.schema ?? `./${SCHEMA_FILE_NAME}`;
  const modeline =
    schema === false
      ? ''
      : `# yaml-language-server: $schema=${schema}
`;
  const editor =
    schema === false
      ? ''
      : `#
# Completion and checks as you type: the first line points YAML editors (VS Code with Red Hat's
# YAML extension, JetBrains IDEs, any yaml-language-server client) at ${schema}.
# \`roster init\` writes it; after an upgrade: \`roster config schema > ${SCHEMA_FILE_NAME}\`.
`;
  return `${modeline}# roster.yaml — what Roster keeps in line, and with what.
#
# Write secrets as \${VARIABLE} references: Roster reads them from the environment when it
# starts, and \`roster config show\` prints them masked. A missing variable stops Roster with
# an error naming it. Write $\${ for a literal "\${". Relative paths are relative to this file.
${editor}
# store: where Roster keeps what it has seen and done.
#   sqlite:./roster.db                           one file next to this one (the default)
#   postgres://roster:\${PGPASSWORD}@host:5432/roster   for cluster mode
store: sqlite:./roster.db

# source: the source of truth for people, an HR export.
source:
  type: csv                   # csv or json
  path: ./people.csv
  # columns: which column holds each Roster field, when the file uses other names. Fields left out are
  # read from a column of the same name, whatever its case, spaces, _ or - ("Employee ID" is employee_id).
  # Fields: employee_id, email, first_name, last_name, status, department, title, manager_email,
  # start_date, end_date, aliases.
  columns:
    employee_id: Employee ID
    email: Work Email
  # statusValues: the file's own status words, mapped to active, leaver, on_leave or pending.
  statusValues:
    Terminated: leaver
    Leave of Absence: on_leave
  # maxDropShare: refuse an import that would drop more than this share of the people seen last time
  # (a truncated export should not offboard a third of the company).
  maxDropShare: 0.3
  # dateFormat: how the export writes start_date and end_date: YYYY-MM-DD (the default), MM/DD/YYYY,
  # DD/MM/YYYY, DD.MM.YYYY, MM-DD-YYYY, DD-MM-YYYY or YYYY/MM/DD. ISO dates are read whatever it says.
  dateFormat: YYYY-MM-DD
  # delimiter: the CSV separator. Left out, it is a comma unless the header line has none, in which case
  # the file is read by its semicolons (Excel in much of Europe), tabs or pipes. Write a tab as "\\t".
  # delimiter: ";"

# domains: email domains. primary is the company's own; aliases pairs domains that reach the same mailbox, so ann@acme.io
# and ann@acme.com are one person.
domains:
  primary: acme.com
  aliases:
    - [acme.com, acme.io]

# identity: how accounts are tied to people (the identity graph) and when they are flagged. All optional.
identity:
  externalIdAttribute: idp_id   # people-source column with the IdP id that accounts carry as externalId
  dormantDays: 90               # an active account unused for longer is reported dormant
  dormantGraceDays: 30          # an account younger than this is never reported dormant
  inviteDays: 14                # an invitation unaccepted for longer is reported
  nameSuggestions: true         # suggest same-name people for accounts nothing else ties (never links)

# apps: the apps Roster manages. Every app takes: id (how Roster names it everywhere: lowercase,
# digits, - or _), type, baseUrl (http or https), auth, and optionally
#   concurrency: 4              most requests in flight at once
#   timeoutMs: 30000            per-request timeout
#   privilegedRoles: [Admin]    roles or groups that make an account privileged
#   maxResponseBytes: 67108864  largest answer read (64 MiB); a bigger one is an error
#   sync:                       safety limits of \`roster sync\` for this app
#     maxDropShare: 0.3         refuse a sync that removes more than this share of its accounts (--accept-drop)
#     maxItemsPerListing: 1000000   a listing longer than this is taken for a runaway
#     resumeWithinMinutes: 60   a crashed sync's staged pages older than this are read again, not committed
apps:${apps.length > 0 ? apps.join('\n') : ' []'}

# policy: desired state — who gets an account in which app, with which roles, teams, groups, courses.
# \`roster plan\` shows what it would change. Conditions match HR fields or any HR column: a value,
# a list of values, or a glob ('Sales*'). Attribute templates: {first_name}, {email}, {email.local}.
#
# Role, team, group and course names are each app's own, as synced: \`roster entitlements\` lists them
# for every app (\`--app ID\` for one), after a \`roster sync\`.
# role: is one role per account. A Targetprocess user holds exactly one Role, so setting another replaces
# the old one (it is never added beside it), and when two rules give a person a role the later rule's wins.
# roles: [A, B] is for apps whose accounts can hold several.
# account: false in a rule means no account in that app for the people it matches, whatever other rules
# give them (contractors, say); account: { attributes: … } sets the fields an account is created with.
# policy:
#   rules:
#     - name: engineering
#       when: { department: [Engineering, Product], status: active }
#       apps:
#         targetprocess: { role: Developer, teams: [Platform] }
#         stackspot-scim: { account: { attributes: { title: '{title}' } } }
#     - name: no-contractors-in-academy
#       when: { employment_type: Contractor }
#       apps:
#         thought-industries: { account: false }
#   leavers: { action: deactivate, graceDays: 0 }   # or delete; days after the end date
#   orphans: report                                 # or deactivate accounts nobody in HR owns
#   managed: { targetprocess: [team] }              # only these kinds are ever revoked
#   unmanaged: { targetprocess: [On-call Rota] }    # never revoked, even of a managed kind (made by hand)
#   safety:
#     maxDeactivations: { count: 25, share: 0.2 }   # above either, the plan is BLOCKED
#     approval: { delete: true, privileged: true, opsPerApp: 100 }
#     fourEyes: false                               # true: whoever asked for a plan cannot approve it
`;
}
