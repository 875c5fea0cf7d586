/**
 * Counts what a benchmark's AWS clients do, with client middleware (no change to the adapters):
 * calls per command, and for DynamoDB the items each read returned and the capacity it consumed.
 * Reads are sent with `ReturnConsumedCapacity: 'TOTAL'`, which moto and dynalite both answer.
 */
/** What is used of an SDK client's middleware stack (the SDK's own types differ per client). */
interface Stack {
  add(middleware: unknown, options: { step: 'initialize'; name: string; override?: boolean }): void;
}
/** Any SDK v3 client. */
export interface SdkClient {
  middlewareStack: unknown;
}
type Middleware = unknown;

function stackOf(client: SdkClient): Stack {
  return client.middlewareStack as Stack;
}

export class CallCounter {
  readonly calls = new Map<string, number>();
  /** Milliseconds spent waiting on the server, calls in parallel counted each. */
  serverMs = 0;

  get total(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  byCommand(): Record<string, number> {
    return Object.fromEntries([...this.calls].map(([name, n]) => [name.replace(/Command$/, ''), n]));
  }

  clear(): void {
    this.calls.clear();
    this.serverMs = 0;
  }

  /** Counts every command sent through `client` (retries count once: this is the caller's view). */
  attach(client: SdkClient): this {
    const middleware = ((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const name = context.commandName ?? '?';
      this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
      const start = performance.now();
      try {
        return await next(args);
      } finally {
        this.serverMs += performance.now() - start;
      }
    }) as Middleware;
    stackOf(client).add(middleware, { step: 'initialize', name: 'benchCountCalls', override: true });
    return this;
  }
}

const READS = new Set(['QueryCommand', 'ScanCommand', 'GetItemCommand', 'BatchGetItemCommand']);

/** DynamoDB reads: items returned and read capacity consumed, plus calls per command. */
export class DynamoReadCounter extends CallCounter {
  itemsRead = 0;
  capacityUnits = 0;

  override clear(): void {
    super.clear();
    this.itemsRead = 0;
    this.capacityUnits = 0;
  }

  override attach(client: SdkClient): this {
    super.attach(client);
    const middleware = ((next: (args: { input: Record<string, unknown> }) => Promise<{ output: ReadOutput }>, context: { commandName?: string }) =>
      async (args: { input: Record<string, unknown> }) => {
        const read = READS.has(context.commandName ?? '');
        if (read) args.input.ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        if (read) this.record(result.output);
        return result;
      }) as Middleware;
    stackOf(client).add(middleware, { step: 'initialize', name: 'benchCountReads', override: true });
    return this;
  }

  private record(output: ReadOutput): void {
    // A Scan reads every item it looks at, whatever its filter returns.
    if (output.ScannedCount !== undefined) this.itemsRead += output.ScannedCount;
    else if (output.Items) this.itemsRead += output.Items.length;
    else if (output.Item) this.itemsRead += 1;
    else if (output.Responses) this.itemsRead += Object.values(output.Responses).reduce((n, items) => n + items.length, 0);
    const consumed = Array.isArray(output.ConsumedCapacity) ? output.ConsumedCapacity : output.ConsumedCapacity ? [output.ConsumedCapacity] : [];
    for (const c of consumed) this.capacityUnits += c.CapacityUnits ?? 0;
  }
}

interface ReadOutput {
  ScannedCount?: number;
  Items?: unknown[];
  Item?: unknown;
  Responses?: Record<string, unknown[]>;
  ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[];
}
