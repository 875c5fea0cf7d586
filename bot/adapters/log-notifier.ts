/** The chat port when there is no chat (`SCHED_CHAT=none`): job events go to the log. */
import type { Logger } from 'pino';
import { describeEvent } from '../core/view/event-words.js';
import type { Job, JobEvent } from '../core/job.js';
import type { Notifier } from '../ports.js';

export class LogNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async jobChanged(job: Job, events: JobEvent[]): Promise<void> {
    for (const event of events) {
      this.logger.info({ jobId: job.id, status: job.status, attempt: job.attempt, event: event.kind }, describeEvent(event));
    }
  }
}
