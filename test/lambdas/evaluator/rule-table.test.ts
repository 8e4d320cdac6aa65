import * as fs from 'fs';
import * as path from 'path';
import { RULES } from '../../../lambdas/evaluator/rules/catalog';
import { ruleTable } from '../../../lambdas/evaluator/rule-table';
import { actorOf } from '../../../lambdas/evaluator/removals';
import { REMOVAL_ACTORS } from '../../../model/removal';

test.each(['docs/alerts.md', 'README.md'])(
  '%s holds the current rule table (regenerate with `npx tsx lambdas/evaluator/rule-table.ts`)',
  (file) => {
    const doc = fs.readFileSync(path.join(__dirname, '../../..', file), 'utf8');
    const between = doc
      .slice(doc.indexOf('<!-- rule-table:start -->') + '<!-- rule-table:start -->'.length, doc.indexOf('<!-- rule-table:end -->'))
      .trim();
    expect(between).toBe(ruleTable());
  },
);

test('the table has one row per rule, with its default threshold and `for`', () => {
  const table = ruleTable();
  for (const r of RULES) expect(table).toContain(`| \`${r.id}\` |`);
  expect(table).toContain('| `container-oom-killed` |');
  expect(table).toMatch(/\| `container-restarts` \| .* \| 3\+ restarts in 24 h, at least one OOMKilled \| immediate \| warning \|/);
  expect(table).toMatch(/\| `asg-activity-failed` \| .* \| on occurrence, held 1h \| warning \|/);
});

test('the capacity rules say which removal actors they cover: N-1 and the domino every one, capacity-lost those whose removals nobody decided', () => {
  const row = (id: string) =>
    ruleTable()
      .split('\n')
      .find((l) => l.startsWith(`| \`${id}\` |`)) ?? '';
  for (const a of REMOVAL_ACTORS) {
    expect(row('n1-headroom')).toContain(`\`${a}\``);
    expect(row('scale-in-under-pressure')).toContain(`\`${a}\``);
  }
  expect(row('capacity-lost')).toContain(
    'Covers removals by: `spot-interruption`, `ec2-health`, `karpenter`, `eks-auto-mode` (karpenter and eks-auto-mode: node repair only;',
  );
  expect(row('capacity-lost')).not.toMatch(/`auto-scaling`|`drain`/);
  // As the removal model decides: Karpenter's node repair is lost, its consolidation and a person's drain are not.
  expect(actorOf({ since: 0, karpenter: true, signs: ['not-ready'] })).toMatchObject({ by: 'karpenter', lost: true });
  expect(actorOf({ since: 0, karpenter: true, signs: ['disrupted'], event: 'DisruptionTerminating: Underutilized' })).toMatchObject({
    by: 'karpenter',
    lost: false,
  });
  expect(actorOf({ since: 0, signs: ['cordoned'] })).toMatchObject({ by: 'drain', lost: false });
});
