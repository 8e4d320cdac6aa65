/**
 * The deployment's inputs: namespaced `vigil:*` context keys (cdk.json, or `cdk deploy -c key=value`), read
 * and validated here only. Every problem is reported at once, naming the key and what is expected; the
 * result is the typed props of `VigilStack`. Nothing here calls AWS.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { MAX_WINDOW_MINUTES, METRIC_GROUPS } from '../lambdas/collector/config';
import { RUNBOOK_URL, type RuleOverrides } from '../lambdas/evaluator/config';
import { formatPath } from '../common/json-path';
import { withClusterRules } from '../model/cluster';
import { AGENT_ARCHITECTURES, AGENT_AUTHS, DEFAULT_AGENT_AUTH, type AgentArchitecture } from '../agent/deploy/manifests';
import { oidcProviderOf, type AgentAuthKind } from '../lib/agent-access';
import { EMAIL, type EmailRecipient } from '../lib/notifications';
import { deliverySchema } from '../model/notification';
import { routeLabelsSchema } from '../model/route';
import type { MaintenanceWindow } from '../model/silence';
import { receiversSchema, routingPropsProblems, type EmailReceiver, type RoutesProps } from '../lib/routing';
import {
  hostMetricsSettingsProblems,
  maintenanceWindowProblems,
  ruleProblems,
  SECRET_NAME,
  type VigilProps,
  type WatchedCluster,
} from '../lib/vigil';

export const CONTEXT_KEYS = {
  stackName: 'vigil:stackName',
  clusters: 'vigil:clusters',
  agentAuth: 'vigil:agentAuth',
  alertEmails: 'vigil:alertEmails',
  severityRouting: 'vigil:severityRouting',
  slackSecretName: 'vigil:slackSecretName',
  webhookSecretName: 'vigil:webhookSecretName',
  pagerDutySecretName: 'vigil:pagerDutySecretName',
  teamsSecretName: 'vigil:teamsSecretName',
  receivers: 'vigil:receivers',
  routes: 'vigil:routes',
  routeLabels: 'vigil:routeLabels',
  retentionDays: 'vigil:retentionDays',
  schedule: 'vigil:schedule',
  hostMetrics: 'vigil:hostMetrics',
  rules: 'vigil:rules',
  maintenanceWindows: 'vigil:maintenanceWindows',
  runbookBaseUrl: 'vigil:runbookBaseUrl',
  agentSilenceMinutes: 'vigil:agentSilenceMinutes',
  logRetentionDays: 'vigil:logRetentionDays',
  memoryMb: 'vigil:memoryMb',
  table: 'vigil:table',
  agentImage: 'vigil:agentImage',
  agentArchitecture: 'vigil:agentArchitecture',
} as const;

type ContextKey = keyof typeof CONTEXT_KEYS;

export const DEFAULT_STACK_NAME = 'Vigil';

export class ContextError extends Error {
  override readonly name = 'ContextError';
  constructor(readonly problems: readonly string[]) {
    super(`Vigil cannot synthesize: fix these context values (cdk.json "context", or -c key=value):\n  - ${problems.join('\n  - ')}`);
  }
}

const authKind = z.enum(AGENT_AUTHS, { error: `must be ${AGENT_AUTHS.map((a) => `"${a}"`).join(' or ')}` });
const architecture = z.enum(AGENT_ARCHITECTURES, { error: `must be ${AGENT_ARCHITECTURES.map((a) => `"${a}"`).join(' or ')}` });
const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
const LOG_RETENTION_DAYS = Object.values(logs.RetentionDays).filter(
  (v): v is number => typeof v === 'number' && v !== logs.RetentionDays.INFINITE,
);

const cluster = z.strictObject(
  {
    name: z.string({ error: 'must be a string' }),
    region: z.string({ error: 'must be a string' }).optional(),
    agentAuth: authKind.optional(),
    oidcProvider: z.string({ error: 'must be a string' }).optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected name, region, agentAuth, oidcProvider`
        : 'must be an object like {"name": "prod"}',
  },
);

/** Each key: its schema and, in the error for a wrong type, what is expected. */
/** A receiver's secret (Slack, the webhook, PagerDuty, Teams), by name. */
const secretNameSchema = z.string({ error: 'must be a string' }).regex(SECRET_NAME, { error: 'must be a Secrets Manager secret name' });

