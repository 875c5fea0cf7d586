/**
 * What a dry run (`run --dry-run`) shows, for every surface: when the job would run, every pool
 * with its spot and on-demand price, and what an hour would cost. The Slack and terminal
 * renderers draw this view; the REST API answers the plan itself (bot/http/public-job.ts).
 */
import { describeInstant, relativeTime } from '../parsing/when.js';
import type { PoolQuote, RunPlan } from '../plan.js';
import { specFields } from './job-fields.js';
import type { ViewField } from './view-model.js';
import { printable, printableField } from './view-text.js';

export interface PlanView {
  kind: 'plan';
  title: string;
  /** One line: a dry run of what, when, at what price. */
  summary: string;
  fields: ViewField[];
  /** One line per pool, cheapest first. */
  pools: string[];
  /** Says that nothing happened. */
  note: string;
}

export function planView(plan: RunPlan, now: Date): PlanView {
  const title = printable(plan.spec.name ?? plan.spec.image);
  const fields: ViewField[] = [whenField(plan, now)];
  const { when } = plan;
  if (when.kind === 'cron' && when.next.length > 0) {
    fields.push({ label: 'Next firings', value: when.next.map((iso) => describeInstant(new Date(iso), when.timezone)).join('; ') });
  }
  fields.push(...specFields(plan.spec));
  const estimate = estimateText(plan);
  fields.push({ label: 'Estimated cost', value: estimate });
  if (plan.onDemandPerHour !== undefined) fields.push({ label: 'On-demand', value: `${formatRate(plan.onDemandPerHour)} per hour for the same type` });
  return {
    kind: 'plan',
    title,
    summary: `Dry run of ${title}: ${estimate}`,
    fields: fields.map(printableField),
    pools: plan.pools.map(poolLine).map(printable),
    note: 'Dry run: nothing was started, stored or launched.',
  };
}

function whenField(plan: RunPlan, now: Date): ViewField {
  const { when } = plan;
  switch (when.kind) {
    case 'now':
      return { label: 'When', value: 'now, as soon as it is submitted' };
    case 'at':
      return { label: 'When', value: `${describeInstant(new Date(when.runAt), when.timezone)} (${relativeTime(new Date(when.runAt), now)})` };
    case 'cron':
      return { label: 'When', value: `every "${when.expression}" (${when.timezone}), one job per firing` };
  }
}

function estimateText(plan: RunPlan): string {
  if (plan.pools.length > 0 && plan.pools.every((pool) => pool.local)) return 'no charge: it runs on this machine';
  if (plan.perHour === undefined) return 'unknown: no spot price could be read';
  const range = plan.perHourMax !== undefined && plan.perHourMax !== plan.perHour ? ` (${formatRate(plan.perHour)}–${formatRate(plan.perHourMax)} across pools)` : '';
  return `≈ ${formatRate(plan.perHour)} per hour in the cheapest pool${range}`;
}

function poolLine(pool: PoolQuote): string {
  if (pool.local) return 'this machine: no charge';
  const where = pool.zone ? `${pool.instanceType} in ${pool.zone}` : `${pool.instanceType} (any zone)`;
  const spot = pool.spotPricePerHour !== undefined ? `spot ${formatRate(pool.spotPricePerHour)}/h` : 'spot price unknown';
  const onDemand = pool.onDemandPricePerHour !== undefined ? `on-demand ${formatRate(pool.onDemandPricePerHour)}/h` : 'on-demand price unknown';
  return `${where}: ${spot}, ${onDemand}`;
}

/** A price per hour with up to four decimals, as EC2 quotes them: "$0.0408", "$0.17", "$1.006". */
export function formatRate(usd: number): string {
  return Number.isFinite(usd) ? `$${Number(usd.toFixed(4))}` : 'unknown';
}
