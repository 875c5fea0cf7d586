/**
 * The dependency tree agrees with `engines`: every package the lockfile installs (dev tools
 * included) supports the oldest Node that package.json admits, so `npm ci` on that Node prints no
 * EBADENGINE warning and nothing installed may refuse it. Read from package-lock.json; no network.
 *
 * (light-my-request 6.8, fastify's `inject`, asks for cookie ^2, which declares node >=22 for no
 * API it uses: its one call, `stringifySetCookie({ name, value })`, is cookie 1.1.1's too, so
 * package.json overrides cookie there to 1.1.1, node >=18.)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, test } from 'vitest';

// semver is in the tree already (npm, eslint); typed here by the two functions this test uses.
const semver = createRequire(import.meta.url)('semver') as { minVersion(range: string): { version: string } | null; satisfies(version: string, range: string): boolean };

interface Lock {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
}

test('every package in the lockfile supports the oldest Node that engines admits', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as Lock;
  const oldest = semver.minVersion(pkg.engines.node)!.version;
  expect(oldest).toBe('20.19.0');
  const refusing = Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && !Array.isArray(entry.engines) && entry.engines?.node !== undefined && !semver.satisfies(oldest, entry.engines.node))
    .map(([path, entry]) => `${path.replace(/^node_modules\//, '')}@${entry.version} (node ${(entry.engines as { node: string }).node})`);
  expect(refusing).toEqual([]);
});
