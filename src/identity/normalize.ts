/** @module Email normalization for correlation: trim, NFC, lower case, no +tag, one canonical domain per alias set. */

/** Pairs of domains that reach the same mailbox (config `domains.aliases`), e.g. `[['acme.com', 'acme.io']]`. */
export type DomainAliases = readonly (readonly [string, string])[];

/** The comparison form of an address, or null when it is not an address (no `@`, empty part). */
export type EmailNormalizer = (address: string | null | undefined) => string | null;

/** Printable ASCII with no space at either end: NFC and trimming leave it as it is. */
const PLAIN_ASCII = /^[!-~](?:[ -~]*[!-~])?$/;
/** Printable ASCII words split by single spaces: already in textKey's form but for case. */
const PLAIN_WORDS = /^[!-~]+(?: [!-~]+)*$/;

function lowerKey(text: string): string {
  // Most addresses and names are plain ASCII: skip the Unicode normalization they cannot need.
  if (PLAIN_ASCII.test(text)) return text.toLowerCase();
  return text.trim().normalize('NFC').toLowerCase();
}

/**
 * Every domain in a chain of alias pairs maps onto one canonical domain: the first one named in the
 * config, so `[acme.com, acme.io]` and `[acme.io, acme.co.uk]` all become acme.com.
 */
export function canonicalDomains(aliases: DomainAliases = []): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (domain: string): string => {
    let root = domain;
    while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root) as string;
    return root;
  };
  for (const [rawA, rawB] of aliases) {
    const a = lowerKey(rawA);
    const b = lowerKey(rawB);
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const rootA = find(a);
    const rootB = find(b);
    // The root met first stays the root, so the first domain named is the canonical one.
    if (rootA !== rootB) parent.set(rootB, rootA);
  }
  const canonical = new Map<string, string>();
  for (const domain of parent.keys()) {
    const root = find(domain);
    if (root !== domain) canonical.set(domain, root);
  }
  return canonical;
}

/** Builds the normalizer once per correlation run, so the alias table is not rebuilt per address. */
export function emailNormalizer(options: { domainAliases?: DomainAliases } = {}): EmailNormalizer {
  const canonical = canonicalDomains(options.domainAliases);
  // Each alias domain as the end of an address ('@acme.io'), and what replaces it ('@acme.com'). A domain with an
  // '@' in it is left out: the domain of an address is what follows its last '@', so it never names one.
  const aliasEnds: [string, string][] = [];
  for (const [domain, root] of canonical)
    if (!domain.includes('@')) aliasEnds.push([`@${domain}`, `@${root}`]);
  return (address) => {
    if (address === null || address === undefined) return null;
    const key = lowerKey(address);
    const at = key.lastIndexOf('@');
    if (at <= 0 || at === key.length - 1) return null;
    // The first '+' of the local part, if it has one: the first of the address, before its last '@'.
    const plus = key.indexOf('+');
    // Most addresses have no +tag: they are their key as it is, or with an alias domain's end replaced, and no
    // part of them is cut out and joined again (two-thirds of the strings this built, once per account).
    if (plus <= 0 || plus > at) {
      for (const [end, root] of aliasEnds) if (key.endsWith(end)) return key.slice(0, at) + root;
      return key;
    }
    // A +tag reaches the same mailbox (a local part that is only a tag was kept as it is, above).
    const domain = key.slice(at + 1);
    return `${key.slice(0, plus)}@${canonical.get(domain) ?? domain}`;
  };
}

/** One-off form of {@link emailNormalizer}. */
export function normalizeEmail(
  address: string | null | undefined,
  options: { domainAliases?: DomainAliases } = {},
): string | null {
  return emailNormalizer(options)(address);
}

/** The local part of a normalized address. */
export function localPart(normalized: string): string {
  return normalized.slice(0, normalized.lastIndexOf('@'));
}

/** The comparison form of a name, department or title: trimmed, NFC, lower case, inner spaces collapsed. */
export function textKey(value: string | number | boolean | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value);
  if (PLAIN_WORDS.test(text)) return text.toLowerCase();
  const key = lowerKey(text).replace(/\s+/g, ' ');
  return key === '' ? null : key;
}
