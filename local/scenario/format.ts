/**
 * The scenario file format, version 1 (docs/scenarios.md; JSON Schema in docs/scenario.schema.json).
 *
 * A scenario describes a cluster, a timeline of happenings, and what Vigil must (and must not) say about
 * it. Other people write scenarios against this format, so it only grows by optional fields within a
 * version; anything else bumps `version`.
 */
import { z } from 'zod';
import { formatPath } from '../../model/batch';
import { parseBytes, parseCpuMilli, parseDuration } from '../../model/quantity';

export const SCENARIO_VERSION = 1;

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
const nodeRef = z.string().regex(/^[a-z0-9-]+\/\d+$/, 'expected a node as <node group>/<index>, e.g. general/2').describe('A node: <node group>/<index>, e.g. general/2 (1 = first launched)');
/** A workload as `<namespace>/<name>`. */
const workloadRef = z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'expected a workload as <namespace>/<name>').describe('A workload: <namespace>/<name>');

const resources = z.object({ cpu: cpu.optional(), memory: bytes.optional() }).strict();

const container = z
  .object({
    name,
    image: z.string().min(1),
    requests: resources.optional().describe('Absent memory request: the pod lands anywhere and counts for nothing in capacity checks'),
    limits: resources.optional(),
    usage: z.object({ cpu, memory: bytes }).strict().describe('Steady usage per replica'),
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
  })
  .strict()
  .refine((w) => (w.kind === 'DaemonSet') === (w.replicas === undefined), { message: 'replicas is required, except for DaemonSets (which have none)', path: ['replicas'] });

