/**
 * A dry run's plan: what a `run` would do, without doing it. The request is validated as a real
 * run; then the fleet quotes every pool of the job (its instance types × the configured subnets'
 * zones) with its current spot price and the type's on-demand price, and the plan says when the
 * job would start and what an hour of it would cost. Nothing is stored and nothing launched.
 */
import type { JobSpec } from './job.js';
import { roundUsd } from './cost.js';

/** One pool as the fleet quotes it. Prices in USD per hour; absent: not known. */
export interface PoolQuote {
  instanceType: string;
  /** Absent: any zone (the default VPC), or this machine. */
  zone?: string;
  spotPricePerHour?: number;
  onDemandPricePerHour?: number;
  /** The embedded default's one pool: this machine, at no charge. */
  local?: boolean;
}

/** When the job would run: now, once at a time, or at each firing of a cron schedule. */
export type PlanWhen =
  | { kind: 'now'; runAt: string }
  | { kind: 'at'; runAt: string; timezone: string }
  | { kind: 'cron'; expression: string; timezone: string; next: string[] };

export interface RunPlan {
  spec: JobSpec;
  when: PlanWhen;
  /** Every pool, cheapest known spot price first, then those without one in the job's order. */
  pools: PoolQuote[];
  /** The cheapest pool's spot price (what the launch tries first), USD/hour; undefined: not known. */
  perHour?: number;
  /** The dearest known spot price among the pools: the estimate's upper bound. */
  perHourMax?: number;
  /** The on-demand price of the cheapest pool's type: what the same hour costs without spot. */
  onDemandPerHour?: number;
}

/** The plan from the fleet's quotes; pure. */
export function buildRunPlan(spec: JobSpec, when: PlanWhen, quotes: readonly PoolQuote[]): RunPlan {
  const priceOf = (q: PoolQuote): number | undefined => (q.local ? 0 : usable(q.spotPricePerHour));
  const pools = quotes
    .map((quote, index) => ({ quote, index, price: priceOf(quote) }))
    .sort((a, b) => {
      if ((a.price === undefined) !== (b.price === undefined)) return a.price === undefined ? 1 : -1;
      return (a.price ?? 0) - (b.price ?? 0) || a.index - b.index;
    })
    .map((r) => r.quote);
  const prices = pools.map(priceOf).filter((p): p is number => p !== undefined);
  const cheapest = pools[0];
  const plan: RunPlan = { spec, when, pools };
  if (prices.length > 0) {
    plan.perHour = roundUsd(Math.min(...prices));
    plan.perHourMax = roundUsd(Math.max(...prices));
  }
  const onDemand = cheapest && prices.length > 0 ? usable(cheapest.onDemandPricePerHour) : undefined;
  if (onDemand !== undefined) plan.onDemandPerHour = onDemand;
  return plan;
}

function usable(price: number | undefined): number | undefined {
  return price !== undefined && Number.isFinite(price) && price >= 0 ? price : undefined;
}
