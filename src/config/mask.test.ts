import { describe, expect, it } from 'vitest';
import { MASK, maskSecrets, redact, secretsOf } from './mask.js';
import { type RosterConfig, rosterConfigSchema } from './schema.js';

const TOKEN = 'tp-token-0123456789';
const PASSWORD = 'p@ss/word:with spaces';
const KEY = 'ti-key-abcdef';
const SCIM_PASSWORD = 'scim-pw-31337';
const PG_PASSWORD = 'pg-hunter2!';

function config(): RosterConfig {
  return rosterConfigSchema.parse({
    store: `postgres://roster:${encodeURIComponent(PG_PASSWORD)}@db.internal:5432/roster`,
    source: { type: 'csv', path: '/srv/people.csv' },
    apps: [
      {
        id: 'tp',
        type: 'targetprocess',
        baseUrl: 'https://a.tpondemand.com/api/v1',
        auth: { type: 'bearer', token: TOKEN },
      },
      {
        id: 'tp-basic',
        type: 'targetprocess',
        baseUrl: 'https://b.tpondemand.com/api/v1',
        auth: { type: 'basic', username: 'roster-bot', password: PASSWORD },
      },
      {
        id: 'ti',
        type: 'thought-industries',
        baseUrl: 'https://ti.example.com',
        auth: { type: 'api-key', key: KEY },
      },
      {
        id: 'sc',
        type: 'scim',
        baseUrl: 'https://scim.example.com',
        auth: { type: 'basic', username: 'svc', password: SCIM_PASSWORD },
      },
    ],
    // A secret pasted where it does not belong is still caught by value.
    policy: { rules: [{ name: `rotate ${TOKEN} monthly`, apps: {} }] },
  });
}

const SECRETS = [TOKEN, PASSWORD, encodeURIComponent(PASSWORD), KEY, SCIM_PASSWORD, PG_PASSWORD];

describe('maskSecrets', () => {
  it('hides every secret: no secret string appears anywhere in the masked config', () => {
    const masked = maskSecrets(config());
    const text = JSON.stringify(masked);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(PG_PASSWORD));
  });

  it('masks fully and keeps everything else as it was', () => {
    const masked = maskSecrets(config());
    expect(masked.apps[0]?.auth).toEqual({ type: 'bearer', token: MASK });
    expect(masked.apps[1]?.auth).toEqual({ type: 'basic', username: 'roster-bot', password: MASK });
    expect(masked.apps[2]?.auth).toEqual({ type: 'api-key', key: MASK, header: 'X-API-Key' });
    expect(masked.store).toBe(`postgres://roster:${MASK}@db.internal:5432/roster`);
    expect(masked.apps[0]?.baseUrl).toBe('https://a.tpondemand.com/api/v1');
    expect(masked.policy?.rules[0]?.name).toBe(`rotate ${MASK} monthly`);
  });

  it('does not change the config it was given', () => {
    const original = config();
    maskSecrets(original);
    expect(original.apps[0]?.auth).toEqual({ type: 'bearer', token: TOKEN });
  });

  it('a sqlite store is shown as is', () => {
    const plain = { ...config(), store: 'sqlite:/srv/roster.db' };
    expect(maskSecrets(plain).store).toBe('sqlite:/srv/roster.db');
  });
});

describe('redact', () => {
  it('replaces every known secret in free text, including the Basic header form', () => {
    const secrets = secretsOf(config());
    const basic = Buffer.from(`roster-bot:${PASSWORD}`).toString('base64');
    const log = `GET /Users Authorization: Bearer ${TOKEN} then Basic ${basic}; key=${KEY} ${KEY}; url p=${encodeURIComponent(PASSWORD)}`;
    const out = redact(log, secrets);
    for (const secret of [...SECRETS, basic]) expect(out).not.toContain(secret);
    expect(out).toBe(
      `GET /Users Authorization: Bearer ${MASK} then Basic ${MASK}; key=${MASK} ${MASK}; url p=${MASK}`,
    );
  });

  it('leaves text without secrets alone, and ignores secrets too short to mean anything', () => {
    expect(redact('nothing to see', ['abc', ''])).toBe('nothing to see');
  });
});

describe('roster serve secrets', () => {
  it('masks webhook secrets and notification URLs and secrets wherever they appear', () => {
    const parsed = rosterConfigSchema.parse({
      source: { type: 'csv', path: 'hr.csv' },
      apps: [],
      server: {
        webhooks: { 'thought-industries': { secret: 'whsec-4242' } },
        notifications: [
          { type: 'slack', url: 'https://hooks.slack.com/services/T0/B0/xoxsecret' },
          { type: 'webhook', url: 'https://hooks.example.com/r', secret: 'hmac-7777' },
        ],
      },
    });
    const shown = JSON.stringify(maskSecrets(parsed));
    for (const secret of ['whsec-4242', 'xoxsecret', 'hmac-7777']) expect(shown).not.toContain(secret);
    expect(secretsOf(parsed)).toEqual(expect.arrayContaining(['whsec-4242', 'hmac-7777']));
  });
});
