/**
 * The Slack surface: a Bolt app in Socket Mode (an app token: no public ingress needed) or HTTP
 * mode (a signing secret: Slack posts to `/slack/events` on the bot's own HTTP port), its
 * listeners, and the notifier that keeps each job's message up to date.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { systemClock } from '../clock.js';
import type { ChatSurface, CommandDeps } from '../commands/types.js';
import { jobView } from '../core/view/job-view.js';
import type { Job, JobEvent } from '../core/job.js';
import type { Clock } from '../ports.js';
import { SlackNotifier } from './notifier.js';
import { renderThreadReply } from './thread-replies.js';
import { SLACK_WORKSPACE_LIMITS } from './workspace-pace.js';
import { countedClient } from './counted-client.js';
import type { SlackCallRecorder } from '../engine/metrics.js';
import { renderJobMessage } from './render.js';
import { buttonListener, BUTTON_ACTION_IDS } from './listeners/actions.js';
import { slashCommandListener } from './listeners/command.js';
import type { SlackContext } from './listeners/context.js';
import { homeListener } from './listeners/home.js';
import { UserZones, userZoneClientOptions } from './user-zones.js';

export interface SlackSurfaceOptions {
  botToken: string;
  /** Socket Mode when set. */
  appToken?: string;
  /** HTTP mode when there is no app token. */
  signingSecret?: string;
  /** Slack Web API base URL (GovSlack, a test double); Slack's own when absent. */
  apiUrl?: string;
  defaults: SlackContext['defaults'];
  logger: Logger;
  /** Persists a job message's ts. */
  saveMessageRef(jobId: string, channel: string, ts: string): Promise<void>;
  /** Default: the system clock. */
  clock?: Clock;
  /** Counts the notifier's Web API calls by method and outcome (/metrics). */
  metrics?: SlackCallRecorder;
  /** How long a command's work may take before it is answered as failed; default 10 s. */
  commandDeadlineMs?: number;
}

