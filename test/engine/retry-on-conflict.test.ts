import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../bot/core/errors.js';
import { MAX_WRITE_TRIES, retryOnConflict } from '../../bot/engine/retry-on-conflict.js';

describe('retryOnConflict', () => {
  it('tries again after a lost write, telling the caller each time', async () => {
    let tries = 0;
    let conflicts = 0;
    const result = await retryOnConflict(
      async () => {
        tries++;
        if (tries < 3) throw new ConflictError('lost');
        return 'written';
      },
      { onConflict: () => conflicts++, exhausted: () => 'gave up' },
    );
    expect({ result, tries, conflicts }).toEqual({ result: 'written', tries: 3, conflicts: 2 });
  });

  it(`gives up after ${MAX_WRITE_TRIES} lost writes with what the caller says`, async () => {
    let tries = 0;
    const result = await retryOnConflict(
      async () => {
        tries++;
        throw new ConflictError('lost');
      },
      { exhausted: () => 'gave up' },
    );
    expect({ result, tries }).toEqual({ result: 'gave up', tries: MAX_WRITE_TRIES });
  });

  it('lets any other error through at once', async () => {
    let tries = 0;
    const failing = retryOnConflict(
      async () => {
        tries++;
        throw new NotFoundError('no job j-1');
      },
      { exhausted: () => 'gave up' },
    );
    await expect(failing).rejects.toThrow(NotFoundError);
    expect(tries).toBe(1);
  });
});
