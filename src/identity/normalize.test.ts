import { describe, expect, it } from 'vitest';
import { canonicalDomains, emailNormalizer, normalizeEmail } from './normalize.js';

describe('normalizeEmail', () => {
  it('trims surrounding whitespace', () => {
    expect(normalizeEmail('  ann@acme.com \t')).toBe('ann@acme.com');
  });

  it('composes Unicode to NFC, so a decomposed é equals a composed one', () => {
    expect(normalizeEmail('jose\u0301@acme.com')).toBe(normalizeEmail('jos\u00e9@acme.com'));
  });

  it('lower-cases both parts', () => {
    expect(normalizeEmail('Ann.Lee@ACME.COM')).toBe('ann.lee@acme.com');
  });

  it('strips a +tag from the local part', () => {
    expect(normalizeEmail('ann+old@acme.com')).toBe('ann@acme.com');
    expect(normalizeEmail('+only@acme.com')).toBe('+only@acme.com');
  });

  it('maps a configured alias domain onto the canonical (first-named) one, through chains', () => {
    const normalize = emailNormalizer({
      domainAliases: [
        ['acme.com', 'acme.io'],
        ['acme.io', 'ACME.co.uk'],
      ],
    });
    expect(normalize('ann@acme.io')).toBe('ann@acme.com');
    expect(normalize('ann@acme.co.uk')).toBe('ann@acme.com');
    expect(normalize('ann@other.com')).toBe('ann@other.com');
    expect(canonicalDomains([['acme.com', 'acme.io']]).get('acme.io')).toBe('acme.com');
  });

  it('cuts the +tag at the first + of the local part, and leaves a + in the domain alone', () => {
    const normalize = emailNormalizer({ domainAliases: [['acme.com', 'acme.io']] });
    expect(normalize('Ann+a+b@Acme.IO')).toBe('ann@acme.com');
    expect(normalize('+x+y@acme.io')).toBe('+x+y@acme.com');
    expect(normalize('ann@a+b.io')).toBe('ann@a+b.io');
    expect(normalize('ann@x@acme.io')).toBe('ann@x@acme.com');
    expect(normalize('ann@acme.io.evil')).toBe('ann@acme.io.evil');
    expect(normalize('ann@sub.acme.io')).toBe('ann@sub.acme.io');
  });

  it('is null for what is not an address', () => {
    expect(normalizeEmail(null)).toBeNull();
    expect(normalizeEmail('no-at-sign')).toBeNull();
    expect(normalizeEmail('@acme.com')).toBeNull();
  });
});
