import { createLogger } from '../../../common/log';
import { resolveRules } from '../../../lambdas/evaluator/config';
import { isFrozen, runRules } from '../../../lambdas/evaluator/run-rules';
import { T0 } from './harness';
import { SteadyCluster } from '../../../sim/steady-cluster';

test('a rule that throws is blind (its alerts held) and logged; the others still run', () => {
  const lines: string[] = [];
  const log = createLogger({ service: 'test', sink: (l) => lines.push(l) });
  const rules = resolveRules().map((r) =>
    r.rule.id === 'node-pressure'
      ? {
          ...r,
          rule: {
            ...r.rule,
            evaluate: () => {
              throw new TypeError('boom');
            },
          },
        }
      : r,
  );
  const s = new SteadyCluster({ nodes: 3 });
  s.setCondition(0, { type: 'Ready', status: 'False' });
  const ctx = s.context(T0, { rules });
  const out = runRules(ctx, rules, new Set(), log);
  expect([...out.blind]).toEqual(['node-pressure']);
  expect([...out.findings.values()].map((f) => f.rule)).toContain('node-not-ready');
  expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', rule: 'node-pressure', error: { name: 'TypeError', message: 'boom' } });
  expect(isFrozen(out, rules.find((r) => r.rule.id === 'node-pressure')!.rule, ctx, { cluster: s.cluster })).toBe(true);
});

test('namespace filters drop findings of excluded namespaces; disabled rules do not run', () => {
  const s = new SteadyCluster({ nodes: 3 });
  const ns = s.appPod(0).namespace;
  s.unscheduled = [{ ...s.appPod(0), uid: 'p', node: undefined, phase: 'Pending' }];
  const ctx = s.context(T0);
  const base = resolveRules();
  const rules = base.map((r) =>
    r.rule.id === 'pods-pending'
      ? { ...r, settings: { ...r.settings, namespaces: { include: [], exclude: [ns] } } }
      : r.rule.id === 'agent-silent'
        ? { ...r, settings: { ...r.settings, enabled: false } }
        : r,
  );
  expect(
    [...runRules(ctx, base, new Set(), createLogger({ service: 't', sink: () => undefined })).findings.values()].map((f) => f.rule),
  ).toEqual(['pods-pending']);
  expect(runRules(ctx, rules, new Set(), createLogger({ service: 't', sink: () => undefined })).findings.size).toBe(0);
});
