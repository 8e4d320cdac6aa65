import * as fs from 'fs';
import * as path from 'path';
import { RULES } from '../../../lambdas/evaluator/rules/catalog';
import { ruleTable } from '../../../lambdas/evaluator/rule-table';

test.each(['docs/alerts.md', 'README.md'])('%s holds the current rule table (regenerate with `npx tsx lambdas/evaluator/rule-table.ts`)', (file) => {
  const doc = fs.readFileSync(path.join(__dirname, '../../..', file), 'utf8');
  const between = doc.slice(doc.indexOf('<!-- rule-table:start -->') + '<!-- rule-table:start -->'.length, doc.indexOf('<!-- rule-table:end -->')).trim();
  expect(between).toBe(ruleTable());
});

test('the table has one row per rule, with its default threshold and `for`', () => {
  const table = ruleTable();
  for (const r of RULES) expect(table).toContain(`| \`${r.id}\` |`);
  expect(table).toContain('| `container-oom-killed` |');
  expect(table).toMatch(/\| `container-restarts` \| .* \| 3\+ restarts in 24 h, at least one OOMKilled \| immediate \| warning \|/);
  expect(table).toMatch(/\| `asg-activity-failed` \| .* \| on occurrence, held 1h \| warning \|/);
});