const SCHEMAS = {
  stackName: z.string({ error: 'must be a string' }).regex(/^[A-Za-z][A-Za-z0-9-]{0,99}$/, {
    error: 'must be a CloudFormation stack name: a letter, then letters, digits and -, at most 100',
  }),
  clusters: withClusterRules(z.array(cluster, { error: 'must be a list of clusters like [{"name": "prod"}]' })),
  agentAuth: authKind,
  alertEmails: z.array(z.string({ error: 'must be a string' }).regex(EMAIL, { error: 'must be an email address' }), {
    error: 'must be a list of email addresses',
  }),
  severityRouting: z.record(
    z.string(),
    z.array(deliverySchema, { error: 'must be a list of deliveries' }).min(1, { error: 'must not be empty' }),
    {
      error:
        'must be an object mapping an email address (or "slack", "webhook", "pagerduty", "teams") to what it receives, like {"oncall@example.com": ["critical"]}',
    },
  ),
  slackSecretName: secretNameSchema,
  webhookSecretName: secretNameSchema,
  pagerDutySecretName: secretNameSchema,
  teamsSecretName: secretNameSchema,
  receivers: receiversSchema,
  // The shape here; routes are checked against the receivers, rule ids and route labels below.
  routes: z.unknown(),
  routeLabels: routeLabelsSchema,
  retentionDays: wholeNumber(1, 3650),
  schedule: z.strictObject(
    { collectorMinutes: wholeNumber(1, 60).optional(), evaluatorMinutes: wholeNumber(1, 60).optional() },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown field(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected collectorMinutes, evaluatorMinutes`
          : 'must be an object like {"collectorMinutes": 1, "evaluatorMinutes": 1}',
    },
  ),
  hostMetrics: z.strictObject(
    {
      periodMinutes: z
        .union([z.literal(1), z.literal(5)], { error: 'must be 1 (EC2 detailed monitoring) or 5 (basic monitoring)' })
        .optional(),
      everyMinutes: wholeNumber(1, 60).optional(),
      windowMinutes: wholeNumber(1, MAX_WINDOW_MINUTES).optional(),
      groups: z
        .array(z.enum(METRIC_GROUPS, { error: `must be one of ${METRIC_GROUPS.join(', ')}` }), { error: 'must be a list of metric groups' })
        .optional(),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown field(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected periodMinutes, everyMinutes, windowMinutes, groups`
          : 'must be an object like {"periodMinutes": 5, "everyMinutes": 5}',
    },
  ),
  // The shape here; each rule's settings are checked against the evaluator's own schema below.
  rules: z.record(z.string(), z.unknown(), { error: 'must be an object of rule overrides keyed by rule id' }),
  runbookBaseUrl: z
    .string({ error: 'must be a string' })
    .regex(RUNBOOK_URL, { error: 'must be an https URL like "https://wiki.example.com/vigil/" (no spaces, <, > or |)' }),
  // The shape here; each window is checked against the evaluator's own schema below.
  maintenanceWindows: z.array(z.unknown(), {
    error:
      'must be a list of maintenance windows like [{"name": "patching", "days": ["Sat"], "start": "02:00", "end": "04:00", "timeZone": "Europe/Paris"}]',
  }),
  agentSilenceMinutes: wholeNumber(2, 1440),
  logRetentionDays: z.number({ error: 'must be a number of days' }).refine((d) => LOG_RETENTION_DAYS.includes(d), {
    error: `must be one of the CloudWatch Logs retentions: ${LOG_RETENTION_DAYS.join(', ')}`,
  }),
  memoryMb: z.strictObject(
    {
      ingest: wholeNumber(128, 10240).optional(),
      collector: wholeNumber(128, 10240).optional(),
      evaluator: wholeNumber(128, 10240).optional(),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown field(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected ingest, collector, evaluator`
          : 'must be an object like {"evaluator": 1024}',
    },
  ),
  table: z.strictObject(
    {
      deletionProtection: z.boolean({ error: 'must be true or false' }).optional(),
      pointInTimeRecovery: z.boolean({ error: 'must be true or false' }).optional(),
      removalPolicy: z.enum(['retain', 'destroy'], { error: 'must be "retain" or "destroy"' }).optional(),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown field(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected deletionProtection, pointInTimeRecovery, removalPolicy`
          : 'must be an object like {"deletionProtection": true}',
    },
  ),
  agentImage: z
    .string({ error: 'must be an image reference' })
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/,
      'must be an image reference like 123456789012.dkr.ecr.eu-west-1.amazonaws.com/vigil-agent:0.1.0',
    ),
  agentArchitecture: architecture,
} satisfies Record<ContextKey, z.ZodType>;

/** The receivers' names in `vigil:severityRouting`, each with the key of its secret. */
const RECEIVER_TARGETS = {
  slack: { key: 'slackSecretName', needs: "Slack needs the webhook's secret" },
  webhook: { key: 'webhookSecretName', needs: "the webhook needs its URL's secret" },
  pagerduty: { key: 'pagerDutySecretName', needs: "PagerDuty needs its routing key's secret" },
  teams: { key: 'teamsSecretName', needs: "Teams needs its Workflows webhook URL's secret" },
} as const satisfies Record<string, { readonly key: ContextKey; readonly needs: string }>;
type ReceiverTarget = keyof typeof RECEIVER_TARGETS;
const isReceiverTarget = (t: string): t is ReceiverTarget => Object.hasOwn(RECEIVER_TARGETS, t);

