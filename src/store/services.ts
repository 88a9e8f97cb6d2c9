/** @module Whether a test may use an outside service (Postgres, Redis): skip with a reason, or fail when CI requires it. */

export interface ServiceCheck {
  name: string;
  available: boolean;
  /** Why the service cannot be used (null when it can). */
  reason: string | null;
}

/** The variable CI sets so a missing service fails the run instead of silently skipping its tests. */
export const REQUIRE_SERVICES_ENV = 'ROSTER_REQUIRE_SERVICES';

export function servicesRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[REQUIRE_SERVICES_ENV] === '1';
}

/**
 * Runs the probe (which throws or rejects when the service cannot be used). When it fails, the tests that need
 * the service are skipped with a printed reason, unless ROSTER_REQUIRE_SERVICES=1, where this throws instead.
 */
export async function requireService(
  name: string,
  probe: () => Promise<void>,
  env: NodeJS.ProcessEnv = process.env,
  say: (line: string) => void = (line) => process.stderr.write(line),
): Promise<ServiceCheck> {
  try {
    await probe();
    return { name, available: true, reason: null };
  } catch (error) {
    const reason = `${name} is not reachable: ${error instanceof Error ? error.message : String(error)}`;
    if (servicesRequired(env)) {
      throw new Error(`${reason} (${REQUIRE_SERVICES_ENV}=1, so its tests must run: start ${name} first)`, {
        cause: error,
      });
    }
    say(
      `[roster] skipping the ${name} tests: ${reason} (set ${REQUIRE_SERVICES_ENV}=1 to make this a failure)\n`,
    );
    return { name, available: false, reason };
  }
}
