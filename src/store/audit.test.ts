import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditHash, auditHashWithData, GENESIS_HASH } from './audit.js';
import { canonicalJson } from './json.js';

describe('audit hash', () => {
  const event = {
    seq: 7,
    at: '2025-01-01T00:00:00.000Z',
    actor: 'cli "quoted"',
    kind: 'op.succeeded',
    appId: null,
    subject: 'ana@acme.com',
    data: { z: [1, { b: true, a: null }], a: 'é' },
  };

  it('hashes the previous hash and the canonical JSON of every field of the event, data included', () => {
    const body = canonicalJson(event);
    const expected = createHash('sha256').update(GENESIS_HASH).update(body).digest('hex');
    expect(auditHash(GENESIS_HASH, event)).toBe(expected);
  });

  it('is the same when the data comes as its canonical text', () => {
    const { data, ...fields } = event;
    expect(auditHashWithData('ab'.repeat(32), fields, canonicalJson(data))).toBe(
      auditHash('ab'.repeat(32), event),
    );
    expect(auditHashWithData('ab'.repeat(32), { ...fields, appId: 'tp' }, '{}')).not.toBe(
      auditHashWithData('ab'.repeat(32), fields, '{}'),
    );
  });
});
