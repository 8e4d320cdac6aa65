/**
 * The scenario file format, version 1 (docs/scenarios.md; JSON Schema in docs/scenario.schema.json).
 *
 * A scenario describes a cluster, a timeline of happenings, and what Vigil must (and must not) say about
 * it. Other people write scenarios against this format, so it only grows by optional fields within a
 * version; anything else bumps `version`.
 */
import { z } from 'zod';
import { isRuleId } from '../../lambdas/evaluator/rules/catalog';
import { formatPath } from '../../common/json-path';
import { parseBytes, parseCpuMilli, parseDuration } from '../../model/quantity';
import { DEFAULT_ROUTE_LABELS, routingProblems, routingSchema } from '../../model/route';

export const SCENARIO_VERSION = 1;

/** Local mode's receivers: each message of a receiver is one outbox entry. */
export const LOCAL_RECEIVERS = ['email', 'slack', 'webhook'] as const;

const check = <T>(parse: (s: string) => T, what: string) =>
  z.string().refine((s) => {
    try {
      parse(s);
      return true;
    } catch {
      return false;
    }
  }, `expected ${what}`);

const duration = check(parseDuration, 'a duration like 30s, 15m, 1h30m').describe('A duration: 30s, 15m, 1h30m, 2d');
const cpu = check(parseCpuMilli, 'a CPU quantity like 250m or 2').describe('CPU, as in Kubernetes: 250m, 2');
const bytes = check(parseBytes, 'a byte quantity like 512Mi or 1.5Gi').describe('Bytes, as in Kubernetes: 512Mi, 1.5Gi');
/** `20Mi/m`, `1Gi/h`: an amount per minute or per hour. */
const rate = z
  .string()
  .regex(/^[^/]+\/(s|m|h)$/, 'expected a rate like 20Mi/m or 2Gi/h')
  .refine((s) => {
    try {
      parseBytes(s.split('/')[0]);
      return true;
    } catch {
      return false;
    }
  }, 'expected a rate like 20Mi/m or 2Gi/h')
  .describe('An amount per second, minute or hour: 20Mi/m, 2Gi/h');
const name = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'expected a Kubernetes name (lowercase letters, digits, -)');
const labels = z.record(z.string(), z.string());
/** A node as scenarios name it: `<node group>/<index>`, index from 1 in launch order. */
const nodeRef = z
  .string()
  .regex(/^[a-z0-9-]+\/\d+$/, 'expected a node as <node group>/<index>, e.g. general/2')
  .describe('A node: <node group>/<index>, e.g. general/2 (1 = first launched)');
/** A workload as `<namespace>/<name>`. */
const workloadRef = z
  .string()
  .regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'expected a workload as <namespace>/<name>')
  .describe('A workload: <namespace>/<name>');

const resources = z.object({ cpu: cpu.optional(), memory: bytes.optional(), 'ephemeral-storage': bytes.optional() }).strict();
const severity = z.enum(['info', 'warning', 'critical']);
const taintEffect = z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
const taint = z.object({ key: z.string().min(1), value: z.string().optional(), effect: taintEffect }).strict();
const toleration = z
  .object({
    key: z.string().optional(),
    operator: z.enum(['Equal', 'Exists']).default('Equal'),
    value: z.string().optional(),
    effect: taintEffect.optional(),
  })
  .strict()
  .describe('As in a pod spec: tolerates the taints it matches');

const topology = z.enum(['hostname', 'zone']).describe('kubernetes.io/hostname or topology.kubernetes.io/zone');

const container = z
  .object({
    name,
    image: z.string().min(1),
    requests: resources.optional().describe('Absent memory request: the pod lands anywhere and counts for nothing in capacity checks'),
    limits: resources.optional(),
    usage: z.object({ cpu, memory: bytes }).strict().describe('Steady usage per replica (CPU above the limit is throttled to it)'),
  })
  .strict();

