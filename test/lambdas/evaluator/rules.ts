/** Running one rule by id on a context, with default or overridden settings (rule tests). */
import { resolveRules, ruleOverridesSchema, type ParsedOverrides } from '../../../lambdas/evaluator/config';
import type { EvaluationContext } from '../../../lambdas/evaluator/context';
import type { Draft, Prior } from '../../../lambdas/evaluator/rules/types';

export function run(
  id: string,
  ctx: EvaluationContext,
  overrides: Record<string, unknown> = {},
  prior: Prior = { findings: [], firing: new Set() },
): Draft[] {
  const r = resolveRules(ruleOverridesSchema.parse({ [id]: overrides }) as ParsedOverrides).find((x) => x.rule.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r.rule.evaluate(ctx, r.settings, prior);
}
