/** @module The commented roster.yaml that `roster init` writes: every key explained, secrets as ${ENV}. */

import { APP_TYPES, type AppType } from '../core/types.js';

export interface InitTemplateOptions {
  /** Which app examples to include, in this order; all six types when omitted. */
  apps?: readonly AppType[];
}

/** One example block per app type: the lines under `- `, indented for the `apps:` list. */
const APP_EXAMPLES: Record<AppType, (id: string, env: string) => string> = {
  targetprocess: (id, env) => `
  # Targetprocess (REST API v1). Token from your profile > Settings > Access Tokens.
  - id: ${id}
    type: targetprocess
    baseUrl: https://your-account.tpondemand.com/api/v1
    auth:
      type: bearer            # or: type: basic, with username and password
      token: \${${env}_TOKEN}
    # sso: true when people sign in through SSO: then Roster sends no Password on create.
    sso: false
    # passwordFrom: with sso false, Targetprocess requires a Password on create. "generate" gives each new
    # user a random one nobody sees (they reset it); or name a column of the people source.
    passwordFrom: generate`,
  'process-street': (id, env) => `
  # Process Street. One organisation-wide API key: Settings > Integrations > API.
  - id: ${id}
    type: process-street
    baseUrl: https://api.process.st/api/v1
    auth:
      type: bearer
      token: \${${env}_TOKEN}`,
  'thought-industries': (id, env) => `
  # Thought Industries. The API key is tied to your subdomain; it is sent in the X-API-Key header.
  - id: ${id}
    type: thought-industries
    baseUrl: https://your-school.thoughtindustries.com/incoming/api/v1
    auth:
      type: api-key
      key: \${${env}_API_KEY}
    # customFieldKeys: custom profile fields Roster may write. They must already exist in the admin portal:
    # unknown keys are silently ignored by the API.
    customFieldKeys: []`,
  'customer-directory': (id, env) => `
  # Customer directory. Every call is scoped to one customer and one integration.
  - id: ${id}
    type: customer-directory
    baseUrl: https://directory.example.com
    auth:
      type: bearer
      token: \${${env}_TOKEN}
    customerId: \${${env}_CUSTOMER_ID}   # 24 hexadecimal characters
    integration: \${${env}_INTEGRATION}`,
  'stackspot-scim': (id, env) => `
  # StackSpot SCIM. The tenant id is sent as the X-Tenant-Id header on every call.
  - id: ${id}
    type: stackspot-scim
    baseUrl: https://scim.stackspot.example.com
    auth:
      type: bearer
      token: \${${env}_TOKEN}
    tenantId: \${${env}_TENANT_ID}`,
  scim: (id, env) => `
  # Any SCIM 2.0 service. auth can be bearer, basic (username, password) or
  # api-key (key, plus header: the header name the service reads it from).
  - id: ${id}
    type: scim
    baseUrl: https://scim.example.com/scim/v2
    auth:
      type: bearer
      token: \${${env}_TOKEN}`,
};

/** The text of a starter roster.yaml that loadConfig accepts once its ${…} variables are set. */
export function initTemplate(options: InitTemplateOptions = {}): string {
  const types = options.apps ?? APP_TYPES;
  const used = new Map<string, number>();
  const apps = types.map((type) => {
    const count = (used.get(type) ?? 0) + 1;
    used.set(type, count);
    const id = count === 1 ? type : `${type}-${count}`;
    const env = id.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    return APP_EXAMPLES[type](id, env);
  });

  return `# roster.yaml — what Roster keeps in line, and with what.
#
# Write secrets as \${VARIABLE} references: Roster reads them from the environment when it
# starts, and \`roster config show\` prints them masked. A missing variable stops Roster with
# an error naming it. Write $\${ for a literal "\${". Relative paths are relative to this file.

# store: where Roster keeps what it has seen and done.
#   sqlite:./roster.db                           one file next to this one (the default)
#   postgres://roster:\${PGPASSWORD}@host:5432/roster   for cluster mode
store: sqlite:./roster.db

# source: the source of truth for people, an HR export.
source:
  type: csv                   # csv or json
  path: ./people.csv
  # columns: which column holds each Roster field, when the file uses other names. Fields left out are
  # read from a column of the same name. Fields: employee_id, email, first_name, last_name,
  # status, department, title, manager_email, start_date, end_date, aliases.
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
  inviteDays: 14                # an invitation unaccepted for longer is reported
  nameSuggestions: true         # suggest same-name people for accounts nothing else ties (never links)

# apps: the apps Roster manages. Every app takes: id (how Roster names it everywhere: lowercase,
# digits, - or _), type, baseUrl (http or https), auth, and optionally
#   concurrency: 4              most requests in flight at once
#   timeoutMs: 30000            per-request timeout
#   privilegedRoles: [Admin]    roles or groups that make an account privileged
apps:${apps.length > 0 ? apps.join('\n') : ' []'}

# policy: desired state — who gets an account in which app, with which roles, teams, groups, courses.
# \`roster plan\` shows what it would change. Conditions match HR fields or any HR column: a value,
# a list of values, or a glob ('Sales*'). Attribute templates: {first_name}, {email}, {email.local}.
# policy:
#   rules:
#     - name: engineering
#       when: { department: [Engineering, Product], status: active }
#       apps:
#         targetprocess: { role: Developer, teams: [Platform] }
#         stackspot-scim: { account: { attributes: { title: '{title}' } } }
#   leavers: { action: deactivate, graceDays: 0 }   # or delete; days after the end date
#   orphans: report                                 # or deactivate accounts nobody in HR owns
#   managed: { targetprocess: [team] }              # only these kinds are ever revoked
#   safety:
#     maxDeactivations: { count: 25, share: 0.2 }   # above either, the plan is BLOCKED
#     approval: { delete: true, privileged: true, opsPerApp: 100 }
#     fourEyes: false                               # true: whoever asked for a plan cannot approve it
`;
}
