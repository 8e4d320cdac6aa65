/**
 * What every SNS message Vigil publishes carries as message attributes, so subscriptions can filter on
 * them. One message per cluster per evaluation groups changes of several severities, so a subscription
 * filters on `severities`, which names each of them: "email critical alerts and their resolutions" is the
 * allowlist `["critical", "critical-resolved"]` (`severityAllowlist`), and a message that resolves a critical
 * alert while a warning fires reaches it, while one that only resolves warnings does not.
 */
import type { Severity } from './domain';

export const MESSAGE_ATTRIBUTES = {
  /** The message's headline (its email subject's tag): the highest severity among what fires, or `resolved`. */
  severity: 'severity',
  /** `String.Array`: the `severityTag` of every change the message reports. What subscriptions filter on. */
  severities: 'severities',
  cluster: 'cluster',
  /** The rule id when the message is about one rule, else `multiple`. */
  rule: 'rule',
} as const;

export type MessageSeverity = 'critical' | 'warning' | 'info' | 'resolved';

/** A change's tag in `severities`: `critical` for what fires (new, escalated, repeated, flapping), `critical-resolved` for a resolution. */
export type SeverityTag = Severity | `${Severity}-resolved`;

const ALERT_SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

export function severityTag(severity: Severity, resolved: boolean): SeverityTag {
  return resolved ? `${severity}-resolved` : severity;
}

/**
 * The `severities` a subscription that receives `receives` lets through (its filter policy's allowlist):
 * those severities, and with `resolved` their resolutions (every resolution when no severity is named).
 */
export function severityAllowlist(receives: readonly MessageSeverity[]): SeverityTag[] {
  const firing = ALERT_SEVERITIES.filter((s) => receives.includes(s));
  const resolved = receives.includes('resolved') ? (firing.length ? firing : ALERT_SEVERITIES) : [];
  return [...firing, ...resolved.map((s) => severityTag(s, true))];
}
