/**
 * Runs every enabled rule over one evaluation's context. A rule whose data source is unavailable, or that
 * throws, is "blind": its alerts are held as they are (neither fired nor resolved) and the failure is logged,
 * while the other rules' results are kept.
 */
import { alertId, type Subject } from '../../model/domain';
import type { Logger } from '../../common/log';
import { noticesByInstance, withNotice } from './aws-events';
import type { ResolvedRule } from './config';
import type { EvaluationContext } from './context';
import { SEVERITY_RANK } from '../../model/notification';
import { namespaceAllowed } from './rules/common';
import type { AnyRule, Evidence, RuleFinding } from './rules/types';

export interface RuleRun {
  /** Findings by alert id (one per id: the most severe when a rule reports a subject twice). */
  readonly findings: ReadonlyMap<string, RuleFinding>;
  /** Rules that could not look this time (source unavailable or an error). */
  readonly blind: ReadonlySet<string>;
}

export function sourceBlind(rule: AnyRule, ctx: EvaluationContext): boolean {
  return (
    (rule.sources.agent === true && ctx.blind.agent) ||
    (rule.sources.resources ?? []).some((r) => ctx.blind.resources.has(r)) ||
    (rule.sources.cloud ?? []).some((s) => ctx.blind.services.has(s))
  );
}

export function runRules(ctx: EvaluationContext, rules: readonly ResolvedRule[], firing: ReadonlySet<string>, log: Logger): RuleRun {
  const findings = new Map<string, RuleFinding>();
  const blind = new Set<string>();
  const ordered = [...rules.filter((r) => !r.rule.meta), ...rules.filter((r) => r.rule.meta)];
  const notices = noticesByInstance(ctx);
  for (const { rule, settings } of ordered) {
    if (!settings.enabled) continue;
    if (sourceBlind(rule, ctx)) {
      blind.add(rule.id);
      continue;
    }
    try {
      const drafts = rule.evaluate(ctx, settings, { findings: [...findings.values()], firing });
      for (const d of drafts) {
        if (d.subject.namespace !== undefined && !namespaceAllowed(settings, d.subject.namespace)) continue;
        const f: RuleFinding = withNotice(ctx, { ...d, rule: rule.id, runbook: d.runbook ?? rule.action }, notices);
        const id = alertId(rule.id, f.subject);
        const prev = findings.get(id);
        if (!prev || SEVERITY_RANK[f.severity] > SEVERITY_RANK[prev.severity]) findings.set(id, f);
      }
    } catch (e) {
      blind.add(rule.id);
      log.error('rule failed; its alerts are held', { cluster: ctx.cluster, rule: rule.id, error: e as Error });
    }
  }
  return { findings, blind };
}

/** Whether an alert of `rule` about `subject` (with the `evidence` it was last raised on) must be held as it is this evaluation. */
export function isFrozen(run: RuleRun, rule: AnyRule | undefined, ctx: EvaluationContext, subject: Subject, evidence?: Evidence): boolean {
  if (!rule) return false;
  return run.blind.has(rule.id) || subjectBlind(rule, ctx, subject) || (rule.blind?.(ctx, subject, evidence) ?? false);
}

/** The subject is a node group or Auto Scaling group whose own read failed, from a service the rule reads. */
function subjectBlind(rule: AnyRule, ctx: EvaluationContext, subject: Subject): boolean {
  const services = rule.sources.cloud ?? [];
  return ctx.blind.subjects.some(
    (b) =>
      services.includes(b.service) &&
      ((b.nodeGroup !== undefined && b.nodeGroup === subject.nodeGroup) ||
        (b.autoScalingGroup !== undefined && b.autoScalingGroup === subject.autoScalingGroup)),
  );
}
