/**
 * On-demand prices, USD per hour, Linux, shared tenancy: what an hour of an instance type costs
 * without spot. Sched uses them to price an on-demand attempt and to say what spot saved. An
 * unknown price is unknown: no saving is claimed against it.
 *
 * The default table holds the default worker types (bot/core/facts.ts) and common general-purpose,
 * compute, memory and GPU types, for **us-east-1** (N. Virginia), as the AWS Price List API gave
 * them on 2026-01-19 — copied from the generated on-demand table of the Karpenter AWS provider
 * (github.com/aws/karpenter-provider-aws, pkg/providers/pricing/zz_generated.pricing_aws.go,
 * "generated at 2026-01-19T13:23:24Z for us-east-1"). Other regions differ (often by 5–30 %),
 * and prices change: the operator sets the region's own in `SCHED_ON_DEMAND_PRICES`
 * (`m5.large=0.096,c5.xlarge=0.17`), which wins over this table type by type.
 */
import { isInstanceType } from './facts.js';

export const DEFAULT_ON_DEMAND_PRICES: Readonly<Record<string, number>> = {
  // The default worker types (Graviton).
  'm7g.medium': 0.0408,
  'm6g.medium': 0.0385,
  't4g.medium': 0.0336,
  // General purpose.
  't3.micro': 0.0104,
  't3.small': 0.0208,
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't4g.micro': 0.0084,
  't4g.small': 0.0168,
  't4g.large': 0.0672,
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm5.2xlarge': 0.384,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6g.large': 0.077,
  'm6g.xlarge': 0.154,
  'm7g.large': 0.0816,
  'm7g.xlarge': 0.1632,
  'm7i.large': 0.1008,
  'm7i.xlarge': 0.2016,
  // Compute optimized.
  'c5.large': 0.085,
  'c5.xlarge': 0.17,
  'c5.2xlarge': 0.34,
  'c6i.large': 0.085,
  'c6i.xlarge': 0.17,
  'c6g.medium': 0.034,
  'c6g.large': 0.068,
  'c6g.xlarge': 0.136,
  'c7g.medium': 0.0363,
  'c7g.large': 0.0725,
  'c7g.xlarge': 0.145,
  'c7i.large': 0.08925,
  // Memory optimized.
  'r5.large': 0.126,
  'r5.xlarge': 0.252,
  'r6i.large': 0.126,
  'r6g.medium': 0.0504,
  'r6g.large': 0.1008,
  'r7g.medium': 0.0536,
  'r7g.large': 0.1071,
  // GPU.
  'g4dn.xlarge': 0.526,
  'g4dn.2xlarge': 0.752,
  'g5.xlarge': 1.006,
  'g5.2xlarge': 1.212,
  'g5g.xlarge': 0.42,
  'g6.xlarge': 0.8048,
  'p3.2xlarge': 3.06,
};

/** The on-demand price of a type, USD/hour, or undefined when it is not known. */
export type OnDemandPriceOf = (instanceType: string) => number | undefined;

/** The default table with the operator's prices over it; a type in neither has no known price. */
export function onDemandPriceTable(overrides: Readonly<Record<string, number>> = {}): OnDemandPriceOf {
  const prices = new Map<string, number>([...Object.entries(DEFAULT_ON_DEMAND_PRICES), ...Object.entries(overrides)]);
  return (instanceType) => prices.get(instanceType);
}

/** The most an hour is believed to cost: a typo such as "9600" for "0.096" is refused. */
const MAX_PRICE_PER_HOUR = 1000;

/**
 * Reads `SCHED_ON_DEMAND_PRICES`: `TYPE=USD` pairs separated by commas, e.g.
 * `m5.large=0.096,c5.xlarge=0.17`. Every problem is reported, each naming its entry.
 */
export function parseOnDemandPrices(text: string): { ok: true; prices: Record<string, number> } | { ok: false; problems: string[] } {
  const prices: Record<string, number> = {};
  const problems: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    const type = equals < 0 ? entry : entry.slice(0, equals).trim();
    const price = equals < 0 ? '' : entry.slice(equals + 1).trim();
    if (equals < 0) {
      problems.push(`"${entry}" needs TYPE=USD, e.g. m5.large=0.096`);
      continue;
    }
    if (!isInstanceType(type)) problems.push(`"${type}" is not an instance type (in "${entry}")`);
    const usd = Number(price);
    if (!/^\d+(\.\d+)?$/.test(price) || !(usd > 0) || usd > MAX_PRICE_PER_HOUR) {
      problems.push(`"${price}" is not a price in USD per hour above 0 and at most ${MAX_PRICE_PER_HOUR} (in "${entry}")`);
      continue;
    }
    if (Object.hasOwn(prices, type)) problems.push(`${type} is given twice`);
    Object.defineProperty(prices, type, { value: usd, enumerable: true, writable: true, configurable: true });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, prices };
}
