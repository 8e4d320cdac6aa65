import { Duration, Stack, Tags, Token } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_AGENT_AUTH } from '../agent/deploy/manifests';
import {
  DEFAULT_HOST_METRICS,
  hostMetricsProblems,
  MAX_WINDOW_MINUTES,
  METRIC_GROUPS,
  type HostMetricsSettings,
} from '../lambdas/collector/config';
import { ENV } from '../lambdas/env';
import { parseRuleOverrides, RuleConfigError, RUNBOOK_URL, type RuleOverrides } from '../lambdas/evaluator/config';
import { formatPath } from '../common/json-path';
import { clusterListProblems } from '../model/cluster';
import type { ClusterConfig } from '../model/domain';
import { maintenanceWindowsSchema, type MaintenanceWindow } from '../model/silence';
import { AgentAccess, oidcProviderOf, type AgentAuth } from './agent-access';
import { AwsEvents } from './aws-events';
import { Collector } from './collector';
import { Dashboards } from './dashboards';
import { Evaluator } from './evaluator';
import { FailureQueue } from './failure-queue';
import { functionUrlRegionProblem, refuseRegionsWithoutFunctionUrls } from './function-url-regions';
import { Ingest } from './ingest';
import { DELIVERIES, EMAIL, Notifications } from './notifications';
import { resolvedRouting, routingPropsProblems, type RoutingProps } from './routing';
import { SelfMonitoring } from './self-monitoring';
import { StoreTable, type StoreTableProps } from './store-table';

/** A cluster Vigil watches, and how its agent authenticates. */
export interface WatchedCluster extends ClusterConfig {
  /** @default { kind: 'pod-identity' } */
  readonly agentAuth?: AgentAuth;
}

export interface VigilProps extends RoutingProps {
  /** The EKS clusters to watch: at least one, names unique (across regions too: the name keys the data). */
  readonly clusters: readonly WatchedCluster[];
  /** Days of history kept in the table (DynamoDB TTL); alert state is kept regardless. @default 14 */
  readonly retentionDays?: number;
  /** How often the collector reads AWS, whole minutes from 1 to 60. @default Duration.minutes(1) */
  readonly collectorEvery?: Duration;
  /** How often the evaluator runs the rules, whole minutes from 1 to 60. @default Duration.minutes(1) */
  readonly evaluatorEvery?: Duration;
  /**
   * Which CloudWatch host metrics the collector reads, how often and over which trailing window (GetMetricData
   * is billed per metric read). Fields left out keep their default.
   * @default DEFAULT_HOST_METRICS of lambdas/collector/config.ts
   */
  readonly hostMetrics?: Partial<HostMetricsSettings>;
  /**
   * Rule overrides for the evaluator (thresholds, `for`, severity, enablement), keyed by rule id, validated
   * against the evaluator's schema and passed as `VIGIL_RULES`.
   * @default {}: RULE_DEFAULTS of lambdas/evaluator/config.ts
   */
  readonly rules?: RuleOverrides;
  /**
   * Recurring maintenance windows (weekdays, a local time range, an IANA time zone, optional label matchers):
   * alerts they match send no message while open; what still fires is told when they close.
   * @default [] none
   */
  readonly maintenanceWindows?: readonly MaintenanceWindow[];
  /**
   * Every message links each alert to `<runbookBaseUrl><rule id>` (e.g. `https://wiki.example.com/vigil/`),
   * unless the rule's override names its own `runbookUrl`.
   * @default no runbook links
   */
  readonly runbookBaseUrl?: string;
  /** How long the agent of a cluster may be silent before Vigil's own alarm, whole minutes from 2. @default Duration.minutes(5) */
  readonly agentSilence?: Duration;
  /** @default on-demand, TTL, point-in-time recovery, deletion protection, retained on stack deletion */
  readonly table?: StoreTableProps;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Memory of the functions in MB (128–10240; CPU grows with it). @default ingest and collector 512, evaluator 1024 */
  readonly memorySize?: { readonly ingest?: number; readonly collector?: number; readonly evaluator?: number };
  /** Start of the dashboard and alarm names. @default the stack name and a dash */
  readonly namePrefix?: string;
  /** Key of the notification topics. @default a new customer managed key with yearly rotation */
  readonly encryptionKey?: kms.IKey;
}

/** The defaults, in one place. */
export const VIGIL_DEFAULTS = {
  retentionDays: 14,
  collectorEvery: Duration.minutes(1),
  evaluatorEvery: Duration.minutes(1),
  agentSilence: Duration.minutes(5),
  logRetention: logs.RetentionDays.ONE_MONTH,
  agentAuth: { kind: DEFAULT_AGENT_AUTH },
} as const satisfies Partial<Record<keyof VigilProps | 'agentAuth', unknown>>;

