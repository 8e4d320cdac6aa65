import { parseRuleOverrides, resolveRules, ruleOverridesSchema, type ResolvedRule } from '../../../lambdas/evaluator/config';
import { memoryRetentionMs } from '../../../lambdas/evaluator/memory';
import { evaluationNeeds } from '../../../lambdas/evaluator/needs';
import type { KubeEvent } from '../../../model/domain';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../model/time';
import { T0 } from './harness';

const event = (reason: string): KubeEvent => ({
  objectUid: 'u1',
  objectKind: 'Pod',
  objectName: 'web-1',
  namespace: 'shop',
  reason,
  type: 'Warning',
  message: 'm',
  count: 1,
  firstSeen: T0,
  lastSeen: T0,
});
const rulesWith = (overrides: unknown) => resolveRules(ruleOverridesSchema.parse(parseRuleOverrides(overrides)));

test("by default: a day of restarts (the OOM kill messages count 24 h), the Vigil rules' staleness limits, the Warning-events rule's reasons", () => {
  const needs = evaluationNeeds(resolveRules());
  expect(needs.observe.restartWindowMs).toBe(DAY_MS);
  expect([needs.agentStaleAfterMs, needs.resourceStaleAfterMs, needs.cloudStaleAfterMs]).toEqual([
    3 * MINUTE_MS,
    5 * MINUTE_MS,
    5 * MINUTE_MS,
  ]);
  expect(needs.observe.eventCountJump).toBe(10);
  expect(needs.observe.trackEvent(event('FailedMount'))).toBe(true);
  // Reasons other rules tell are not tracked as Warning events.
  expect(needs.observe.trackEvent(event('FailedScheduling'))).toBe(false);
});

test("each rule's settings set what it declares: a longer restart window keeps more memory, staleness limits follow the Vigil rules", () => {
  const needs = evaluationNeeds(
    rulesWith({
      'container-restarts': { window: '48h' },
      'agent-silent': { silentAfter: '10m' },
      'agent-data-stale': { staleAfter: '7m' },
      'collector-failing': { silentAfter: '20m' },
      'warning-events': { countJump: 25 },
    }),
  );
  expect(needs.observe.restartWindowMs).toBe(48 * HOUR_MS);
  expect(memoryRetentionMs(needs.observe)).toBe(96 * HOUR_MS);
  expect([needs.agentStaleAfterMs, needs.resourceStaleAfterMs, needs.cloudStaleAfterMs]).toEqual([
    10 * MINUTE_MS,
    7 * MINUTE_MS,
    20 * MINUTE_MS,
  ]);
  expect(needs.observe.eventCountJump).toBe(25);
});

test('a disabled Warning-events rule tracks no event: the memory keeps no marks for it', () => {
  const needs = evaluationNeeds(rulesWith({ 'warning-events': { enabled: false } }));
  expect(needs.observe.trackEvent(event('FailedMount'))).toBe(false);
});

test('a rule that declares a longer history gets it without the evaluator naming it', () => {
  const rules = resolveRules().map(
    (r): ResolvedRule => (r.rule.id === 'peer-outlier' ? { ...r, rule: { ...r.rule, needs: () => ({ restartWindowMs: 3 * DAY_MS }) } } : r),
  );
  expect(evaluationNeeds(rules).observe.restartWindowMs).toBe(3 * DAY_MS);
});
