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

test('the API and status show the market and the fallback options', () => {
  const job = makeJob({ status: 'requested', attempt: 2, market: 'on-demand', spec: { onDemandAfter: 1, onDemandWaitSeconds: 600, retryExitCodes: [137, 143] } });
  expect(toPublicJob(job)).toMatchObject({ market: 'on-demand', on_demand_after: 1, on_demand_wait: 600, retry_exit_codes: [137, 143] });
  expect(toPublicJob(makeJob())).toMatchObject({ market: null, on_demand_after: null, on_demand_wait: null, retry_exit_codes: [] });
  const fields = jobView(job, new Date('2026-01-15T10:00:00Z')).fields;
  expect(fields).toContainEqual({ label: 'Market', value: 'on-demand' });
  expect(fields).toContainEqual({ label: 'On-demand', value: 'after 1 interruption, or after 10m without spot capacity' });
  expect(fields).toContainEqual({ label: 'Retried exit codes', value: '137, 143' });
});