/** Keys whose value is a string; the others arrive as JSON text when given with `-c key=value`. */
const STRING_KEYS: ReadonlySet<ContextKey> = new Set([
  'stackName',
  'agentAuth',
  'slackSecretName',
  'webhookSecretName',
  'pagerDutySecretName',
  'teamsSecretName',
  'agentImage',
  'agentArchitecture',
  'runbookBaseUrl',
]);

export interface VigilAppConfig {
  readonly stackName: string;
  /** Your own agent image; without it the stack builds agent/Dockerfile at deploy. */
  readonly agentImage?: string;
  /** The node architecture of the agent image (the built one's, or yours if it is single-arch). */
  readonly agentArchitecture?: AgentArchitecture;
  readonly vigil: VigilProps;
}

type ClusterContext = z.infer<typeof cluster>;

/** The clusters with their agent auth settled: a cluster's own, else the default; IRSA needs a valid provider. */
function watchedClusters(clusters: readonly ClusterContext[], defaultAuth: AgentAuthKind, problems: string[]): WatchedCluster[] {
  return clusters.map((c, i) => {
    const at = `${CONTEXT_KEYS.clusters}[${i}]`;
    const region = c.region ? { region: c.region } : {};
    if ((c.agentAuth ?? defaultAuth) === 'pod-identity') {
      if (c.oidcProvider !== undefined)
        problems.push(`${at}.oidcProvider is only used with "agentAuth": "irsa"; this cluster uses Pod Identity`);
      return { name: c.name, ...region, agentAuth: { kind: 'pod-identity' } };
    }
    if (c.oidcProvider === undefined) {
      problems.push(
        `${at}.oidcProvider is required with IRSA: the cluster's IAM OIDC provider ARN or issuer URL (aws eks describe-cluster --name ${c.name} --query cluster.identity.oidc.issuer)`,
      );
    } else {
      try {
        oidcProviderOf(c.oidcProvider);
      } catch (e) {
        problems.push(`${at}.oidcProvider: ${(e as Error).message}`);
      }
    }
    return { name: c.name, ...region, agentAuth: { kind: 'irsa', oidcProvider: c.oidcProvider ?? '' } };
  });
}