export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const NAME_PREFIX = /^[A-Za-z0-9_-]{0,200}$/;

export class VigilConfigError extends Error {
  override readonly name = 'VigilConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid Vigil configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const wholeMinutes = (d: Duration) => Number.isInteger(d.toSeconds() / 60);

/** Every problem with the props, at once; `stackRegion` is the deployment region when known at synth. */
export function vigilPropsProblems(props: VigilProps, stackRegion?: string): string[] {
  const problems: string[] = [];
  const regionProblem = stackRegion === undefined ? undefined : functionUrlRegionProblem(stackRegion);
  if (regionProblem) problems.push(regionProblem);
  problems.push(...clusterListProblems(props.clusters).map((p) => `clusters${formatPath(p.path)} ${p.message}`));
  props.clusters.forEach((c, i) => {
    const at = `clusters[${i}]`;
    const auth = c.agentAuth ?? VIGIL_DEFAULTS.agentAuth;
    if (auth.kind === 'irsa') {
      try {
        oidcProviderOf(auth.oidcProvider);
      } catch (e) {
        problems.push(`${at}.agentAuth.oidcProvider: ${(e as Error).message}`);
      }
    } else if (c.region !== undefined && stackRegion !== undefined && c.region !== stackRegion) {
      problems.push(
        `${at}: Pod Identity needs the cluster in the stack's region (${stackRegion}), not ${c.region}; use IRSA for this cluster`,
      );
    }
  });
  const emails = new Set<string>();
  (props.alertEmails ?? []).forEach((e, i) => {
    if (!EMAIL.test(e.address)) problems.push(`alertEmails[${i}] "${e.address}" is not an email address`);
    if (emails.has(e.address.toLowerCase())) problems.push(`alertEmails[${i}] "${e.address}" is listed twice`);
    emails.add(e.address.toLowerCase());
    problems.push(...deliveryProblems(`alertEmails[${i}].receives`, e.receives));
  });
  for (const [at, r] of [
    ['slack', props.slack],
    ['webhook', props.webhook],
    ['pagerDuty', props.pagerDuty],
    ['teams', props.teams],
  ] as const) {
    if (!r) continue;
    if (!SECRET_NAME.test(r.secretName)) problems.push(`${at}.secretName "${r.secretName}" is not a Secrets Manager secret name`);
    problems.push(...deliveryProblems(`${at}.receives`, r.receives));
  }
  for (const [name, r] of Object.entries(props.receivers ?? {}))
    problems.push(...deliveryProblems(`receivers.${name}.receives`, r.receives));
  problems.push(...routingPropsProblems(props, { receivers: 'receivers', routes: 'routes', routeLabels: 'routeLabels' }));
  for (const [fn, mb] of Object.entries(props.memorySize ?? {})) {
    if (mb !== undefined && (!Number.isInteger(mb) || mb < 128 || mb > 10240))
      problems.push(`memorySize.${fn} must be whole MB from 128 to 10240, got ${mb}`);
  }
  const retention = props.retentionDays ?? VIGIL_DEFAULTS.retentionDays;
  if (!Number.isInteger(retention) || retention < 1 || retention > 3650)
    problems.push(`retentionDays must be a whole number of days from 1 to 3650, got ${retention}`);
  for (const key of ['collectorEvery', 'evaluatorEvery'] as const) {
    const d = props[key] ?? VIGIL_DEFAULTS[key];
    if (!wholeMinutes(d) || d.toMinutes() < 1 || d.toMinutes() > 60)
      problems.push(`${key} must be whole minutes from 1 to 60, got ${d.toHumanString()}`);
  }
  problems.push(...hostMetricsSettingsProblems(props.hostMetrics));
  const silence = props.agentSilence ?? VIGIL_DEFAULTS.agentSilence;
  if (!wholeMinutes(silence) || silence.toMinutes() < 2 || silence.toMinutes() > 1440) {
    problems.push(`agentSilence must be whole minutes from 2 to 1440, got ${silence.toHumanString()}`);
  }
  if (props.rules !== undefined) problems.push(...ruleProblems(props.rules).map((p) => `rules${p.startsWith(':') ? '' : '.'}${p}`));
  problems.push(...maintenanceWindowProblems(props.maintenanceWindows ?? []));
  if (props.runbookBaseUrl !== undefined && !RUNBOOK_URL.test(props.runbookBaseUrl))
    problems.push(`runbookBaseUrl "${props.runbookBaseUrl}" must be an https URL (no spaces, <, > or |)`);
  if (props.namePrefix !== undefined && !Token.isUnresolved(props.namePrefix) && !NAME_PREFIX.test(props.namePrefix)) {
    problems.push(`namePrefix "${props.namePrefix}" may hold only letters, digits, - and _`);
  }
  return problems;
}

/** Problems with host metric settings (the collector's own cross-checks included), naming the fields `hostMetrics.…`. */
export function hostMetricsSettingsProblems(h: Partial<HostMetricsSettings> = {}): string[] {
  const s = { ...DEFAULT_HOST_METRICS, ...h };
  const problems: string[] = [];
  if (s.periodMinutes !== 1 && s.periodMinutes !== 5) problems.push(`hostMetrics.periodMinutes must be 1 or 5, got ${s.periodMinutes}`);
  if (!Number.isInteger(s.everyMinutes) || s.everyMinutes < 1 || s.everyMinutes > 60)
    problems.push(`hostMetrics.everyMinutes must be whole minutes from 1 to 60, got ${s.everyMinutes}`);
  if (!Number.isInteger(s.windowMinutes) || s.windowMinutes < 1 || s.windowMinutes > MAX_WINDOW_MINUTES) {
    problems.push(`hostMetrics.windowMinutes must be whole minutes from 1 to ${MAX_WINDOW_MINUTES}, got ${s.windowMinutes}`);
  }
  const unknown = s.groups.filter((g) => !(METRIC_GROUPS as readonly string[]).includes(g));
  if (unknown.length) problems.push(`hostMetrics.groups: ${unknown.map((g) => `"${g}"`).join(', ')} not among ${METRIC_GROUPS.join(', ')}`);
  if (new Set(s.groups).size !== s.groups.length) problems.push('hostMetrics.groups lists a group twice');
  const names: Record<string, string> = {
    [ENV.hostMetricsWindowMinutes]: 'hostMetrics.windowMinutes',
    [ENV.hostMetricsEveryMinutes]: 'hostMetrics.everyMinutes',
  };
  return [...problems, ...hostMetricsProblems(s).map((p) => p.replace(/VIGIL_[A-Z_]+/g, (v) => names[v] ?? v))];
}

/** Problems with maintenance windows, as `maintenanceWindows[i].field …`. */
export function maintenanceWindowProblems(windows: unknown): string[] {
  const r = maintenanceWindowsSchema.safeParse(windows);
  return r.success ? [] : r.error.issues.map((i) => `maintenanceWindows${formatPath(i.path)} ${i.message}`);
}

/** The evaluator's own validation of rule overrides: each problem as `<rule>.<field>: …` (or `: …` for the whole). */
export function ruleProblems(rules: unknown): string[] {
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules))
    return [': must be an object of rule overrides keyed by rule id'];
  try {
    parseRuleOverrides(rules);
    return [];
  } catch (e) {
    if (!(e instanceof RuleConfigError)) throw e;
    return e.problems.map((p) => (/^[\w-]+(\.|\[|:)/.test(p) && !p.startsWith('unknown rule') ? p : `: ${p}`));
  }
}

