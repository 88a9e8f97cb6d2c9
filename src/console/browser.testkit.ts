/** @module Browser-test support: Debian's Chromium driven by playwright-core, signing in, axe-core checks. */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { REQUIRE_SERVICES_ENV, servicesRequired } from '../store/services.js';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it), never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = chromiumPresent();

/** Without Chromium the browser tests skip with a printed reason, or fail the run when CI requires services. */
function chromiumPresent(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;
  if (servicesRequired())
    throw new Error(`${reason}; ${REQUIRE_SERVICES_ENV}=1, so the browser tests must run`);
  process.stderr.write(`[roster] skipping the browser tests: ${reason}\n`);
  return false;
}
/** Generous: two cores shared by several test runs. */
export const WAIT = { timeout: 60_000 };

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** axe-core in the page; serious and critical violations fail the test with what and where. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(AXE);
  const violations = (await page.evaluate(
    "window.axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
  )) as AxeViolation[];
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `accessibility of ${what}`).toEqual([]);
}

/** Signs in through the login form with an API token. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/console`);
  await page.waitForURL(/\/console\/login/, WAIT);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in as').waitFor(WAIT);
}
