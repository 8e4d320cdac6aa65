/**
 * What the evaluation must provide for its rules, combined from what each rule declares (`RuleNeeds`): the
 * memory's options (how long restarts are kept, which Warning events are tracked) and the staleness limits.
 * A new rule that needs a longer history or a limit says so in its own definition; nothing here names it.
 */
import { MINUTE_MS } from '../../model/time';
import type { KubeEvent } from '../../model/domain';
import { ALERT_DEFAULTS, type ResolvedRule } from './config';
import type { ObserveOptions } from './memory';
import type { RuleNeeds } from './rules/types';

/** Used when no rule sets the limit (a rule list without Vigil's own rules). */
const DEFAULT_AGENT_SILENT_AFTER_MS = 3 * MINUTE_MS;
const DEFAULT_STALE_AFTER_MS = 5 * MINUTE_MS;
const DEFAULT_EVENT_COUNT_JUMP = 10;

export interface EvaluationNeeds {
  readonly observe: ObserveOptions;
  readonly agentStaleAfterMs: number;
  readonly cloudStaleAfterMs: number;
  readonly resourceStaleAfterMs: number;
}

/** Every rule's needs combined: the longest history asked for, the shortest staleness limit, any rule's events. */
export function evaluationNeeds(rules: readonly ResolvedRule[]): EvaluationNeeds {
  const declared = rules.flatMap((r) => (r.rule.needs ? [r.rule.needs(r.settings)] : []));
  const values = <K extends keyof RuleNeeds>(k: K) => declared.flatMap((d) => (d[k] === undefined ? [] : [d[k]!]));
  const shortest = (k: 'agentSilentAfterMs' | 'resourceStaleAfterMs' | 'cloudSilentAfterMs', fallback: number) =>
    values(k).length ? Math.min(...values(k)) : fallback;
  const events = values('warningEvents');
  return {
    observe: {
      restartWindowMs: Math.max(0, ...values('restartWindowMs')),
      eventCountJump: events.length ? Math.min(...events.map((e) => e.countJump)) : DEFAULT_EVENT_COUNT_JUMP,
      eventUpdateEveryMs: ALERT_DEFAULTS.updateEveryMs,
      trackEvent: (e: KubeEvent) => events.some((w) => w.track(e)),
    },
    agentStaleAfterMs: shortest('agentSilentAfterMs', DEFAULT_AGENT_SILENT_AFTER_MS),
    cloudStaleAfterMs: shortest('cloudSilentAfterMs', DEFAULT_STALE_AFTER_MS),
    resourceStaleAfterMs: shortest('resourceStaleAfterMs', DEFAULT_STALE_AFTER_MS),
  };
}
