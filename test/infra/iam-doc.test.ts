/**
 * docs/iam.md's permission table is the policy and the reference table, rendered (infra/iam-doc.ts):
 * the file must hold exactly what `npm run docs:iam` would write, and that rendering must cover
 * every action the policy grants with the resource types the reference lists for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { permissionTable, PLACEHOLDER_INPUT, referenceOf, withTable } from '../../infra/iam-doc.js';
import { IAM_REFERENCE_READ_ON } from '../../infra/iam-reference.js';
import { botPolicy } from '../../infra/policies.js';

const doc = readFileSync(join(import.meta.dirname, '../../docs/iam.md'), 'utf8');
const table = permissionTable();
const rows = table.split('\n').filter((line) => line.startsWith('| `'));

describe('docs/iam.md', () => {
  test('holds the table npm run docs:iam writes (run it after changing the policy or the reference)', () => {
    expect(withTable(doc)).toBe(doc);
    expect(doc).toContain(table);
  });

  test('has a row for each action of each statement, naming only resource types the reference lists for that action', () => {
    const statements = botPolicy(PLACEHOLDER_INPUT).Statement;
    expect(rows).toHaveLength(statements.reduce((n, s) => n + s.Action.length, 0));
    for (const row of rows) {
      const [action, types] = row.split(' | ').map((cell) => cell.replace(/^\| /, ''));
      const listed = referenceOf(action!.replaceAll('`', '')).resourceTypes.map((r) => r.type);
      if (types!.startsWith('none')) expect(listed).toEqual([]);
      else for (const type of types!.split(', ')) expect(listed, row).toContain(type.replace(/\*$/, ''));
    }
  });

  test('says when the reference was read, and what to do when the Spot service-linked role exists already', () => {
    expect(table).toContain(`Reference read on ${IAM_REFERENCE_READ_ON}`);
    expect(doc).toMatch(/has been taken in this\s+account`: there is nothing to do/);
  });

  test('withTable refuses a file without the markers', () => {
    expect(() => withTable('# no markers')).toThrow(/lacks the markers/);
  });
});
