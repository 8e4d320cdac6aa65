/**
 * The environment variables Vigil's Lambdas read, in one place: the handlers read them once at start-up
 * (`common/config.ts`), and the CDK constructs set them from the same names.
 */
export const ENV = {
  /** All handlers but Slack: the DynamoDB table. */
  tableName: 'VIGIL_TABLE_NAME',
  /** Ingest, collector: days of history kept (TTL). */
  retentionDays: 'VIGIL_RETENTION_DAYS',
  /** Ingest: JSON list of the agent roles and the one cluster each writes, `[{"roleArn":"arn:aws:iam::…:role/…","cluster":"prod"}]`. */
  agentRoles: 'VIGIL_AGENT_ROLES',
  /** Collector, evaluator, AWS events: JSON list of the clusters to watch, `[{"name":"prod","region":"eu-west-1"}]`, checked by `clusterListSchema` (`model/cluster.ts`), the rules synth checks too. */
  clusters: 'VIGIL_CLUSTERS',
  /** AWS events: how often the collector runs, whole minutes (how old its newest cloud rollup may be). */
  collectorEveryMinutes: 'VIGIL_COLLECTOR_EVERY_MINUTES',
  /** Collector: CloudWatch period for host metrics, 1 (detailed monitoring) or 5 (basic). */
  hostMetricsPeriodMinutes: 'VIGIL_HOST_METRICS_PERIOD_MINUTES',
  /** Collector: read CloudWatch host metrics every this many minutes (GetMetricData is billed per metric requested). */
  hostMetricsEveryMinutes: 'VIGIL_HOST_METRICS_EVERY_MINUTES',
  /** Collector: trailing window re-read on each CloudWatch read, so late data points fill in. */
  hostMetricsWindowMinutes: 'VIGIL_HOST_METRICS_WINDOW_MINUTES',
  /** Collector: JSON list of host metric groups to read, e.g. `["cpu","status","memory","disk"]`. */
  hostMetrics: 'VIGIL_HOST_METRICS',
  /** Evaluator: the SNS topic alerts are published to. */
  topicArn: 'VIGIL_TOPIC_ARN',
  /** Evaluator: JSON rule overrides (thresholds, `for`, severity, enablement, namespace filters). */
  rules: 'VIGIL_RULES',
  /** Evaluator: JSON list of recurring maintenance windows (`model/silence.ts`), silences declared in configuration. */
  maintenanceWindows: 'VIGIL_MAINTENANCE_WINDOWS',
  /** Ingest, evaluator: JSON list of the label keys lifted from workloads and namespaces onto alerts for routes, `["team"]`. */
  routeLabels: 'VIGIL_ROUTE_LABELS',
  /** Evaluator: JSON routes (`model/route.ts`): the default route's receivers and the routes; absent = no routing. */
  routes: 'VIGIL_ROUTES',
  /** Evaluator: runbook pages are this URL followed by the rule id (a rule's own `runbookUrl` wins). */
  runbookBaseUrl: 'VIGIL_RUNBOOK_BASE_URL',
  /**
   * Slack notifier: the name of the Secrets Manager secret holding the incoming-webhook URL. A name, not a
   * partial ARN: Secrets Manager takes an id ending in `-` and six characters as a complete ARN.
   */
  slackSecretName: 'VIGIL_SLACK_SECRET_NAME',
  /** Webhook notifier: the name of the Secrets Manager secret holding the webhook URL (a name, as above). */
  webhookSecretName: 'VIGIL_WEBHOOK_SECRET_NAME',
  /** PagerDuty notifier: the secret holding the Events API v2 routing key (a name, as above). */
  pagerDutySecretName: 'VIGIL_PAGERDUTY_SECRET_NAME',
  /**
   * Every notifier, when its `receives` is not everything: JSON list of it, e.g. `["critical","resolved","health"]`.
   * It sends only those changes of a message (SNS lets a whole message through when any change matches).
   */
  receives: 'VIGIL_RECEIVES',
  /** Teams notifier: the secret holding the Workflows webhook URL (a name, as above). */
  teamsSecretName: 'VIGIL_TEAMS_SECRET_NAME',
} as const;