/** Reads the `vigil:*` keys out of the app's whole context (`app.node.getAllContext()`). */
export function readVigilContext(context: Readonly<Record<string, unknown>>): VigilAppConfig {
  const problems: string[] = [];
  const known = new Set<string>(Object.values(CONTEXT_KEYS));
  for (const k of Object.keys(context)) {
    if (k.startsWith('vigil:') && !known.has(k)) problems.push(`${k} is not a Vigil context key; the keys are ${[...known].join(', ')}`);
  }

  const read = <K extends ContextKey>(key: K): z.infer<(typeof SCHEMAS)[K]> | undefined => {
    const name = CONTEXT_KEYS[key];
    let raw = context[name];
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === 'string' && !STRING_KEYS.has(key)) {
      try {
        raw = JSON.parse(raw);
      } catch {
        problems.push(`${name} is not valid JSON: ${JSON.stringify(raw).slice(0, 80)}`);
        return undefined;
      }
    }
    const r = SCHEMAS[key].safeParse(raw);
    if (r.success) return r.data as z.infer<(typeof SCHEMAS)[K]>;
    for (const i of r.error.issues)
      problems.push(`${name}${i.path.length ? (typeof i.path[0] === 'number' ? '' : '.') + formatPath(i.path) : ''} ${i.message}`);
    return undefined;
  };

  const stackName = read('stackName') ?? DEFAULT_STACK_NAME;
  const clusters = read('clusters');
  if (context[CONTEXT_KEYS.clusters] === undefined)
    problems.push(`${CONTEXT_KEYS.clusters} is required: the EKS clusters to watch, like [{"name": "prod", "region": "eu-west-1"}]`);
  const defaultAuth = read('agentAuth') ?? DEFAULT_AGENT_AUTH;
  const emails = read('alertEmails') ?? [];
  const routing = read('severityRouting') ?? {};
  const secretNames = Object.fromEntries(Object.entries(RECEIVER_TARGETS).map(([target, { key }]) => [target, read(key)])) as Record<
    ReceiverTarget,
    string | undefined
  >;
  const receivers = read('receivers') as Record<string, EmailReceiver> | undefined;
  const routes = read('routes') as RoutesProps | undefined;
  const routeLabels = read('routeLabels');
  const retentionDays = read('retentionDays');
  const schedule = read('schedule');
  const hostMetrics = read('hostMetrics');
  if (hostMetrics)
    problems.push(...hostMetricsSettingsProblems(hostMetrics).map((p) => p.replace(/hostMetrics\./g, `${CONTEXT_KEYS.hostMetrics}.`)));
  const rules = read('rules');
  if (rules) problems.push(...ruleProblems(rules).map((p) => `${CONTEXT_KEYS.rules}${p.startsWith(':') ? '' : '.'}${p}`));
  const maintenanceWindows = read('maintenanceWindows');
  if (maintenanceWindows) problems.push(...maintenanceWindowProblems(maintenanceWindows).map((p) => `vigil:${p}`));
  const runbookBaseUrl = read('runbookBaseUrl');
  const agentSilenceMinutes = read('agentSilenceMinutes');
  const logRetentionDays = read('logRetentionDays');
  const table = read('table');
  const memoryMb = read('memoryMb');
  const agentImage = read('agentImage');
  const agentArchitecture = read('agentArchitecture');

  const watched = watchedClusters(clusters ?? [], defaultAuth, problems);

  const lowerEmails = emails.map((e) => e.toLowerCase());
  lowerEmails.forEach((e, i) => {
    if (lowerEmails.indexOf(e) !== i) problems.push(`${CONTEXT_KEYS.alertEmails}[${i}] "${emails[i]}" is listed twice`);
  });
  // Checked on the raw object too, so a wrong address is reported along with a wrong value.
  const rawRouting = context[CONTEXT_KEYS.severityRouting];
  const targets =
    typeof rawRouting === 'object' && rawRouting !== null && !Array.isArray(rawRouting) ? Object.keys(rawRouting) : Object.keys(routing);
  for (const target of targets) {
    if (isReceiverTarget(target)) {
      const { key, needs } = RECEIVER_TARGETS[target];
      if (secretNames[target] === undefined)
        problems.push(`${CONTEXT_KEYS.severityRouting}.${target} is set but ${CONTEXT_KEYS[key]} is not: ${needs}`);
    } else if (!lowerEmails.includes(target.toLowerCase())) {
      problems.push(
        `${CONTEXT_KEYS.severityRouting} has "${target}", which is neither ${Object.keys(RECEIVER_TARGETS)
          .map((t) => `"${t}"`)
          .join(', ')} nor an address of ${CONTEXT_KEYS.alertEmails}`,
      );
    }
  }
  const receiverOf = (target: ReceiverTarget) => {
    const secretName = secretNames[target];
    return secretName === undefined ? undefined : { secretName, receives: routing[target] };
  };
  const routeOf = (target: string) => Object.entries(routing).find(([k]) => k.toLowerCase() === target.toLowerCase())?.[1];
  const alertEmails: EmailRecipient[] = emails.map((address) => ({ address, ...(routeOf(address) ? { receives: routeOf(address) } : {}) }));

  const routingProps = {
    alertEmails,
    slack: receiverOf('slack'),
    webhook: receiverOf('webhook'),
    pagerDuty: receiverOf('pagerduty'),
    teams: receiverOf('teams'),
    receivers,
    routes,
    routeLabels,
  };
  problems.push(
    ...routingPropsProblems(routingProps, {
      receivers: CONTEXT_KEYS.receivers,
      routes: CONTEXT_KEYS.routes,
      routeLabels: CONTEXT_KEYS.routeLabels,
    }),
  );

  if (table?.removalPolicy === 'destroy' && table.deletionProtection !== false) {
    problems.push(`${CONTEXT_KEYS.table}: "removalPolicy": "destroy" needs "deletionProtection": false, or the stack cannot be deleted`);
  }

  if (problems.length) throw new ContextError(problems);
  return {
    stackName,
    ...(agentImage ? { agentImage } : {}),
    ...(agentArchitecture ? { agentArchitecture } : {}),
    vigil: {
      clusters: watched,
      ...routingProps,
      retentionDays,
      collectorEvery: schedule?.collectorMinutes === undefined ? undefined : Duration.minutes(schedule.collectorMinutes),
      evaluatorEvery: schedule?.evaluatorMinutes === undefined ? undefined : Duration.minutes(schedule.evaluatorMinutes),
      hostMetrics,
      rules: rules as RuleOverrides | undefined,
      maintenanceWindows: maintenanceWindows as MaintenanceWindow[] | undefined,
      runbookBaseUrl,
      agentSilence: agentSilenceMinutes === undefined ? undefined : Duration.minutes(agentSilenceMinutes),
      logRetention: logRetentionDays as logs.RetentionDays | undefined,
      memorySize: memoryMb,
      table: table && {
        deletionProtection: table.deletionProtection,
        pointInTimeRecovery: table.pointInTimeRecovery,
        removalPolicy:
          table.removalPolicy === undefined ? undefined : table.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      },
    },
  };
}