const nodeGroup = z
  .object({
    name,
    kind: z.enum(['managed', 'self-managed', 'karpenter']).default('managed'),
    instanceType: z.string().min(1),
    capacityType: z.enum(['on-demand', 'spot']).default('on-demand'),
    zones: z.array(z.string()).min(1).default(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']),
    size: z.object({ min: z.number().int().min(0), max: z.number().int().min(1), desired: z.number().int().min(0) }).strict()
      .refine((s) => s.min <= s.desired && s.desired <= s.max, 'expected min <= desired <= max'),
    detailedMonitoring: z.boolean().default(false).describe('EC2 detailed monitoring: host metrics every minute instead of every 5'),
    node: z
      .object({
        cpu,
        memory: bytes,
        pods: z.number().int().min(1).max(737),
        disk: bytes,
        allocatableCpu: cpu.optional().describe('Default: EKS reservations for the CPU count'),
        allocatableMemory: bytes.optional().describe('Default: EKS reservations for the pod count'),
        system: z.object({ cpu: cpu.optional(), memory: bytes.optional(), disk: bytes.optional() }).strict().optional()
          .describe('Use outside pods (OS, kubelet, container images): default 100m, 600Mi, 12Gi'),
      })
      .strict(),
  })
  .strict();

const at = duration.describe('When, from the scenario start');

const happenings = [
  z.object({ do: z.literal('scale-in'), at, nodeGroup: z.string(), desired: z.number().int().min(0), node: nodeRef.optional().describe('The instance the group terminates; default: the newest') }).strict()
    .describe('The Auto Scaling group lowers its desired capacity and terminates instances; their pods are rescheduled'),
  z.object({ do: z.literal('scale-out'), at, nodeGroup: z.string(), desired: z.number().int().min(0) }).strict()
    .describe('The group raises its desired capacity; new nodes join after about two minutes'),
  z.object({ do: z.literal('node-group-update'), at, nodeGroup: z.string() }).strict()
    .describe('An EKS managed node group update: one node more, each old node drained and replaced, then desired lowered by one back to its size'),
  z.object({ do: z.literal('scaling-failure'), at, nodeGroup: z.string(), desired: z.number().int().min(0), statusMessage: z.string().default('We currently do not have sufficient capacity in the Availability Zone you requested.') }).strict()
    .describe('The group tries to launch instances and the activity fails; capacity stays short'),
  z.object({ do: z.literal('replicas'), at, workload: workloadRef, replicas: z.number().int().min(0) }).strict()
    .describe('A workload is scaled (by hand or an autoscaler); pods that do not fit stay Pending'),
  z.object({ do: z.literal('usage'), at, workload: workloadRef, container: name.optional(), cpu: cpu.optional(), memory: bytes.optional() }).strict()
    .describe('A workload\'s steady usage changes (load)'),
  z.object({ do: z.literal('memory-leak'), at, workload: workloadRef, container: name.optional(), rate, replicas: z.number().int().min(1).optional().describe('How many replicas leak; default all') }).strict()
    .describe('Memory grows until the limit, the container is OOM-killed, restarts and leaks again'),
  z.object({ do: z.literal('crash-loop'), at, workload: workloadRef, container: name.optional(), exitCode: z.number().int().default(1) }).strict()
    .describe('A container exits at start; Kubernetes restarts it with back-off (CrashLoopBackOff)'),
  z.object({ do: z.literal('bad-image'), at, workload: workloadRef, image: z.string().min(1), reason: z.enum(['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError']).default('ImagePullBackOff') }).strict()
    .describe('A rollout to an image that cannot be pulled (or a config that cannot be created): new pods wait'),
  z.object({ do: z.literal('disk-fill'), at, node: nodeRef, rate }).strict()
    .describe('The node\'s root filesystem fills (logs, images, emptyDir) until the kubelet reports DiskPressure'),
  z.object({ do: z.literal('node-condition'), at, node: nodeRef, condition: z.string().min(1), status: z.enum(['True', 'False', 'Unknown']), reason: z.string().optional(), message: z.string().optional() }).strict()
    .describe('Set any node condition, e.g. KernelDeadlock from node-problem-detector'),
  z.object({ do: z.literal('node-flap'), at, node: nodeRef, period: duration, for: duration }).strict()
    .describe('The node\'s Ready condition flips every period'),
  z.object({ do: z.literal('kubelet-down'), at, node: nodeRef, for: duration.optional() }).strict()
    .describe('The kubelet stops reporting (Ready becomes Unknown) while the instance keeps running'),
  z.object({ do: z.literal('status-check-failed'), at, node: nodeRef, for: duration.optional() }).strict()
    .describe('EC2 reports a failed status check for the node\'s instance'),
  z.object({ do: z.literal('cordon'), at, node: nodeRef }).strict().describe('The node is marked unschedulable'),
  z.object({ do: z.literal('agent-outage'), at, for: duration }).strict().describe('The agent stops pushing'),
  z.object({ do: z.literal('cloudwatch-delay'), at, for: duration, delay: duration }).strict()
    .describe('CloudWatch data points become readable only after a delay'),
  z.object({ do: z.literal('event-storm'), at, reason: z.string().min(1), count: z.number().int().min(1).max(100_000), over: duration, workload: workloadRef.optional(), message: z.string().optional() }).strict()
    .describe('Many Warning events in a short time'),
  z.object({ do: z.literal('cluster-status'), at, status: z.enum(['CREATING', 'ACTIVE', 'DELETING', 'FAILED', 'UPDATING', 'PENDING']) }).strict()
    .describe('The EKS cluster\'s status changes'),
  z.object({ do: z.literal('nodegroup-health'), at, nodeGroup: z.string(), code: z.string(), message: z.string() }).strict()
    .describe('EKS reports a health issue on a managed node group'),
] as const;

const happening = z.discriminatedUnion('do', happenings);

const expectedAlert = z
  .object({
    rule: z.string().min(1).describe('Rule id, e.g. n-minus-one-headroom'),
    within: duration.describe('Must be firing (notified) no later than this after the onset'),
    severity: z.enum(['info', 'warning', 'critical']).optional(),
    subject: z.record(z.string(), z.string()).optional().describe('Labels the alert\'s subject must have, e.g. {"node": "general/2"}'),
  })
  .strict();

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
      })
      .strict(),
    timeline: z.array(happening).default([]),
    expect: z
      .object({
        fire: z.array(expectedAlert).default([]),
        notFire: z.union([z.literal('others'), z.array(z.string())]).default([])
          .describe('Rules that must not fire, or "others": nothing but the expected alerts may fire'),
        maxNotifications: z.number().int().min(0).optional().describe('At most this many messages over the whole run (a storm must become a digest)'),
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
  constructor(readonly source: string, readonly problems: readonly string[]) {
    super(`${source}: invalid scenario\n  - ${problems.join('\n  - ')}`);
  }
}

/** Validates a scenario, naming every problem by its path; also checks references between its parts. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const r = scenarioSchema.safeParse(input);
  if (!r.success) throw new ScenarioError(source, r.error.issues.map((i) => `${formatPath(i.path) || '(root)'}: ${i.message}`));
  const s = r.data;
  const problems: string[] = [];
  const groups = new Map(s.cluster.nodeGroups.map((g) => [g.name, g]));
  const workloads = new Set(s.cluster.workloads.map((w) => `${w.namespace}/${w.name}`));
  const end = parseDuration(s.duration);
  s.timeline.forEach((h, i) => {
    const p = `timeline[${i}]`;
    if (parseDuration(h.at) > end) problems.push(`${p}.at: ${h.at} is after the end of the scenario (${s.duration})`);
    if ('nodeGroup' in h && !groups.has(h.nodeGroup)) problems.push(`${p}.nodeGroup: no node group "${h.nodeGroup}"`);
    if (h.do === 'node-group-update' && groups.has(h.nodeGroup) && groups.get(h.nodeGroup)!.kind !== 'managed') problems.push(`${p}.nodeGroup: "${h.nodeGroup}" is not a managed node group; only those are updated by EKS`);
    if ('workload' in h && h.workload && !workloads.has(h.workload)) problems.push(`${p}.workload: no workload "${h.workload}"`);
    if ('node' in h && h.node) {
      const [g, idx] = h.node.split('/');
      if (!groups.has(g)) problems.push(`${p}.node: no node group "${g}"`);
      else if (Number(idx) < 1) problems.push(`${p}.node: node indexes start at 1`);
    }
    if ('container' in h && h.container && 'workload' in h && h.workload) {
      const w = s.cluster.workloads.find((x) => `${x.namespace}/${x.name}` === h.workload);
      if (w && !w.containers.some((c) => c.name === h.container)) problems.push(`${p}.container: workload "${h.workload}" has no container "${h.container}"`);
    }
    if (('desired' in h) && groups.has(h.nodeGroup)) {
      const g = groups.get(h.nodeGroup)!;
      if (h.desired < g.size.min || h.desired > g.size.max) problems.push(`${p}.desired: ${h.desired} is outside the group's size (${g.size.min}-${g.size.max})`);
    }
  });
  if (problems.length) throw new ScenarioError(source, problems);
  return s;
}
