/**
 * `npm run docs:iam`: rewrites the permission table in docs/iam.md from the policy and the
 * Service Authorization Reference data (infra/iam-doc.ts). test/infra/iam-doc.test.ts checks it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withTable } from '../infra/iam-doc.js';

const path = fileURLToPath(new URL('../docs/iam.md', import.meta.url));
writeFileSync(path, withTable(readFileSync(path, 'utf8')));
process.stdout.write(`wrote the permission table in ${path}\n`);
