import { describe, expect, it } from 'vitest';
import type { RosterError } from '../core/errors.js';
import { type ConfigProblem, parseConfig } from './load.js';

const APPS = [
  'apps:',
  '  - id: targetprocess',
  '    type: targetprocess',
  '    baseUrl: https://acme.tpondemand.com/api/v1',
  '    auth: { type: bearer, token: t }',
  '  - id: process-street',
  '    type: process-street',
  '    baseUrl: https://api.process.st/api/v1',
  '    auth: { type: bearer, token: t }',
];
const BASE = ['source: { type: csv, path: people.csv }', ...APPS];

function problemsOf(lines: string[]): ConfigProblem[] {
  try {
    parseConfig(lines.join('\n'), { file: 'roster.yaml' });
  } catch (error) {
    return (error as RosterError).details['problems'] as ConfigProblem[];
  }
  return [];
}

describe('the policy names only apps roster.yaml has', () => {
  it('a rule for an unknown app is an error at its line, with "did you mean"', () => {
    const found = problemsOf([
      ...BASE,
      'policy:',
      '  rules:',
      '    - name: engineering',
      '      apps:',
      '        targetproces: { role: Developer }',
    ]);
    expect(found).toEqual([
      {
        file: 'roster.yaml',
        line: 15,
        path: 'policy.rules[0].apps.targetproces',
        message: 'rule "engineering" names app "targetproces", which roster.yaml does not have',
        fix: 'did you mean "targetprocess"?',
      },
    ]);
  });

  it('policy.managed and policy.unmanaged entries for unknown apps are errors too', () => {
    const found = problemsOf([
      ...BASE,
      'policy:',
      '  managed: { process-streets: [group], targetprocess: [team] }',
      '  unmanaged: { jira: [Admins] }',
    ]);
    expect(found.map((p) => [p.path, p.fix])).toEqual([
      ['policy.managed.process-streets', 'did you mean "process-street"?'],
      ['policy.unmanaged.jira', 'use one of the app ids under apps: targetprocess, process-street'],
    ]);
  });

  it('a policy naming only configured apps loads', () => {
    expect(
      problemsOf([
        ...BASE,
        'policy:',
        '  rules: [{ name: all, apps: { targetprocess: {}, process-street: { groups: [Ops] } } }]',
        '  managed: { targetprocess: [team] }',
      ]),
    ).toEqual([]);
  });
});