function deliveryProblems(at: string, receives: readonly string[] | undefined): string[] {
  if (receives === undefined) return [];
  if (receives.length === 0) return [`${at} is empty: list what to receive (${DELIVERIES.join(', ')}), or leave it out for the default`];
  return receives
    .filter((r) => !(DELIVERIES as readonly string[]).includes(r))
    .map((r) => `${at}: "${r}" is not one of ${DELIVERIES.join(', ')}`);
}

/**
 * Vigil: serverless monitoring for Amazon EKS, as one construct. It composes the store, the ingest endpoint
 * and the agents' access, the scheduled collector and evaluator, notifications, self-monitoring and the
 * dashboards. Embed it in any stack; `VigilStack` is the deployable wrapper.
 */
export class Vigil extends Construct {
  readonly store: StoreTable;
  readonly failures: FailureQueue;
  readonly ingest: Ingest;
  readonly collector: Collector;
  readonly awsEvents: AwsEvents;
  readonly evaluator: Evaluator;
  readonly notifications: Notifications;
  /** One per cluster, in the order of `props.clusters`. */
  readonly agents: readonly { readonly cluster: WatchedCluster; readonly auth: AgentAuth; readonly access: AgentAccess }[];
  readonly selfMonitoring: SelfMonitoring;
  readonly dashboards: Dashboards;

