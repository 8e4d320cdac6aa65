/**
 * The table of every alert for the README and docs/alerts.md, generated from the rules themselves so it
 * cannot drift from them (a test compares). Print it with `npx tsx lambdas/evaluator/rule-table.ts`.
 */
import { RULE_DEFAULTS, resolveRules } from './config';
import { formatDuration } from '../../model/quantity';
import { RULE_GROUPS } from './rules/catalog';
import type { RemovalCoverage } from './rules/types';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** "Covers removals by: `karpenter`, … (note)." */
const coverage = (c: RemovalCoverage) =>
  `Covers removals by: ${c.actors.map((a) => `\`${a}\``).join(', ')}${c.note ? ` (${c.note})` : ''}.`;

export function ruleTable(): string {
  const settings = new Map(resolveRules().map((r) => [r.rule.id, r.settings]));
  const lines: string[] = [];
  for (const group of RULE_GROUPS) {
    lines.push(
      `**${group.title}**`,
      '',
      '| Rule id | What it means | Default threshold | `for` | Severity | What to do |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const r of group.rules) {
      const s = settings.get(r.id)!;
      const d = RULE_DEFAULTS[r.id];
      const when = r.event ? `on occurrence, held ${formatDuration(s.resolveAfterMs)}` : s.forMs ? formatDuration(s.forMs) : 'immediate';
      lines.push(
        `| \`${r.id}\` | ${cell(r.meaning)}${r.covers ? ` ${coverage(r.covers)}` : ''} | ${cell(r.threshold(s.params))} | ${when} | ${d.severity} | ${cell(r.action)} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

if (require.main === module) process.stdout.write(ruleTable() + '\n');
