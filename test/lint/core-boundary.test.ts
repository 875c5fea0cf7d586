import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, test } from 'vitest';

// The real eslint.config.js, run on made-up files inside bot/core: each line below must be
// refused by exactly the rules named, and the allowed ones by none. Other rules (unused imports)
// are not this test's business.
const repo = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: repo });

const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax', 'no-restricted-properties', 'no-restricted-globals']);
const TOP = 'bot/core/__fixture__.ts';
const SUB = 'bot/core/parsing/__fixture__.ts';
const DEEP = 'bot/core/parsing/deeper/__fixture__.ts';

/** The boundary rules (and parse errors, whose ruleId is null) that `code` in `filePath` trips, in order. */
async function boundaryErrors(code: string, filePath: string): Promise<(string | null)[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m: Linter.LintMessage) => m.ruleId === null || BOUNDARY_RULES.has(m.ruleId)).map((m) => m.ruleId);
}

const FORBIDDEN: [code: string, filePath: string, rules: string[]][] = [
  // Relative imports that leave bot/core, from any depth.
  ["import '../adapters/ec2-fleet.js';", TOP, ['no-restricted-imports']],
  ["import '../../adapters/ec2-fleet.js';", SUB, ['no-restricted-imports']],
  ["import '../../../adapters/ec2-fleet.js';", DEEP, ['no-restricted-imports']],
  ["import '../engine/engine.js';", TOP, ['no-restricted-imports']],
  ["import { renderJobMessage } from '../../slack/render.js';", SUB, ['no-restricted-imports']],
  ["import '../../terminal/repl.js';", SUB, ['no-restricted-imports']],
  ["import '../../http/server.js';", SUB, ['no-restricted-imports']],
  ["import '../../commands/index.js';", SUB, ['no-restricted-imports']],
  ["import '../../security/hmac.js';", SUB, ['no-restricted-imports']],
  ["import { loadConfig } from '../config.js';", TOP, ['no-restricted-imports']],
  ["import '../main.js';", TOP, ['no-restricted-imports']],
  ["export * from '../../adapters/local-fleet.js';", SUB, ['no-restricted-imports']],
  ["export { LocalFleet } from '../adapters/local-fleet.js';", TOP, ['no-restricted-imports']],
  // Non-canonical specifiers that would hide a climb.
  ["import './../../adapters/ec2-fleet.js';", SUB, ['no-restricted-imports']],
  ["import '../parsing/../../adapters/ec2-fleet.js';", SUB, ['no-restricted-imports']],
  ["import '..';", TOP, ['no-restricted-imports']],
  // bot/ports.ts by value.
  ["import { JobStore } from '../ports.js';", TOP, ['no-restricted-imports']],
  ["import { type Fleet, JobStore } from '../../ports.js';", SUB, ['no-restricted-imports']],
  // Node built-ins, bare or prefixed, and npm packages core does not use.
  ["import fs from 'fs';", SUB, ['no-restricted-imports']],
  ["import { readFile } from 'fs/promises';", SUB, ['no-restricted-imports']],
  ["import { createServer } from 'http';", SUB, ['no-restricted-imports']],
  ["import { createHmac } from 'node:crypto';", SUB, ['no-restricted-imports']],
  ["import { test } from 'node:test';", TOP, ['no-restricted-imports']],
  ["import { App } from '@slack/bolt';", SUB, ['no-restricted-imports']],
  ["import { WebClient } from '@slack/web-api';", TOP, ['no-restricted-imports']],
  ["import { EC2Client } from '@aws-sdk/client-ec2';", TOP, ['no-restricted-imports']],
  ["import type { EC2Client } from '@aws-sdk/client-ec2';", TOP, ['no-restricted-imports']],
  ["import Fastify from 'fastify';", TOP, ['no-restricted-imports']],
  ["import pino from 'pino';", TOP, ['no-restricted-imports']],
  ["import { z } from 'zod';", TOP, ['no-restricted-imports']],
  ["import '/etc/passwd';", TOP, ['no-restricted-imports']],
  ["const fs = await import('node:fs');", SUB, ['no-restricted-syntax']],
  // The clock.
  ['Date.now();', SUB, ['no-restricted-properties']],
  ['const read = Date.now;', TOP, ['no-restricted-properties']],
  ['new Date();', SUB, ['no-restricted-syntax']],
  ['new Date;', TOP, ['no-restricted-syntax']],
  ["Date('2024-01-01');", TOP, ['no-restricted-syntax']],
  ['performance.now();', TOP, ['no-restricted-globals']],
  // The process, timers and the network.
  ['process.env.X;', SUB, ['no-restricted-globals', 'no-restricted-syntax']],
  ['process.exit(1);', TOP, ['no-restricted-globals']],
  ['setTimeout(() => undefined, 1);', TOP, ['no-restricted-globals']],
  ['setInterval(() => undefined, 1);', TOP, ['no-restricted-globals']],
  ['setImmediate(() => undefined);', TOP, ['no-restricted-globals']],
  ["fetch('https://example.com');", TOP, ['no-restricted-globals']],
  ['globalThis.Date.now();', TOP, ['no-restricted-globals']],
];

const ALLOWED: [code: string, filePath: string][] = [
  ["import { isTerminal } from './job.js';", TOP],
  ["import { tokenize } from './tokenize.js';", SUB],
  ["import type { JobSpec } from '../job.js';", SUB],
  ["import { parseJobRequest } from '../job-request.js';", SUB],
  ["import { nextFirings } from '../../cron.js';", DEEP],
  ["import type { CallbackPayload } from '../ports.js';", TOP],
  ["import { type FleetSnapshot } from '../ports.js';", TOP],
  ["import type { Schedule } from '../../ports.js';", SUB],
  ["import { Cron, CronPattern } from 'croner';", TOP],
  ["import * as chrono from 'chrono-node';", SUB],
  ["import { quote } from 'shell-quote';", TOP],
  ['export const at = (iso: string) => new Date(iso);', TOP],
  ['export const later = (now: Date) => new Date(now.getTime() + 1000);', SUB],
  ["export const ms = Date.parse('2024-01-01T00:00:00Z');", TOP],
  ["export const encoded = Buffer.from('x', 'utf8').toString('base64');", TOP],
  ["export const host = new URL('https://example.com').host;", TOP],
];

describe('the bot/core boundary (eslint.config.js)', () => {
  test.each(FORBIDDEN)('%s in %s is refused by %j', async (code, filePath, rules) => {
    expect(await boundaryErrors(code, filePath)).toEqual(rules);
  });

  test.each(ALLOWED)('%s in %s is allowed', async (code, filePath) => {
    expect(await boundaryErrors(code, filePath)).toEqual([]);
  });

  test('the same lines outside bot/core are not its business', async () => {
    expect(await boundaryErrors("import { App } from '@slack/bolt';\nnew Date();\nDate.now();", 'bot/slack/__fixture__.ts')).toEqual([]);
  });

  test('bot/core as it stands lints clean', async () => {
    const results = await eslint.lintFiles(['bot/core']);
    expect(results.length).toBeGreaterThan(10);
    expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId}: ${m.message}`))).toEqual([]);
  });
});