  constructor(scope: Construct, id: string, props: VigilProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const problems = vigilPropsProblems(props, Token.isUnresolved(stack.region) ? undefined : stack.region);
    if (problems.length) throw new VigilConfigError(problems);
    refuseRegionsWithoutFunctionUrls(this);
    // Cost Explorer can group Vigil's resources by this tag.
    Tags.of(this).add('Application', 'Vigil');

    const p = { ...VIGIL_DEFAULTS, ...definedOnly(props) };
    const prefix = props.namePrefix ?? `${stack.stackName}-`;
    const clusters: ClusterConfig[] = props.clusters.map(({ name, region }) => (region ? { name, region } : { name }));

    this.store = new StoreTable(this, 'Store', p.table);
    this.failures = new FailureQueue(this, 'Failures');
    this.ingest = new Ingest(this, 'Ingest', {
      store: this.store,
      routeLabels: props.routeLabels,
      retentionDays: p.retentionDays,
      logRetention: p.logRetention,
      memorySize: props.memorySize?.ingest,
    });
    this.agents = props.clusters.map((cluster) => {
      const auth = cluster.agentAuth ?? VIGIL_DEFAULTS.agentAuth;
      const access = new AgentAccess(this, ['Agent', cluster.name, cluster.region].filter(Boolean).join('-'), {
        cluster,
        auth,
        ingest: this.ingest.function.function,
      });
      this.ingest.acceptAgent(cluster.name, access.role);
      return { cluster, auth, access };
    });
    const hostMetrics = { ...DEFAULT_HOST_METRICS, ...props.hostMetrics };
    this.collector = new Collector(this, 'Collector', {
      clusters,
      store: this.store,
      retentionDays: p.retentionDays,
      hostMetrics,
      every: p.collectorEvery,
      failures: this.failures.queue,
      logRetention: p.logRetention,
      memorySize: props.memorySize?.collector,
    });
    this.awsEvents = new AwsEvents(this, 'AwsEvents', {
      clusters,
      store: this.store,
      retentionDays: p.retentionDays,
      collectorEvery: p.collectorEvery,
      failures: this.failures.queue,
      logRetention: p.logRetention,
    });
    this.notifications = new Notifications(this, 'Notifications', {
      emails: p.alertEmails ?? [],
      slack: p.slack,
      webhook: p.webhook,
      pagerDuty: p.pagerDuty,
      teams: p.teams,
      routed: props.routes !== undefined,
      emailReceivers: props.receivers,
      failures: this.failures.queue,
      logRetention: p.logRetention,
      alarmNamePrefix: prefix,
      encryptionKey: p.encryptionKey,
    });
    this.evaluator = new Evaluator(this, 'Evaluator', {
      clusters,
      store: this.store,
      hostMetricsPeriodMinutes: hostMetrics.periodMinutes,
      rules: p.rules ?? {},
      maintenanceWindows: p.maintenanceWindows ?? [],
      runbookBaseUrl: p.runbookBaseUrl,
      routes: resolvedRouting(props),
      routeLabels: props.routeLabels,
      notifications: this.notifications,
      every: p.evaluatorEvery,
      failures: this.failures.queue,
      logRetention: p.logRetention,
      memorySize: props.memorySize?.evaluator,
    });
    const functions = {
      ingest: this.ingest.function.function,
      collector: this.collector.function.function,
      awsEvents: this.awsEvents.function.function,
      evaluator: this.evaluator.function.function,
      ...(this.notifications.slack ? { slack: this.notifications.slack.function } : {}),
      ...(this.notifications.webhook ? { webhook: this.notifications.webhook.function } : {}),
      ...(this.notifications.pagerDuty ? { pagerDuty: this.notifications.pagerDuty.function } : {}),
      ...(this.notifications.teams ? { teams: this.notifications.teams.function } : {}),
    };
    this.selfMonitoring = new SelfMonitoring(this, 'SelfMonitoring', {
      functions,
      ingest: this.ingest.function.function,
      failures: this.failures.queue,
      clusters,
      agentSilence: p.agentSilence,
      evaluatorEvery: p.evaluatorEvery,
      topic: this.notifications.health,
      alarmNamePrefix: prefix,
      slackSecretName: p.slack?.secretName,
      webhookSecretName: p.webhook?.secretName,
      pagerDutySecretName: p.pagerDuty?.secretName,
      teamsSecretName: p.teams?.secretName,
    });
    this.dashboards = new Dashboards(this, 'Dashboards', {
      clusters,
      functions,
      table: this.store.table,
      alarms: this.selfMonitoring.alarms,
      namePrefix: prefix,
    });
  }
}

/** `{ ...defaults, ...props }` must not let an explicit `undefined` erase a default. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
