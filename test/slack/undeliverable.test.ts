import { describe, expect, it } from 'vitest';
import { undeliverableText } from '../../bot/slack/app.js';

describe('what the owner hears when Slack refuses a job\'s updates', () => {
  it.each(['not_in_channel', 'channel_not_found'])('%s: asks for an invitation', (error) => {
    expect(undeliverableText('j-1', error)).toBe(
      'I am not a member of this channel, so job j-1 cannot post its updates here. It runs anyway: follow it with `/sched status j-1`, and invite me (`/invite @sched`) to see the next jobs live.',
    );
  });

  it.each(['msg_too_long', 'is_archived', 'restricted_action', 'invalid_blocks'])('%s: names the error and does not ask for an invitation', (error) => {
    const text = undeliverableText('j-1', error);
    expect(text).toBe(`Slack refused the updates of job j-1 here (${error}). It runs anyway: follow it with \`/sched status j-1\`.`);
    expect(text).not.toContain('/invite');
  });
});
