/**
 * What a receiver is told of a message: only the changes of the severities it receives. SNS filters whole
 * messages, and one message per cluster and evaluation can carry a critical beside warnings, so a function
 * subscribed for `["critical", "resolved"]` is handed the warnings too. Each receiver function drops them here,
 * before rendering, so a webhook or chat channel that feeds a pager is not woken by what it did not ask for.
 */
import {
  oneRule,
  receivesChange,
  topSeverity,
  type AlertChange,
  type Delivery,
  type FoldedChange,
  type Notification,
} from '../../model/notification';

/**
 * The part of `n` a receiver of `receives` wants, its headline and counts recomputed; undefined when none is.
 * The changes a storm left uncounted one by one (beyond `folded`) have no known severity and stay counted.
 */
export function receivedPart(n: Notification, receives: readonly Delivery[]): Notification | undefined {
  const received = (c: Pick<AlertChange | FoldedChange, 'kind' | 'severity'>) =>
    receivesChange(receives, c.severity, c.kind === 'resolved');
  const changes = n.changes.filter(received);
  const folded = n.folded?.filter(received);
  const untold = n.omitted.count - (n.folded?.length ?? 0);
  if (changes.length === n.changes.length && folded?.length === n.folded?.length) return n;
  if (changes.length === 0 && !folded?.length && untold === 0) return undefined;

  const dropped = new Map<string, number>();
  for (const f of n.folded ?? []) if (!received(f)) dropped.set(f.rule, (dropped.get(f.rule) ?? 0) + 1);
  const omittedRules = n.omitted.rules.map((r) => ({ ...r, count: r.count - (dropped.get(r.rule) ?? 0) })).filter((r) => r.count > 0);
  const kept = [...changes, ...(folded ?? [])];
  const gone = [...n.changes, ...(n.folded ?? [])].filter((c) => !received(c));
  const goneFiring = gone.filter((c) => c.kind !== 'resolved').length;
  return {
    v: n.v,
    cluster: n.cluster,
    evaluatedAt: n.evaluatedAt,
    severity: topSeverity(kept) ?? (untold > 0 ? n.severity : 'resolved'),
    rule: oneRule([...kept.map((c) => c.rule), ...omittedRules.map((r) => r.rule)]),
    changes,
    omitted: {
      count: n.omitted.count - (n.folded?.length ?? 0) + (folded?.length ?? 0),
      rules: omittedRules.sort((a, b) => b.count - a.count),
    },
    ...(folded?.length ? { folded } : {}),
    counts: { firing: n.counts.firing - goneFiring, resolved: n.counts.resolved - (gone.length - goneFiring) },
    active: n.active,
  };
}