const workload = z
  .object({
    namespace: name,
    name,
    kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']).default('Deployment'),
    replicas: z.number().int().min(0).max(1000).optional().describe('Not for DaemonSets'),
    labels: labels.optional(),
    containers: z.array(container).min(1),
    nodeSelector: labels.optional().describe('Node labels the pods require, as in a pod spec'),
    nodeAffinity: z
      .object({ nodeGroups: z.array(name).min(1).optional(), capacityType: z.enum(['on-demand', 'spot']).optional() })
      .strict()
      .optional()
      .describe('Required node affinity: only these node groups, only this capacity type'),
    tolerations: z.array(toleration).optional(),
    zonalVolume: z
      .boolean()
      .optional()
      .describe(
        'StatefulSets: each replica mounts its own EBS volume, made in the zone it first runs in; it can only run in that zone again',
      ),
    antiAffinity: z
      .array(topology)
      .min(1)
      .optional()
      .describe('Required pod anti-affinity against its own pods: at most one replica per node (hostname) or per zone'),
    topologySpread: z
      .array(z.object({ topology, maxSkew: z.number().int().min(1).default(1) }).strict())
      .min(1)
      .optional()
      .describe(
        'Topology spread constraints over its own pods with whenUnsatisfiable: DoNotSchedule: a replica goes Pending rather than skew its nodes (hostname) or zones by more than maxSkew',
      ),
    disruptionBudget: z
      .union([z.object({ minAvailable: z.number().int().min(0) }).strict(), z.object({ maxUnavailable: z.number().int().min(0) }).strict()])
      .optional()
      .describe('A PodDisruptionBudget: evictions (a drain) may not take the ready pods below it'),
  })
  .strict()
  .refine((w) => (w.kind === 'DaemonSet') === (w.replicas === undefined), {
    message: 'replicas is required, except for DaemonSets (which have none)',
    path: ['replicas'],
  })
  .refine((w) => !w.zonalVolume || w.kind === 'StatefulSet', {
    message: 'zonalVolume is for StatefulSets (volumeClaimTemplates)',
    path: ['zonalVolume'],
  });

