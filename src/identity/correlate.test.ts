import { describe, expect, it } from 'vitest';
import type { Account, Link } from '../core/types.js';
import { correlate, correlator } from './correlate.js';
import { account, person } from './testkit.js';

const people = [
  person('E1', 'ann.lee@acme.com', { aliases: ['alee@acme.com'] }),
  person('E2', 'bob.ray@acme.com'),
  person('E3', 'cy.ray@acme.com'),
  person('E4', 'bob.ray@other.com'),
];
const options = { domainAliases: [['acme.com', 'acme.io']] as [string, string][] };
const one = (a: Account, manual: Link[] = []) => correlate({ people, accounts: [a], manual, options })[0]!;

describe('correlate', () => {
  it('manual links are kept exactly as a person decided them', () => {
    const decided: Link = {
      appId: 'app',
      accountId: '1',
      employeeId: 'E2',
      situation: 'linked',
      method: 'manual',
      confidence: 1,
      candidates: [],
    };
    expect(one(account('1', { email: 'ann.lee@acme.com' }), [decided])).toEqual(decided);
  });

  it('external id equal to the person IdP id links with confidence 1', () => {
    expect(one(account('1', { externalId: 'idp-E2' }))).toMatchObject({
      employeeId: 'E2',
      situation: 'linked',
      method: 'external_id',
      confidence: 1,
      candidates: ['E2'],
    });
  });

  it('the external id attribute is configurable', () => {
    const ps = [person('E9', 'z.z@acme.com', { attributes: { okta: 'o-9' } })];
    const [link] = correlate({
      people: ps,
      accounts: [account('1', { externalId: 'o-9' })],
      options: { externalIdAttribute: 'okta' },
    });
    expect(link).toMatchObject({ employeeId: 'E9', method: 'external_id' });
  });

  it('an exact email links at 0.95; case, +tag, alias or alias domain at 0.9', () => {
    expect(one(account('1', { email: 'ann.lee@acme.com' }))).toMatchObject({
      method: 'email',
      confidence: 0.95,
    });
    for (const email of ['Ann.Lee@ACME.com', 'ann.lee+x@acme.com', 'alee@acme.com', 'ann.lee@acme.io']) {
      expect(one(account('1', { email })), email).toMatchObject({
        employeeId: 'E1',
        situation: 'linked',
        method: 'email',
        confidence: 0.9,
      });
    }
  });

  it('an address exact but for spaces around it is exact; a person whose alias is it, not the primary, is not', () => {
    const ps = [
      person('E1', ' dee.fox@acme.com '),
      person('E2', 'dee.fox+hr@acme.com', { aliases: [] }),
      person('E3', 'eve.gray@acme.com', { aliases: ['dee.fox@acme.com'] }),
    ];
    const [link] = correlate({ people: ps, accounts: [account('1', { email: 'dee.fox@acme.com ' })] });
    // Three people answer to the mailbox: a dispute, E1 ranked first by its exact match.
    expect(link).toMatchObject({ situation: 'disputed', confidence: 0.95, candidates: ['E1', 'E2', 'E3'] });
    const [other] = correlate({ people: ps, accounts: [account('2', { email: 'dee.fox+hr@acme.com' })] });
    expect(other).toMatchObject({ situation: 'disputed', candidates: ['E2', 'E1', 'E3'] });
  });

  it('a login that is one person email local part or whole email links at 0.8', () => {
    expect(one(account('1', { login: 'cy.ray' }))).toMatchObject({
      employeeId: 'E3',
      method: 'login',
      confidence: 0.8,
    });
    expect(one(account('1', { login: 'CY.RAY@acme.io' }))).toMatchObject({
      employeeId: 'E3',
      method: 'login',
    });
  });

  it('a login whose local part belongs to several people links nobody', () => {
    expect(one(account('1', { login: 'bob.ray' }))).toMatchObject({
      situation: 'unmatched',
      employeeId: null,
    });
  });

  it('rules that agree link once, recording the strongest', () => {
    expect(
      one(account('1', { email: 'ann.lee@acme.com', login: 'ann.lee', externalId: 'idp-E1' })),
    ).toMatchObject({
      employeeId: 'E1',
      method: 'external_id',
      confidence: 1,
    });
  });

  it('rules that name different people make the link disputed with every candidate, never resolved', () => {
    expect(one(account('1', { email: 'ann.lee@acme.com', externalId: 'idp-E2' }))).toMatchObject({
      situation: 'disputed',
      employeeId: null,
      method: null,
      candidates: ['E2', 'E1'],
    });
    expect(one(account('1', { email: 'cy.ray@acme.io', login: 'ann.lee' }))).toMatchObject({
      situation: 'disputed',
      candidates: ['E3', 'E1'],
    });
  });

  it('name and department similarity only ever suggests', () => {
    const link = one(
      account('1', { firstName: 'Ann', lastName: 'LEE', attributes: { department: 'engineering' } }),
    );
    expect(link).toMatchObject({
      situation: 'suggested',
      employeeId: null,
      method: 'name',
      candidates: ['E1'],
    });
    expect(
      correlate({
        people,
        accounts: [account('1', { firstName: 'Ann', lastName: 'Lee' })],
        options: { nameSuggestions: false },
      })[0],
    ).toMatchObject({ situation: 'unmatched' });
  });

  it('nothing in common is unmatched', () => {
    expect(one(account('1', { email: 'svc@acme.com', login: 'svc' }))).toEqual({
      appId: 'app',
      accountId: '1',
      employeeId: null,
      situation: 'unmatched',
      method: null,
      confidence: 0,
      candidates: [],
    });
  });

  it('gives one link per account, in account order', () => {
    const accounts = [
      account('a', { email: 'bob.ray@acme.com' }),
      account('b'),
      account('c', { login: 'cy.ray' }),
    ];
    expect(correlate({ people, accounts, options }).map((l) => [l.accountId, l.employeeId])).toEqual([
      ['a', 'E2'],
      ['b', null],
      ['c', 'E3'],
    ]);
  });

  it('hands over the person each account was linked to, the last one given under an id, and nobody else', () => {
    const first = person('E7', 'dee.fox@acme.com');
    const again = person('E7', 'dee.fox@acme.com', { department: 'Sales' });
    const run = correlator([first, ...people, again], options);
    const owners: (typeof first | undefined)[] = new Array(3);
    const links = run(
      [
        account('1', { email: 'dee.fox@acme.com' }),
        account('2', { email: 'nobody@vendor.example' }),
        account('3', { email: 'bob.ray@acme.io' }),
      ],
      [],
      owners,
    );
    // One id given twice is one person, as it was when people were matched by id: linked, not disputed.
    expect(links.map((l) => [l.situation, l.employeeId])).toEqual([
      ['linked', 'E7'],
      ['unmatched', null],
      ['linked', 'E2'],
    ]);
    expect(owners[0]).toBe(again);
    expect(owners[1]).toBeUndefined();
    expect(owners[2]).toBe(people[1]);
  });
});
