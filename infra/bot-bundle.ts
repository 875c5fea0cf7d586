/**
 * Builds the bot into one CommonJS file for the bot host: `node sched.cjs` with no node_modules.
 *
 * The host runs the bot against real DynamoDB, so the embedded store's dynalite (and the native
 * LevelDB binding it loads at import time, which a bundle cannot carry) is swapped for a stub that
 * fails only if the embedded store is ever started. Identifiers are kept so stack traces from the
 * host stay readable; whitespace and syntax are minified.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BOT_ENTRY = join(REPO_ROOT, 'bot', 'main.ts');
export const DEFAULT_BUNDLE_PATH = join(REPO_ROOT, 'dist', 'bot', 'sched.cjs');
/** The Node.js major the bundle targets and the host installs. */
export const NODE_MAJOR = 22;

export interface BotBundle {
  path: string;
  bytes: number;
  /** Hex SHA-256 of the file: the host refuses a download that does not match. */
  sha256: string;
}

export function buildBotBundle(outfile: string = DEFAULT_BUNDLE_PATH): BotBundle {
  // Built aside and renamed into place: a reader never sees half a file, concurrent builds race safely.
  const partial = `${outfile}.${process.pid}.partial`;
  buildSync({
    entryPoints: [BOT_ENTRY],
    outfile: partial,
    bundle: true,
    platform: 'node',
    target: `node${NODE_MAJOR}`,
    format: 'cjs',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    // Paths in the output are relative to the repository, so the same commit bundles to the same
    // bytes on every machine and `pulumi preview` shows no change when the code did not change.
    absWorkingDir: REPO_ROOT,
    alias: { dynalite: './infra/bundle-stubs/dynalite.ts' },
    logLevel: 'warning',
  });
  renameSync(partial, outfile);
  const bytes = readFileSync(outfile);
  return { path: outfile, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
