/** What a person is shown about a cron schedule: the same fields and tones as a job's view. */
import type { Schedule } from '../schedule.js';
import { nextFirings, relativeTime } from '../parsing/when.js';
import { callbackHost, specFields } from './job-fields.js';
import { JOB_VIEW_LIMITS, ViewTone, type ScheduleView, type ViewField } from './view-model.js';
import { printable, printableField, utcMinute } from './view-text.js';

export function scheduleView(schedule: Schedule, now: Date): ScheduleView {
  const title = printable(schedule.spec.name ?? schedule.spec.image);
  const active = schedule.status === 'active';
  const next = active ? nextFirings(schedule.expression, schedule.timezone, now, JOB_VIEW_LIMITS.nextFirings) : [];
  const cron = printable(schedule.expression);
  let statusLabel: string;
  if (!active) {
    statusLabel = schedule.cancelledBy ? `Cancelled by ${printable(schedule.cancelledBy)}` : 'Cancelled';
  } else if (next[0]) {
    statusLabel = `Every "${cron}" (${schedule.timezone}), next ${utcMinute(next[0])} (${relativeTime(new Date(next[0]), now)})`;
  } else {
    statusLabel = `Every "${cron}" (${schedule.timezone}), which fires no more`;
  }

  const fields: ViewField[] = [
    { label: 'Schedule', value: cron, code: true },
    { label: 'Time zone', value: schedule.timezone },
  ];
  if (next.length > 0) fields.push({ label: 'Next firings', value: next.map(utcMinute).join('; ') });
  if (schedule.lastFiredAt) fields.push({ label: 'Last fired', value: `${utcMinute(schedule.lastFiredAt)} (${relativeTime(new Date(schedule.lastFiredAt), now)})` });
  const skipped = schedule.lastSkipped;
  if (skipped && !(schedule.lastFiredAt && schedule.lastFiredAt > skipped.at)) {
    fields.push({ label: 'Last skipped', value: `${utcMinute(skipped.at)} (${relativeTime(new Date(skipped.at), now)}): ${skipped.reason}` });
  }
  fields.push(...specFields(schedule.spec));
  // On this machine instance types mean nothing: say where the firings run instead.
  if (schedule.compute === 'local') fields.push({ label: 'Runs on', value: 'this machine' });
  else fields.push({ label: 'Instance types', value: schedule.spec.instanceTypes.join(', ') });
  fields.push({ label: 'Retries', value: `${schedule.spec.interruptionsTolerated} interruptions per job` });
  const callback = callbackHost(schedule.spec);
  if (callback) fields.push({ label: 'Callback', value: `${callback}, when each job ends` });

  const label = printable(statusLabel);
  return {
    kind: 'schedule',
    id: schedule.id,
    title,
    status: schedule.status,
    statusLabel: label,
    tone: active ? ViewTone.Active : ViewTone.Muted,
    summary: `${title} (${schedule.id}): ${label}`,
    fields: fields.map(printableField),
    nextFirings: next,
    actions: active ? ['cancel'] : [],
    owner: { kind: schedule.owner.kind, id: printable(schedule.owner.id) },
  };
}
