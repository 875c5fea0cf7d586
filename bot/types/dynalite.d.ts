/**
 * Types for dynalite 4 (it ships none): the in-process DynamoDB emulator behind the embedded
 * default and the tests. Only what Sched uses is declared.
 */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  /** Options of the dynalite server. */
  interface DynaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string;
    /** How long a new table stays CREATING (default 500 ms). */
    createTableMs?: number;
    /** How long a deleted table stays DELETING (default 500 ms). */
    deleteTableMs?: number;
    /** How long an updated table stays UPDATING (default 500 ms). */
    updateTableMs?: number;
    /** Largest item accepted, in KB (default 400, as DynamoDB). */
    maxItemSizeKb?: number;
    verbose?: boolean;
    debug?: boolean;
    ssl?: boolean;
  }

  /** An HTTP server speaking the DynamoDB protocol; call `listen` on it. */
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
