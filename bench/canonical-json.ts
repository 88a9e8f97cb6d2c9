/**
 * @module Benchmark: canonicalJson (a sorted copy written out by JSON.stringify) against writing the same text
 * piece by piece (how it was written before, and what it still does for keys JSON.stringify would reorder), in one
 * process, on what goes through it most: an op's audit event data (three or four per op applied or written through
 * the SCIM facade), an app's user record stored with its account, and a record with numbered keys (the fallback).
 * Prints µs per call for each and the ratio; checks both give the same text.
 *
 *   npm run bench:canonical-json [-- --calls 200000]
 */

import { parseArgs } from 'node:util';
import { canonicalJson, canonicalPieces } from '../src/store/json.js';

const { values: flags } = parseArgs({ options: { calls: { type: 'string', default: '200000' } } });
const CALLS = Number(flags.calls);
if (!Number.isSafeInteger(CALLS) || CALLS < 1)
  throw new Error(`--calls: a whole number of calls, not ${flags.calls}`);

const account = {
  appId: 'thought-industries',
  id: 'b5c1e8f0-2a4d-4c1e-9f3b-7d2e6a1c0b9f',
  email: 'amara.patel@acme.com',
  login: null,
  externalId: 'idp-10482',
  firstName: 'Amara',
  lastName: 'Patel',
  displayName: 'Amara Patel',
  status: 'active',
  isAdmin: false,
  lastLoginAt: null,
  createdAt: '2026-11-30T09:12:44.000Z',
  updatedAt: '2026-11-30T09:12:44.000Z',
  attributes: { department: 'Finance', title: 'Analyst' },
};

const samples: Record<string, unknown> = {
  'audit data of a create': {
    planId: '019a3f6e-7c1d-7b2a-9e4f-3a5b6c7d8e9f',
    seq: 12,
    ref: 'thought-industries:create:E10482',
    op: 'create',
    reason: 'rule "everyone" gives thought-industries',
    accountId: account.id,
    before: null,
    after: account,
    already: false,
    verified: true,
  },
  "an app's user record": {
    id: account.id,
    email: account.email,
    firstName: 'Amara',
    lastName: 'Patel',
    role: 'learner',
    ssoId: 'idp-10482',
    clientId: 'acme',
    createdAt: '2026-11-30T09:12:44.000Z',
    lastActiveAt: null,
    customFields: { department: 'Finance', costCenter: 'CC-104', location: 'Lisbon' },
    tags: ['onboarding', 'finance'],
    enrollments: [
      { courseId: 'c-1', status: 'completed', progress: 100 },
      { courseId: 'c-2', status: 'in_progress', progress: 40 },
    ],
  },
  'a record with numbered keys (written piece by piece)': {
    id: 42,
    customFields: { '1001': 'Finance', '1002': 'CC-104', '17': 'Lisbon' },
    name: 'Amara Patel',
  },
};

function perCall(fn: (value: unknown) => string, value: unknown): number {
  let length = 0;
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) length += fn(value).length;
  const micros = ((performance.now() - started) * 1000) / CALLS;
  if (length === 0) throw new Error('nothing written');
  return micros;
}

const print = (line: string) => process.stdout.write(`${line}\n`);
print(
  `canonicalJson, ${CALLS} calls each (after as many unmeasured), against the same text written piece by piece`,
);
for (const [name, value] of Object.entries(samples)) {
  if (canonicalJson(value) !== canonicalPieces(value)) throw new Error(`${name}: the two texts differ`);
  perCall(canonicalJson, value);
  perCall(canonicalPieces, value);
  const copy = perCall(canonicalJson, value);
  const pieces = perCall(canonicalPieces, value);
  print(
    `  ${name.padEnd(54)} ${copy.toFixed(2).padStart(6)} µs   baseline ${pieces.toFixed(2).padStart(6)} µs   ratio ${(copy / pieces).toFixed(2)}`,
  );
}