const nodeGroup = z
  .object({
    name,
    kind: z
      .enum(['managed', 'self-managed', 'karpenter', 'auto-mode'])
      .default('managed')
      .describe(
        'karpenter: a Karpenter NodePool (no Auto Scaling group); auto-mode: an EKS Auto Mode NodePool (Karpenter run by AWS, nodes labelled eks.amazonaws.com/compute-type: auto)',
      ),
    instanceType: z.string().min(1),
    capacityType: z.enum(['on-demand', 'spot']).default('on-demand'),
    zones: z.array(z.string()).min(1).default(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']),
    size: z
      .object({ min: z.number().int().min(0), max: z.number().int().min(1), desired: z.number().int().min(0) })
      .strict()
      .refine((s) => s.min <= s.desired && s.desired <= s.max, 'expected min <= desired <= max'),
    detailedMonitoring: z.boolean().default(false).describe('EC2 detailed monitoring: host metrics every minute instead of every 5'),
    labels: labels.optional().describe('Extra labels of its nodes'),
    taints: z.array(taint).optional().describe('Taints of its nodes'),
    node: z
      .object({
        cpu,
        memory: bytes,
        pods: z.number().int().min(1).max(737),
        disk: bytes,
        allocatableCpu: cpu.optional().describe('Default: EKS reservations for the CPU count'),
        allocatableMemory: bytes.optional().describe('Default: EKS reservations for the pod count'),
        evictionHard: z
          .object({ 'memory.available': bytes.optional() })
          .strict()
          .optional()
          .describe(
            "The kubelet's evictionHard where it differs from the default (memory.available 100Mi): it evicts, and reports MemoryPressure, at this level; its /configz says so",
          ),
        system: z
          .object({ cpu: cpu.optional(), memory: bytes.optional(), disk: bytes.optional() })
          .strict()
          .optional()
          .describe('Use outside pods (OS, kubelet, container images): default 100m, 600Mi, 12Gi'),
      })
      .strict(),
  })
  .strict();

/** What every happening has: when, and optionally a name expectations refer to (`before`). */
/** Scheduled changes a scenario can announce, and the AWS Health event type code of each. */
export const SCHEDULED_EVENT_CODES = {
  'instance-retirement': 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
  'instance-stop': 'AWS_EC2_INSTANCE_STOP_SCHEDULED',
  'instance-reboot': 'AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED',
  'system-reboot': 'AWS_EC2_SYSTEM_REBOOT_MAINTENANCE_SCHEDULED',
} as const;
const SCHEDULED_EVENTS = Object.keys(SCHEDULED_EVENT_CODES) as [
  keyof typeof SCHEDULED_EVENT_CODES,
  ...(keyof typeof SCHEDULED_EVENT_CODES)[],
];

const when = {
  at: duration.describe('When, from the scenario start'),
  id: name.optional().describe('A name for expectations to refer to, e.g. "fire before": unique in the timeline'),
};

const happenings = [
  z
    .object({
      do: z.literal('scale-in'),
      ...when,
      nodeGroup: z.string(),
      desired: z.number().int().min(0),
      cause: z
        .enum(['alarm', 'scheduled', 'user', 'cluster-autoscaler'])
        .default('alarm')
        .describe(
          'alarm: a scaling policy on a CloudWatch alarm; scheduled: a scheduled action; user: desired capacity lowered by hand; cluster-autoscaler: it drains the named nodes, then terminates them decrementing desired capacity',
        ),
      node: nodeRef.optional().describe('The instance the group terminates; default: the newest'),
      nodes: z.array(nodeRef).min(1).optional().describe('The instances the group terminates, in order; default: the newest'),
    })
    .strict()
    .describe('The Auto Scaling group lowers its desired capacity and terminates instances; their pods are rescheduled'),
  z
    .object({ do: z.literal('scale-out'), ...when, nodeGroup: z.string(), desired: z.number().int().min(0) })
    .strict()
    .describe('The group raises its desired capacity; new nodes join after about two minutes'),
  z
    .object({ do: z.literal('node-group-update'), ...when, nodeGroup: z.string() })
    .strict()
    .describe(
      'An EKS managed node group update: one node more, each old node drained and replaced, then desired lowered by one back to its size',
    ),
  z
    .object({
      do: z.literal('scaling-failure'),
      ...when,
      nodeGroup: z.string(),
      desired: z.number().int().min(0),
      statusMessage: z.string().default('We currently do not have sufficient capacity in the Availability Zone you requested.'),
    })
    .strict()
    .describe('The group tries to launch instances and the activity fails; capacity stays short'),
  z
    .object({ do: z.literal('replicas'), ...when, workload: workloadRef, replicas: z.number().int().min(0) })
    .strict()
    .describe('A workload is scaled (by hand or an autoscaler); pods that do not fit stay Pending'),
  z
    .object({
      do: z.literal('usage'),
      ...when,
      workload: workloadRef,
      container: name.optional(),
      cpu: cpu.optional(),
      memory: bytes.optional(),
      pods: z
        .array(name)
        .min(1)
        .optional()
        .describe('Which pods: StatefulSet pods by name (search-0); default all, or the first `replicas`'),
    })
    .strict()
    .describe("A workload's steady usage changes (load)"),
  z
    .object({
      do: z.literal('memory-leak'),
      ...when,
      workload: workloadRef,
      container: name.optional(),
      rate,
      replicas: z.number().int().min(1).optional().describe('How many replicas leak; default all'),
      pods: z
        .array(name)
        .min(1)
        .optional()
        .describe('Which pods: StatefulSet pods by name (search-0); default all, or the first `replicas`'),
    })
    .strict()
    .describe('Memory grows until the limit, the container is OOM-killed, restarts and leaks again'),
  z
    .object({
      do: z.literal('crash-loop'),
      ...when,
      workload: workloadRef,
      container: name.optional(),
      exitCode: z.number().int().default(1),
      pods: z
        .array(name)
        .min(1)
        .optional()
        .describe('Which pods: StatefulSet pods by name (search-0); default all, or the first `replicas`'),
    })
    .strict()
    .describe('A container exits at start; Kubernetes restarts it with back-off (CrashLoopBackOff)'),
  z
    .object({
      do: z.literal('rollout'),
      ...when,
      workload: workloadRef,
      image: z.string().min(1),
      container: name.optional().describe('Default: the first container'),
      outcome: z
        .enum(['healthy', 'crash-loop', 'ImagePullBackOff', 'CreateContainerConfigError'])
        .default('healthy')
        .describe(
          'How the new version starts: it runs, it exits at start, its image cannot be pulled, its configuration cannot be created',
        ),
      maxUnavailable: z
        .union([z.number().int().min(1), z.string().regex(/^([1-9]\d?|100)%$/, 'expected a count or a percentage like 25%')])
        .optional()
        .describe("A DaemonSet's updateStrategy.rollingUpdate.maxUnavailable: how many nodes' pods are replaced at once (default 1)"),
    })
    .strict()
    .describe(
      'The workload changes its image: a Deployment gets a new ReplicaSet and rolls over (maxSurge and maxUnavailable 25%), a DaemonSet node by node (maxUnavailable 1); new pods that never become ready stall it, as in Kubernetes',
    ),
  z
    .object({ do: z.literal('rollback'), ...when, workload: workloadRef })
    .strict()
    .describe("kubectl rollout undo: back to the previous template (a Deployment's earlier ReplicaSet), rolled over the same way"),
  z
    .object({
      do: z.literal('bad-image'),
      ...when,
      workload: workloadRef,
      image: z.string().min(1),
      reason: z.enum(['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError']).default('ImagePullBackOff'),
    })
    .strict()
    .describe('A rollout to an image that cannot be pulled (or a config that cannot be created): a rollout whose outcome is that reason'),
  z
    .object({
      do: z.literal('disk-fill'),
      ...when,
      node: nodeRef.optional(),
      rate,
      source: z
        .enum(['logs', 'emptyDir', 'images', 'other'])
        .default('other')
        .describe(
          "logs and emptyDir: a workload's pods write them (ephemeral storage, counted per pod); images: the image filesystem; other: outside pods",
        ),
      workload: workloadRef.optional().describe('logs, emptyDir: the workload whose pods write (each at `rate`)'),
    })
    .strict()
    .describe("A node's filesystem fills until the kubelet reports DiskPressure and evicts pods by their ephemeral-storage use"),
  z
    .object({
      do: z.literal('node-condition'),
      ...when,
      node: nodeRef,
      condition: z.string().min(1),
      status: z.enum(['True', 'False', 'Unknown']),
      reason: z.string().optional(),
      message: z.string().optional(),
    })
    .strict()
    .describe('Set any node condition, e.g. KernelDeadlock from node-problem-detector'),
  z
    .object({ do: z.literal('node-flap'), ...when, node: nodeRef, period: duration, for: duration })
    .strict()
    .describe("The node's Ready condition flips every period"),
  z
    .object({ do: z.literal('kubelet-down'), ...when, node: nodeRef, for: duration.optional() })
    .strict()
    .describe('The kubelet stops reporting (Ready becomes Unknown) while the instance keeps running'),
  z
    .object({ do: z.literal('status-check-failed'), ...when, node: nodeRef, for: duration.optional() })
    .strict()
    .describe("EC2 reports a failed status check for the node's instance"),
  z
    .object({ do: z.literal('cordon'), ...when, node: nodeRef })
    .strict()
    .describe('The node is marked unschedulable'),
  z
    .object({ do: z.literal('uncordon'), ...when, node: nodeRef })
    .strict()
    .describe('The node is schedulable again'),
  z
    .object({ do: z.literal('drain'), ...when, node: nodeRef })
    .strict()
    .describe(
      "kubectl drain: cordon, then evict every pod but DaemonSets', respecting PodDisruptionBudgets (blocked evictions are retried); the evicted pods are recreated where they fit",
    ),
  z
    .object({
      do: z.literal('terminate-instance'),
      ...when,
      nodes: z.array(nodeRef).min(1),
      cause: z.enum(['spot-interruption', 'health', 'user']),
    })
    .strict()
    .describe(
      'Instances go without a drain: spot-interruption after the 2-minute notice, health when EC2 reports them impaired, user by hand. The node goes NotReady, is deleted with its pods when the instance is terminated, and the group launches a replacement. On a Karpenter or EKS Auto Mode NodePool, Karpenter handles the Spot notice: it taints the node karpenter.sh/disrupted, records SpotInterrupted and drains it before the instance goes',
    ),
  z
    .object({
      do: z.literal('karpenter-disruption'),
      ...when,
      nodes: z.array(nodeRef).min(1),
      reason: z.enum(['Underutilized', 'Empty', 'Drifted', 'Expired']).default('Underutilized'),
    })
    .strict()
    .describe(
      'Karpenter (or EKS Auto Mode) disrupts nodes of a NodePool: taints them karpenter.sh/disrupted:NoSchedule, records DisruptionTerminating ("Disrupting Node: <reason>"), evicts their pods within PodDisruptionBudgets, then deletes them (consolidation by deletion: no replacement)',
    ),
  z
    .object({
      do: z.literal('karpenter-launch-failure'),
      ...when,
      nodePool: z.string().describe('A node group of kind karpenter or auto-mode'),
      failure: z.enum(['insufficient-capacity', 'never-ready']).default('insufficient-capacity'),
      for: duration.describe('How long launches fail; then Karpenter launches nodes for the Pending pods again'),
    })
    .strict()
    .describe(
      'Karpenter cannot bring up nodes for a NodePool while pods are Pending: insufficient-capacity (each NodeClaim gets an InsufficientCapacityError event and is deleted), or never-ready (instances launch but their nodes never register; each NodeClaim is deleted after 15 minutes and another launched)',
    ),
  z
    .object({
      do: z.literal('karpenter-drift'),
      ...when,
      nodePool: z.string().describe('A node group of kind karpenter or auto-mode'),
      budget: z
        .string()
        .regex(/^((100|[0-9]{1,2})%|[0-9]+)$/, 'a node count or a percentage, e.g. 0 or 10%')
        .optional()
        .describe('The NodePool\'s disruption budget for Drifted from then on, e.g. "0": none may be replaced'),
    })
    .strict()
    .describe(
      "The NodePool's template changes (a new AMI, a NodeClass edit): its NodeClaims become Drifted (condition Drifted=True). The simulated Karpenter does not replace drifted nodes",
    ),
  z
    .object({ do: z.literal('node-repair'), ...when, node: nodeRef })
    .strict()
    .describe(
      'Node auto repair (EKS Auto Mode, Karpenter) replaces an unhealthy node: its instance is terminated without a drain, the node deleted with its pods, and its NodePool launches a replacement',
    ),
  z
    .object({
      do: z.literal('scheduled-event'),
      ...when,
      node: nodeRef,
      event: z.enum(SCHEDULED_EVENTS),
      in: duration.describe('How long after the announcement the change starts'),
    })
    .strict()
    .describe(
      "AWS Health announces a scheduled change to the node's instance (retirement, stop, reboot maintenance), as the EventBridge event the stack receives; nothing happens to the instance unless the timeline says so",
    ),
  z
    .object({ do: z.literal('agent-outage'), ...when, for: duration })
    .strict()
    .describe('The agent stops pushing'),
  z
    .object({
      do: z.literal('silence'),
      ...when,
      for: duration,
      match: z
        .object({
          rule: z.string().min(1),
          severity,
          nodeGroup: z.string().min(1),
          node: z.string().min(1).describe('A node (<node group>/<index>) or a node-name glob'),
          namespace: z.string().min(1),
          workload: z.string().min(1),
          container: z.string().min(1),
        })
        .partial()
        .strict()
        .describe('Label patterns (* globs), all of which must match; none: everything'),
      comment: z.string().min(1).default('silenced by the scenario'),
    })
    .strict()
    .describe(
      'Someone adds a silence (vigil silence add): matching alerts send nothing while it lasts; what still fires when it ends is told once',
    ),
  z
    .object({ do: z.literal('cloudwatch-delay'), ...when, for: duration, delay: duration })
    .strict()
    .describe('CloudWatch data points become readable only after a delay'),
  z
    .object({
      do: z.literal('event-storm'),
      ...when,
      reason: z.string().min(1),
      count: z.number().int().min(1).max(100_000),
      over: duration,
      workload: workloadRef.optional(),
      message: z.string().optional(),
    })
    .strict()
    .describe('Many Warning events in a short time'),
  z
    .object({
      do: z.literal('cluster-status'),
      ...when,
      status: z.enum(['CREATING', 'ACTIVE', 'DELETING', 'FAILED', 'UPDATING', 'PENDING']),
    })
    .strict()
    .describe("The EKS cluster's status changes"),
  z
    .object({ do: z.literal('nodegroup-health'), ...when, nodeGroup: z.string(), code: z.string(), message: z.string() })
    .strict()
    .describe('EKS reports a health issue on a managed node group'),
] as const;

const happening = z.discriminatedUnion('do', happenings);

/** A rule id of the catalogue: a typo fails the load instead of expecting (or forbidding) nothing. */
const ruleId = z
  .string()
  .refine(isRuleId, { error: (i) => `unknown rule id "${String(i.input)}" (rule ids are those of the README's alert table)` })
  .describe('A rule id, e.g. n1-headroom');
/** The labels of an alert's subject (model/domain.ts `Subject`), but the cluster (always the scenario's). */
const subjectLabels = z
  .object({
    nodeGroup: z.string(),
    autoScalingGroup: z.string(),
    node: z.string(),
    instanceId: z.string(),
    namespace: z.string(),
    workload: z.string(),
    pod: z.string(),
    container: z.string(),
    detail: z.string(),
  })
  .partial()
  .strict();

const expectedAlert = z
  .object({
    rule: ruleId,
    within: duration.describe('Must be firing (notified) no later than this after the onset'),
    severity: severity.optional(),
    subject: subjectLabels.optional().describe('Labels the alert\'s subject must have, e.g. {"node": "general/2"}'),
    times: z
      .union([
        z.number().int().min(1),
        z.object({ min: z.number().int().min(1).optional(), max: z.number().int().min(1).optional() }).strict(),
      ])
      .optional()
      .describe(
        "How many messages announce it (firing, escalation, reminder; not an update or the resolution; one evaluation's messages to several receivers count once): exactly N, or {min, max}",
      ),
    refires: z.boolean().optional().describe('It must resolve and then fire again (a recurring fault told each time)'),
    before: name.optional().describe('It must fire before the happening with this id'),
    quietDuring: name.optional().describe('No message tells it while the silence happening with this id lasts'),
    receivers: z
      .array(z.enum(LOCAL_RECEIVERS))
      .min(1)
      .optional()
      .describe('With routes: the receivers told of it; each must be told it fired, and no other receiver may hear of it'),
    maxSeverity: severity.optional().describe('It is never announced above this severity'),
    mentions: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Texts the message announcing it must contain (subject line and body, with the action text), case-insensitive'),
  })
  .strict();

const budget = z
  .object({
    messages: z.number().int().min(0).describe('At most this many messages over the whole run'),
    perRule: z
      .record(z.string(), z.number().int().min(0))
      .optional()
      .describe('At most this many messages that carry a given rule (firing, update or resolution)'),
  })
  .strict()
  .describe('What a good on-call engineer would accept receiving for this incident; exceeding it fails the check');

export const scenarioSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(SCENARIO_VERSION),
    name,
    description: z.string().min(1),
    start: z.iso.datetime().default('2026-11-23T08:00:00Z').describe('Simulated start time (UTC)'),
    duration,
    onset: duration.optional().describe('When the incident starts; alert times are reported from it. Default: the first happening'),
    cluster: z
      .object({
        name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/),
        region: z.string().default('eu-west-1'),
        version: z.string().default('1.33'),
        nodeGroups: z.array(nodeGroup).min(1),
        workloads: z.array(workload).default([]),
        namespaces: z
          .array(z.object({ name, labels: labels.default({}) }).strict())
          .default([])
          .describe('Namespaces with labels (e.g. team), which routes can match; others exist unlabelled'),
      })
      .strict(),
    routes: routingSchema
      .optional()
      .describe(
        `Routes, as vigil:routes in cdk.json; the receivers are local mode's ${LOCAL_RECEIVERS.join(', ')}, each a separate outbox message`,
      ),
    timeline: z.array(happening).default([]),
    expect: z
      .object({
        fire: z.array(expectedAlert).default([]),
        notFire: z
          .union([z.literal('others'), z.array(ruleId)])
          .default([])
          .describe('Rules that must not fire, or "others": nothing but the expected alerts may fire'),
        maxSeverity: severity.optional().describe('Nothing is announced above this severity (e.g. warning: nothing pages)'),
        budget: budget.optional(),
        maxNotifications: z.number().int().min(0).optional().describe('Deprecated spelling of budget.messages'),
      })
      .strict(),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Happening = Scenario['timeline'][number];
