import { expect, test } from 'vitest';
import { toPublicJob } from '../../bot/http/public-job.js';
import { jobView } from '../../bot/core/view/job-view.js';
import { renderJobMessage } from '../../bot/slack/render.js';
import { makeJob } from '../harness/jobs.js';

const hook = 'https://hooks.example.com/sched?token=s3cr3t';

test('the API shows a chat job\'s callback by its origin only; its own jobs\' in full', () => {
  expect(toPublicJob(makeJob({ owner: { kind: 'slack', id: 'U1' }, spec: { callbackUrl: hook } })).callback).toBe('https://hooks.example.com/…');
  expect(toPublicJob(makeJob({ owner: { kind: 'api', id: 'api' }, spec: { callbackUrl: hook } })).callback).toBe(hook);
  expect(toPublicJob(makeJob({ spec: { callbackUrl: undefined } })).callback).toBeNull();
});

test('Slack never auto-links user text: every mrkdwn object is verbatim', () => {
  const job = makeJob({ spec: { name: 'Action needed: https://evil.example/sso #general' } });
  const message = JSON.stringify(renderJobMessage(jobView(job, new Date('2026-01-15T10:00:00Z'))).blocks);
  const mrkdwn = [...message.matchAll(/\{"type":"mrkdwn"[^}]*\}/g)].map((m) => m[0]);
  expect(mrkdwn.length).toBeGreaterThan(0);
  for (const object of mrkdwn) expect(object).toContain('"verbatim":true');
});