export interface SlackSurface extends ChatSurface {
  readonly notifier: SlackNotifier;
  /** HTTP mode: the request listener to serve at `/slack/events`. */
  eventsListener?: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * What the owner of a job is told when Slack refuses its updates for good. Only "not in the
 * channel" is fixed by an invitation; anything else is named as it is.
 */
export function undeliverableText(jobId: string, error: string): string {
  const follow = `It runs anyway: follow it with \`/sched status ${jobId}\``;
  if (error === 'not_in_channel' || error === 'channel_not_found') {
    return `I am not a member of this channel, so job ${jobId} cannot post its updates here. ${follow}, and invite me (\`/invite @sched\`) to see the next jobs live.`;
  }
  return `Slack refused the updates of job ${jobId} here (${error}). ${follow}.`;
}

export function createSlackSurface(opts: SlackSurfaceOptions): SlackSurface {
  const log = opts.logger;
  const clock = opts.clock ?? systemClock;
  const clientOptions = {
    ...(opts.apiUrl && { slackApiUrl: opts.apiUrl }),
    timeout: 10_000,
  };
  const receiver = opts.appToken
    ? undefined
    : new HTTPReceiver({
        signingSecret: opts.signingSecret ?? '',
        endpoints: '/slack/events',
        logLevel: LogLevel.ERROR,
        // The ack goes out first (processBeforeResponse false): commands answer within 3 s.
        processBeforeResponse: false,
      });
  const app = new App({
    token: opts.botToken,
    logLevel: LogLevel.ERROR,
    clientOptions,
    ...(opts.appToken
      ? { socketMode: true, appToken: opts.appToken, installerOptions: { clientOptions } }
      : { receiver: receiver! }),
  });
  const responders = new Responders(clock);
  // The notifier does its own pacing and must see every 429, so its client never retries.
  const notifierClient = new webApi.WebClient(opts.botToken, { ...clientOptions, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  const notifier = new SlackNotifier({
    client: countedClient(notifierClient, opts.metrics),
    logger: log.child({ component: 'slack-notifier' }),
    saveMessageRef: opts.saveMessageRef,
    workspaceLimits: SLACK_WORKSPACE_LIMITS,
    clock,
    onUndeliverable: (job, error) => {
      const text = undeliverableText(job.id, error);
      void responders.tell(job.id, text).catch((err: unknown) => log.warn({ err, jobId: job.id }, 'could not tell the owner that the channel refuses the bot'));
    },
    render: {
      jobMessage: (job: Job) => renderJobMessage(jobView(job, clock.now())),
      threadReply: (job: Job, events: JobEvent[]) => renderThreadReply(job, events, clock.now()),
    },
  });
  app.error(async (error) => {
    log.error({ err: error }, 'slack listener failed');
  });

  return {
    notifier,
    eventsListener: receiver ? (req, res) => receiver.requestListener(req, res) : undefined,
    /** Registers listeners with the use cases and connects (Socket Mode). */
    async start(deps: CommandDeps) {
      const ctx: SlackContext = {
        deps,
        defaults: opts.defaults,
        zones: new UserZones(new webApi.WebClient(opts.botToken, { ...clientOptions, ...userZoneClientOptions() }), deps.clock),
        rememberResponder: (jobId, respond) => responders.remember(jobId, respond),
        audit: (entry) => log.info({ audit: entry }, 'slack command'),
        logFailure: (err, what) => log.error({ err, command: what }, 'slack command failed after its ack; the person was told'),
        ...(opts.commandDeadlineMs !== undefined && { commandDeadlineMs: opts.commandDeadlineMs }),
      };
      app.command('/sched', slashCommandListener(ctx));
      for (const actionId of BUTTON_ACTION_IDS) app.action(actionId, buttonListener(ctx));
      app.event('app_home_opened', homeListener(ctx));
      // HTTP mode needs no start: the bot's own HTTP server hands `/slack/events` to the receiver.
      if (opts.appToken) await app.start();
      log.info({ mode: opts.appToken ? 'socket' : 'http' }, 'slack connected');
    },
    async stop() {
      await Promise.race([notifier.flush(), new Promise((r) => setTimeout(r, 5000))]);
      await notifier.stop();
      if (opts.appToken) await app.stop().catch(() => undefined);
    },
  };
}

/**
 * Reply channels of recent commands, by the job they created; Slack keeps each for 30 minutes.
 * The job's first post can fail before the command has finished answering, so a message for a
 * job not yet remembered waits (briefly) for it.
 */
class Responders {
  private readonly byJob = new Map<string, { respond: Respond; at: number }>();
  private readonly waiting = new Map<string, { text: string; at: number }>();

  constructor(private readonly clock: Clock) {}

  remember(jobId: string, respond: Respond): void {
    const now = this.clock.now().getTime();
    this.expire(now);
    const note = this.waiting.get(jobId);
    if (note) {
      this.waiting.delete(jobId);
      void respond({ text: note.text, response_type: 'ephemeral' }).catch(() => undefined);
      return;
    }
    this.byJob.set(jobId, { respond, at: now });
  }

  async tell(jobId: string, text: string): Promise<void> {
    const entry = this.byJob.get(jobId);
    if (!entry) {
      this.waiting.set(jobId, { text, at: this.clock.now().getTime() });
      return;
    }
    this.byJob.delete(jobId);
    await entry.respond({ text, response_type: 'ephemeral' });
  }

  private expire(now: number): void {
    for (const [id, entry] of this.byJob) if (now - entry.at > RESPONSE_URL_LIFETIME_MS) this.byJob.delete(id);
    for (const [id, note] of this.waiting) if (now - note.at > 60_000) this.waiting.delete(id);
    while (this.byJob.size > 1000) this.byJob.delete(this.byJob.keys().next().value!);
  }
}

type Respond = (message: { text: string; response_type: 'ephemeral' }) => Promise<unknown>;

const RESPONSE_URL_LIFETIME_MS = 25 * 60_000;
