/**
 * What every SNS message Vigil publishes carries as message attributes, so subscriptions can filter on
 * them (for example: email only `severity = critical`). One message per cluster per evaluation; its
 * `severity` is the highest among the alerts it reports.
 */
export const MESSAGE_ATTRIBUTES = {
  /** `critical`, `warning`, `info`, or `resolved` when the message only reports resolutions. */
  severity: 'severity',
  cluster: 'cluster',
  /** The rule id when the message is about one rule, else `multiple`. */
  rule: 'rule',
} as const;

export type MessageSeverity = 'critical' | 'warning' | 'info' | 'resolved';
