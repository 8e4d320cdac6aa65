import { EnvReader } from '../../../common/config';
import { parseRuleOverrides, resolveRules, RULE_DEFAULTS, ruleOverridesSchema, RuleConfigError } from '../../../lambdas/evaluator/config';
import { RULES } from '../../../lambdas/evaluator/rules/catalog';

const problems = (json: unknown): string[] => {
  try {
    parseRuleOverrides(json);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(RuleConfigError);
    return [...(e as RuleConfigError).problems];
  }
};

test('every rule has stable kebab-case id, defaults that pass its own schema, and a readable threshold', () => {
  const ids = RULES.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const r of RULES) {
    expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(RULE_DEFAULTS[r.id]).toMatchObject({ enabled: true, severity: r.defaults.severity, for: r.defaults.for });
    expect(() => parseRuleOverrides({ [r.id]: RULE_DEFAULTS[r.id] })).not.toThrow();
    expect(r.title.length).toBeLessThanOrEqual(60);
    expect(r.action).toMatch(/\.$|\)$/);
  }
  expect(ids).toEqual(
    expect.arrayContaining([
      'node-pressure',
      'n1-headroom',
      'scale-in-under-pressure',
      'container-restarts',
      'agent-silent',
      'collector-failing',
      'peer-outlier',
    ]),
  );
});

test("overrides apply on top of the defaults, durations in people's units", () => {
  const rules = resolveRules(
    ruleOverridesSchema.parse({
      'node-not-ready': { for: '1h30m', criticalNodes: 3, severity: 'critical', namespaces: { exclude: ['batch-*'] } },
      'peer-outlier': { enabled: false },
    }) as never,
  );
  const nr = rules.find((r) => r.rule.id === 'node-not-ready')!.settings;
  expect(nr).toMatchObject({
    enabled: true,
    severity: 'critical',
    forMs: 90 * 60_000,
    resolveAfterMs: 5 * 60_000,
    renotifyEveryMs: 24 * 3_600_000,
    namespaces: { include: [], exclude: ['batch-*'] },
  });
  expect(nr.params).toEqual({ criticalNodes: 3, criticalGroupPct: 20, criticalMinGroupNodes: 5 });
  expect(rules.find((r) => r.rule.id === 'peer-outlier')!.settings.enabled).toBe(false);
  // Critical rules re-notify faster than warnings; occurrence rules never repeat.
  expect(rules.find((r) => r.rule.id === 'agent-silent')!.settings.renotifyEveryMs).toBe(4 * 3_600_000);
  expect(rules.find((r) => r.rule.id === 'container-oom-killed')!.settings.renotifyEveryMs).toBe(0);
});

test('every bad key and value is named, with a suggestion for typos', () => {
  expect(
    problems({
      'node-presure': { for: '5m' },
      'node-not-ready': { for: '5 minutes', criticalNodes: -1, critcalNodes: 2 },
      'container-restarts': { severity: 'page', namespaces: { exclude: ['Bad_NS'] } },
    }).sort(),
  ).toEqual(
    [
      'unknown rule "node-presure" (did you mean "node-pressure"?)',
      'node-not-ready.for: expected a duration like "90s", "15m", "1h30m" or "0", got "5 minutes"',
      'node-not-ready.criticalNodes: Too small: expected number to be >=0',
      'node-not-ready: unknown setting "critcalNodes" (did you mean "criticalNodes"?) (valid: enabled, severity, for, resolveAfter, renotifyEvery, namespaces, runbookUrl, criticalNodes, criticalGroupPct, criticalMinGroupNodes)',
      'container-restarts.severity: Invalid option: expected one of "info"|"warning"|"critical"',
      'container-restarts.namespaces.exclude[0]: expected a namespace name or a glob like "team-*"',
    ].sort(),
  );
});

test('accepts a JSON string (VIGIL_RULES, `-c vigil:rules=…`) or an object (cdk.json), and returns it as given', () => {
  const o = { 'node-pressure': { for: '10m' } };
  expect(parseRuleOverrides(JSON.stringify(o))).toEqual(o);
  expect(parseRuleOverrides(o)).toBe(o);
  expect(problems('{"node-pressure":')).toEqual([expect.stringMatching(/^not valid JSON: /)]);
  expect(problems([])).toEqual([expect.stringMatching(/expected object/)]);
});

test('the evaluator reads VIGIL_RULES through EnvReader with the same schema: problems named with the variable', () => {
  const env = new EnvReader({ VIGIL_RULES: '{"node-pressure":{"for":"soon"}}' });
  env.json('VIGIL_RULES', ruleOverridesSchema, {});
  expect(() => env.done()).toThrow(/VIGIL_RULES at node-pressure\.for: expected a duration/);
});
