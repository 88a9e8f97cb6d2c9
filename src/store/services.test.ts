import { describe, expect, it } from 'vitest';
import { requireService } from './services.js';

const down = async () => {
  throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
};

describe('requireService', () => {
  it('a reachable service is available', async () => {
    expect(await requireService('Redis', async () => {}, {})).toEqual({
      name: 'Redis',
      available: true,
      reason: null,
    });
  });

  it('an unreachable service skips its tests and says why', async () => {
    const said: string[] = [];
    const check = await requireService('Redis', down, {}, (line) => said.push(line));
    expect(check.available).toBe(false);
    expect(check.reason).toBe('Redis is not reachable: connect ECONNREFUSED 127.0.0.1:6379');
    expect(said.join('')).toMatch(/^\[roster\] skipping the Redis tests: Redis is not reachable/);
  });

  it('an unreachable service fails the run when ROSTER_REQUIRE_SERVICES=1', async () => {
    await expect(requireService('Redis', down, { ROSTER_REQUIRE_SERVICES: '1' })).rejects.toThrow(
      /Redis is not reachable: connect ECONNREFUSED .*ROSTER_REQUIRE_SERVICES=1/,
    );
  });
});
