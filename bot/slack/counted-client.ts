/**
 * The Web API client the notifier sends through, counted: every call by method and outcome
 * (`ok`, or the kind of failure web-api-errors.ts sorts it into: `rate-limited`, `transient`,
 * `permanent`, `message-gone`). Only the method names a call; its arguments never reach a label.
 */
import type { webApi } from '@slack/bolt';
import type { SlackCallRecorder } from '../engine/metrics.js';
import { classifyCallFailure } from './web-api-errors.js';

type ApiCaller = Pick<webApi.WebClient, 'apiCall'>;

export function countedClient(client: ApiCaller, recorder: SlackCallRecorder | undefined): ApiCaller {
  if (!recorder) return client;
  return {
    apiCall: async (method, args) => {
      try {
        const result = await client.apiCall(method, args);
        recorder.slackCall(method, 'ok');
        return result;
      } catch (err) {
        recorder.slackCall(method, classifyCallFailure(err).kind);
        throw err;
      }
    },
  };
}
