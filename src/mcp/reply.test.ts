import { describe, expect, it } from 'vitest';
import { MASK } from '../config/mask.js';
import { RosterError } from '../core/errors.js';
import { answer, failure, reply } from './reply.js';

const secret = 'tok_0123456789abcdef';

describe('a tool answer never carries a secret', () => {
  it('is scrubbed in the structured content, however deep, and in the summary', () => {
    const result = answer(
      { plan: { ops: [{ why: `rule "legacy ${secret}"` }] }, note: secret },
      `rule legacy ${secret}`,
      [secret],
    );
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(result.structuredContent).toEqual({
      plan: { ops: [{ why: `rule "legacy ${MASK}"` }] },
      note: MASK,
    });
    expect(result.content).toEqual([{ type: 'text', text: `rule legacy ${MASK}` }]);
  });

  it('is scrubbed from an error, which keeps its code, place and fix', async () => {
    const error = new RosterError('unavailable', `postgres://roster:${secret}@db/roster does not answer`, {
      where: 'store',
      fix: 'start the database',
    });
    expect(failure(error, [secret])).toEqual({
      isError: true,
      content: [
        {
          type: 'text',
          text: `unavailable: store: postgres://roster:${MASK}@db/roster does not answer\n  fix: start the database`,
        },
      ],
    });
    const thrown = await reply([secret], async () => {
      throw new Error(`boom ${secret}`);
    });
    expect(thrown).toEqual({ isError: true, content: [{ type: 'text', text: `internal: boom ${MASK}` }] });
  });
});