export type ExpectedAlert = Scenario['expect']['fire'][number];

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: invalid scenario\n  - ${problems.join('\n  - ')}`);
  }
}

/** Validates a scenario, naming every problem by its path; also checks references between its parts. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const r = scenarioSchema.safeParse(input);
  if (!r.success)
    throw new ScenarioError(
      source,
      r.error.issues.map((i) => `${formatPath(i.path) || '(root)'}: ${i.message}`),
    );
  const s = r.data;
  const problems: string[] = [];
  const groups = new Map(s.cluster.nodeGroups.map((g) => [g.name, g]));
  const workloads = new Set(s.cluster.workloads.map((w) => `${w.namespace}/${w.name}`));
  const end = parseDuration(s.duration);
  s.timeline.forEach((h, i) => {
    const p = `timeline[${i}]`;
    if (parseDuration(h.at) > end) problems.push(`${p}.at: ${h.at} is after the end of the scenario (${s.duration})`);
    if ('nodeGroup' in h && !groups.has(h.nodeGroup)) problems.push(`${p}.nodeGroup: no node group "${h.nodeGroup}"`);
    if (h.do === 'node-group-update' && groups.has(h.nodeGroup) && groups.get(h.nodeGroup)!.kind !== 'managed')
      problems.push(`${p}.nodeGroup: "${h.nodeGroup}" is not a managed node group; only those are updated by EKS`);
    if ('workload' in h && h.workload && !workloads.has(h.workload)) problems.push(`${p}.workload: no workload "${h.workload}"`);
    const nodes: [string, string][] = [
      ...('node' in h && h.node ? [['node', h.node] as [string, string]] : []),
      ...('nodes' in h && h.nodes ? h.nodes.map((n, j): [string, string] => [`nodes[${j}]`, n]) : []),
    ];
    for (const [key, ref] of nodes) {
      const [g, idx] = ref.split('/');
      if (!groups.has(g)) problems.push(`${p}.${key}: no node group "${g}"`);
      else if (Number(idx) < 1) problems.push(`${p}.${key}: node indexes start at 1`);
      else if (h.do === 'scale-in' && g !== h.nodeGroup) problems.push(`${p}.${key}: ${ref} is not in node group "${h.nodeGroup}"`);
    }
    const w = 'workload' in h && h.workload ? s.cluster.workloads.find((x) => `${x.namespace}/${x.name}` === h.workload) : undefined;
    if (w && 'container' in h && h.container && !w.containers.some((c) => c.name === h.container))
      problems.push(`${p}.container: workload "${h.workload}" has no container "${h.container}"`);
    if (w && 'pods' in h && h.pods) problems.push(...podProblems(`${p}.pods`, w, h.pods));
    if (w && (h.do === 'rollout' || h.do === 'rollback' || h.do === 'bad-image') && w.kind === 'StatefulSet')
      problems.push(`${p}.workload: rollouts are simulated for Deployments and DaemonSets`);
    if (
      h.do === 'rollback' &&
      !s.timeline.some(
        (x) => (x.do === 'rollout' || x.do === 'bad-image') && x.workload === h.workload && parseDuration(x.at) < parseDuration(h.at),
      )
    )
      problems.push(`${p}.workload: nothing to roll back: no rollout of "${h.workload}" before`);
    if (w && h.do === 'rollout' && h.maxUnavailable !== undefined && w.kind !== 'DaemonSet')
      problems.push(`${p}.maxUnavailable: only for DaemonSets (a Deployment rolls at 25%)`);
    if (h.do === 'scale-in' && h.node && h.nodes) problems.push(`${p}.nodes: give node or nodes, not both`);
    if (h.do === 'scale-in' && h.cause === 'cluster-autoscaler' && !h.node && !h.nodes)
      problems.push(`${p}.nodes: Cluster Autoscaler removes the nodes it chose: name them`);
    if (h.do === 'disk-fill' && (h.source === 'logs' || h.source === 'emptyDir') !== (h.workload !== undefined))
      problems.push(
        `${p}.workload: ${h.source === 'logs' || h.source === 'emptyDir' ? `${h.source} are written by a workload's pods: name it` : `${h.source} fills a node, not a workload's pods`}`,
      );
    if (h.do === 'disk-fill' && (h.source === 'images' || h.source === 'other') && !h.node)
      problems.push(`${p}.node: ${h.source} fills a node: name it`);
    if ('desired' in h && groups.has(h.nodeGroup)) {
      const g = groups.get(h.nodeGroup)!;
      if (h.desired < g.size.min || h.desired > g.size.max)
        problems.push(`${p}.desired: ${h.desired} is outside the group's size (${g.size.min}-${g.size.max})`);
    }
  });
  s.cluster.workloads.forEach((w, i) => {
    for (const g of w.nodeAffinity?.nodeGroups ?? [])
      if (!groups.has(g)) problems.push(`cluster.workloads[${i}].nodeAffinity.nodeGroups: no node group "${g}"`);
  });
  problems.push(...expectationProblems(s));
  if (problems.length) throw new ScenarioError(source, problems);
  const { maxNotifications, ...expect } = s.expect;
  return maxNotifications === undefined ? s : { ...s, expect: { ...expect, budget: { messages: maxNotifications } } };
}

