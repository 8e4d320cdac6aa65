/**
 * Rule ids are a closed set derived from the catalogue. The `@ts-expect-error` lines are checked by
 * `npx tsc --noEmit` (test/ is in the program): each fails the type-check if a misspelt id ever compiles.
 */
import { isRuleId, RULES, RULES_BY_ID, type RuleId } from '../../../../lambdas/evaluator/rules/catalog';
import { defineRule, type AnyRule, type RuleFinding } from '../../../../lambdas/evaluator/rules/types';

test('a misspelt rule id does not compile', () => {
  const known: RuleId = 'node-not-ready';
  // @ts-expect-error 'node-not-redy' is not a rule id
  const misspelt: RuleId = 'node-not-redy';
  // @ts-expect-error a list of rule ids takes only rule ids
  const list: readonly RuleId[] = ['container-restarts', 'container-restart'];
  const pending = (f: Pick<RuleFinding, 'rule'>) =>
    // @ts-expect-error a finding's rule compared with a misspelt id is an error, not a silent false
    f.rule === 'pods-pendng';
  expect([known, misspelt, list.length, pending({ rule: 'pods-pending' })]).toEqual(['node-not-ready', 'node-not-redy', 2, false]);
});

test('a rule whose inhibition names a misspelt rule is not a catalogue rule', () => {
  const rule = {
    id: 'x-rule',
    title: 'X',
    meaning: 'x',
    action: 'x',
    sources: {},
    defaults: { severity: 'info' as const, for: '0' },
    params: {},
    threshold: () => 'x',
    evaluate: () => [],
  };
  const good: AnyRule<string> = defineRule({ ...rule, inhibits: [{ target: { rule: 'node-not-ready' }, equal: ['node'] }] });
  // @ts-expect-error the catalogue takes only rules whose inhibitions name rule ids
  const bad: AnyRule<string> = defineRule({ ...rule, inhibits: [{ target: { rule: 'node-not-redy' }, equal: ['node'] }] });
  expect([good.inhibits?.[0].target.rule, bad.inhibits?.[0].target.rule]).toEqual(['node-not-ready', 'node-not-redy']);
});

test('the ids come from the catalogue: every rule once, and text from outside is checked against them', () => {
  const ids = RULES.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(RULES_BY_ID.get('n1-headroom')?.title).toBe('Cluster cannot lose a node (N-1)');
  expect(ids.every(isRuleId)).toBe(true);
  expect(isRuleId('node-not-redy')).toBe(false);
});
