/** Builds the requests Slack sends in HTTP mode: form-encoded, signed with the signing secret. */
import { createHmac } from 'node:crypto';

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedPostOptions {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Overrides the computed signature (forgeries). */
  signature?: string;
}

export async function signedPost(url: string, secret: string, body: string, opts: SignedPostOptions = {}): Promise<{ status: number; ms: number; text: string }> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': opts.signature ?? slackSignature(secret, timestamp, body),
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - started, text };
}

export function slashCommandBody(fields: { text: string; userId: string; channelId: string; responseUrl: string }): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: fields.channelId,
    channel_name: 'jobs',
    user_id: fields.userId,
    user_name: fields.userId.toLowerCase(),
    command: '/sched',
    text: fields.text,
    api_app_id: 'A0001',
    response_url: fields.responseUrl,
    trigger_id: '1.2.3',
  }).toString();
}

export function buttonBody(fields: { actionId: string; value: string; userId: string; channelId: string; responseUrl: string }): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'acme' },
    user: { id: fields.userId, username: fields.userId.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: '1767225601.000100', channel_id: fields.channelId, is_ephemeral: false },
    trigger_id: '1.2.3',
    channel: { id: fields.channelId, name: 'jobs' },
    response_url: fields.responseUrl,
    actions: [{ action_id: fields.actionId, block_id: 'job-actions', value: fields.value, type: 'button', text: { type: 'plain_text', text: 'x' }, action_ts: '1767225602.000200' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/**
 * A button clicked on the App Home tab, as Slack sends it: the container is the view, and there is
 * no `channel` and no `response_url` (only the `trigger_id`, for a modal).
 */
export function homeButtonBody(fields: { actionId: string; value: string; userId: string; triggerId: string }): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'acme' },
    user: { id: fields.userId, username: fields.userId.toLowerCase(), name: fields.userId.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy-verification-token',
    container: { type: 'view', view_id: `VHOME${fields.userId}` },
    trigger_id: fields.triggerId,
    view: {
      id: `VHOME${fields.userId}`,
      team_id: 'T0001',
      type: 'home',
      blocks: [],
      private_metadata: '',
      callback_id: '',
      state: { values: {} },
      hash: '1767225600.abcdef12',
      title: { type: 'plain_text', text: 'View Title', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: `VHOME${fields.userId}`,
      app_id: 'A0001',
      external_id: '',
      app_installed_team_id: 'T0001',
      bot_id: 'B0FAKE',
    },
    actions: [{ action_id: fields.actionId, block_id: 'job-actions', value: fields.value, type: 'button', text: { type: 'plain_text', text: 'x', emoji: true }, action_ts: '1767225602.000200' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
