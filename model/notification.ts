/**
 * What every SNS message Vigil publishes carries as message attributes, so subscriptions can filter on
 * them. One message per cluster per evaluation groups changes of several severities, so a subscription
 * filters on `severities`, which names each of them: "email critical alerts and their resolutions" is the
 * allowlist `["critical", "critical-resolved"]` (`severityAllowlist`), and a message that resolves a critical
 * alert while a warning fires reaches it, while one that only resolves warnings does not.
 *
 * Each route label (`vigil:routeLabels`, e.g. `team`) is a `String.Array` attribute too, naming the values
 * among the message's alerts, so a filter policy `{"team": ["shop"]}` matches any message about the shop
 * team. With routes, each message is for one receiver and carries only what was routed to it.
 */
import { z } from 'zod';
import type { Severity } from './domain';

export const MESSAGE_ATTRIBUTES = {
  /** The message's headline (its email subject's tag): the highest severity among what fires, or `resolved`. */
  severity: 'severity',
  /** `String.Array`: the `severityTag` of every change the message reports. What subscriptions filter on. */
  severities: 'severities',
  cluster: 'cluster',
  /** The rule id when the message is about one rule, else `multiple`. */
  rule: 'rule',
  /** With routes (`model/route.ts`), the receiver the message is for: each receiver's subscription filters on it. */
  receiver: 'receiver',
} as const;

export type MessageSeverity = 'critical' | 'warning' | 'info' | 'resolved';

/**
 * What a recipient can receive: the evaluator's alert messages by severity, and `health`, Vigil's own
 * CloudWatch alarms (its functions failing, the agent silent).
 */
export type Delivery = MessageSeverity | 'health';

export const MESSAGE_SEVERITIES: readonly MessageSeverity[] = ['critical', 'warning', 'info', 'resolved'];
export const DELIVERIES: readonly Delivery[] = [...MESSAGE_SEVERITIES, 'health'];

export const deliverySchema = z.enum(DELIVERIES as [Delivery, ...Delivery[]], { error: `must be one of ${DELIVERIES.map((d) => `"${d}"`).join(', ')}` });

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

/** Whether `receives` is everything a message can carry: then nothing needs filtering. */
export const receivesAll = (receives: readonly Delivery[]) => DELIVERIES.every((d) => receives.includes(d));

/**
 * Whether a recipient that receives `receives` wants this change: the same test its subscription's filter
 * policy makes on a whole message, made per change, since one message can carry several severities.
 */
export function receivesChange(receives: readonly Delivery[], severity: Severity, resolved: boolean): boolean {
  const severities = MESSAGE_SEVERITIES.filter((s) => receives.includes(s));
  return severityAllowlist(severities).includes(severityTag(severity, resolved));
}