/** Pods named by a happening: a StatefulSet's, by ordinal (other controllers' pod names are random). */
function podProblems(path: string, w: Scenario['cluster']['workloads'][number], pods: readonly string[]): string[] {
  if (w.kind !== 'StatefulSet') return [`${path}: only a StatefulSet's pods have names known in advance; use replicas for a ${w.kind}`];
  return pods.flatMap((pod, j) => {
    const ordinal = pod.startsWith(`${w.name}-`) ? Number(pod.slice(w.name.length + 1)) : NaN;
    return Number.isInteger(ordinal) && ordinal >= 0 && ordinal < (w.replicas ?? 0)
      ? []
      : [`${path}[${j}]: "${pod}" is not a pod of ${w.namespace}/${w.name} (${w.name}-0 to ${w.name}-${(w.replicas ?? 1) - 1})`];
  });
}

/** Expectations that name things elsewhere: rules in the budget, happenings by id. */
function expectationProblems(s: Scenario): string[] {
  const problems: string[] = [];
  const ids = new Map<string, number>();
  s.timeline.forEach((h, i) => {
    if (h.id === undefined) return;
    if (ids.has(h.id)) problems.push(`timeline[${i}].id: "${h.id}" is already the id of timeline[${ids.get(h.id)}]`);
    else ids.set(h.id, i);
  });
  s.expect.fire.forEach((x, i) => {
    if (x.before !== undefined && !ids.has(x.before))
      problems.push(
        `expect.fire[${i}].before: no happening has the id "${x.before}"${ids.size ? ` (ids: ${[...ids.keys()].join(', ')})` : ''}`,
      );
    if (x.quietDuring !== undefined && s.timeline[ids.get(x.quietDuring) ?? -1]?.do !== 'silence')
      problems.push(`expect.fire[${i}].quietDuring: no silence happening has the id "${x.quietDuring}"`);
    if (typeof x.times === 'object' && x.times.min !== undefined && x.times.max !== undefined && x.times.min > x.times.max)
      problems.push(`expect.fire[${i}].times: min ${x.times.min} is above max ${x.times.max}`);
  });
  for (const rule of Object.keys(s.expect.budget?.perRule ?? {})) {
    if (!isRuleId(rule))
      problems.push(`expect.budget.perRule.${rule}: unknown rule id "${rule}" (rule ids are those of the README's alert table)`);
  }
  if (s.routes) {
    const routing = { receivers: s.routes.receivers ?? [...LOCAL_RECEIVERS], routes: s.routes.routes };
    problems.push(
      ...routingProblems(routing, { receivers: LOCAL_RECEIVERS, isRuleId, routeLabels: DEFAULT_ROUTE_LABELS }).map((p) => `routes.${p}`),
    );
  }
  s.expect.fire.forEach((x, i) => {
    if (x.receivers && !s.routes)
      problems.push(`expect.fire[${i}].receivers: without routes every receiver gets every message; add routes`);
  });
  if (s.expect.maxNotifications !== undefined && s.expect.budget)
    problems.push('expect.maxNotifications: give budget.messages only (maxNotifications is its old spelling)');
  return problems;
}
