/**
 * Projection of API objects into Vigil's domain model, as they arrive: every list item and watch event
 * goes through one of these functions, and only the result is kept. Strings and lists are clipped to the
 * batch schema's limits here, so whatever a cluster holds, the batch stays valid.
 */
import { BATCH_LIMITS } from '../../model/batch-constants';
import type { ConditionStatus, Resources } from '../../model/kube-values';
import {
  instanceIdFromProviderId,
  type CapacityType,
  type Container,
  type ContainerStateName,
  type KubeEvent,
  type KubeNode,
  type NamespaceInfo,
  type NodeCondition,
  type Pod,
  type PodPhase,
  type QosClass,
  type Taint,
  type WorkloadStatus,
} from '../../model/domain';
import {
  epochMs,
  type ConditionObject,
  type ContainerSpec,
  type ContainerState,
  type ContainerStatus,
  type DaemonSetObject,
  type EventObject,
  type KubeObject,
  type NodeObject,
  type OwnerReference,
  type PodObject,
  type Quantities,
  type ReplicatedObject,
} from './objects';
import { bytes, cpuMilli, quantity } from '../../model/quantity';

const L = BATCH_LIMITS;

/**
 * Cuts a string to `max` bytes of UTF-8 (so also `max` characters), marking the cut, so one long or
 * multi-byte name cannot invalidate a batch or a DynamoDB key. Never splits a character.
 */
export function clip(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  const room = max - Buffer.byteLength('…');
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > room) break;
    bytes += n;
    end += ch.length;
  }
  return s.slice(0, end) + '…';
}

export function clipName(s: string): string {
  return clip(s, L.maxNameLength);
}

/** At most `maxLabels` labels, keys and values clipped; sorted by key so the cut is stable. */
export function clipLabels(labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!labels) return out;
  for (const k of Object.keys(labels).sort().slice(0, L.maxLabels)) {
    if (k) out[clip(k, L.maxLabelKeyLength)] = clip(String(labels[k]), L.maxLabelValueLength);
  }
  return out;
}

export function resourcesOf(q: Quantities | undefined): Resources {
  if (!q) return {};
  const out: { cpuMilli?: number; memoryBytes?: number; ephemeralStorageBytes?: number; pods?: number } = {};
  const nonNegative = (v: number | undefined) => (v !== undefined && v >= 0 ? v : undefined);
  const cpu = nonNegative(cpuMilli(q.cpu));
  const memory = nonNegative(bytes(q.memory));
  const ephemeral = nonNegative(bytes(q['ephemeral-storage']));
  const pods = nonNegative(quantity(q.pods));
  if (cpu !== undefined) out.cpuMilli = cpu;
  if (memory !== undefined) out.memoryBytes = memory;
  if (ephemeral !== undefined) out.ephemeralStorageBytes = ephemeral;
  if (pods !== undefined) out.pods = Math.floor(pods);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------------------------------

/** Where a node's kubelet listens, as metrics-server finds it. */
export interface KubeletTarget {
  readonly node: string;
  /** InternalIP, else ExternalIP, else Hostname; absent when the node reports none. */
  readonly address?: string;
  readonly port: number;
}

export interface NodeRecord {
  readonly node: KubeNode;
  readonly kubelet: KubeletTarget;
  /** All its labels (clipped); a batch carries only those some pod's placement names. */
  readonly labels?: Readonly<Record<string, string>>;
}

const CONDITION_STATUS = new Set<string>(['True', 'False', 'Unknown']);
const TAINT_EFFECTS = new Set<string>(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
const ADDRESS_PREFERENCE = ['InternalIP', 'ExternalIP', 'Hostname'];
export const DEFAULT_KUBELET_PORT = 10250;

function capacityTypeOf(labels: Readonly<Record<string, string>>): CapacityType | undefined {
  if (labels['eks.amazonaws.com/compute-type'] === 'fargate') return 'fargate';
  const eks = labels['eks.amazonaws.com/capacityType'];
  if (eks === 'SPOT') return 'spot';
  if (eks === 'ON_DEMAND') return 'on-demand';
  if (eks === 'CAPACITY_BLOCK') return 'capacity-block';
  const karpenter = labels['karpenter.sh/capacity-type'];
  if (karpenter === 'spot') return 'spot';
  // Karpenter's `reserved` is an On-Demand Capacity Reservation: billed and reclaimed like on-demand.
  if (karpenter === 'on-demand' || karpenter === 'reserved') return 'on-demand';
  if (labels['node.kubernetes.io/lifecycle'] === 'spot') return 'spot';
  return undefined;
}

function firstLabel(labels: Readonly<Record<string, string>>, keys: readonly string[]): string | undefined {
  for (const k of keys) if (labels[k]) return clipName(labels[k]);
  return undefined;
}

/** Status conditions (a node's, a Karpenter object's), bounded and clipped. */
export function conditionsOf(list: readonly ConditionObject[] | undefined): NodeCondition[] {
  return (list ?? []).slice(0, L.maxConditionsPerNode).map((c) => ({
    type: clipName(c.type || 'Unknown'),
    status: (CONDITION_STATUS.has(c.status) ? c.status : 'Unknown') as ConditionStatus,
    ...(c.reason ? { reason: clipName(c.reason) } : {}),
    ...(c.message ? { message: clip(c.message, L.maxMessageLength) } : {}),
    ...optionalTime('since', c.lastTransitionTime),
  }));
}

export function projectNode(o: NodeObject): NodeRecord | undefined {
  const name = o.metadata?.name;
  if (!name) return undefined;
  const labels = o.metadata?.labels ?? {};
  const providerId = o.spec?.providerID;
  const conditions: NodeCondition[] = conditionsOf(o.status?.conditions);
  const taints: Taint[] = (o.spec?.taints ?? [])
    .filter((t) => t.key && TAINT_EFFECTS.has(t.effect))
    .slice(0, L.maxTaintsPerNode)
    .map((t) => ({
      key: clip(t.key, L.maxLabelKeyLength),
      ...(t.value ? { value: clip(t.value, L.maxLabelValueLength) } : {}),
      effect: t.effect as Taint['effect'],
    }));
  const node: KubeNode = {
    name: clipName(name),
    ...(o.metadata?.uid ? { uid: clipName(o.metadata.uid) } : {}),
    ...(providerId ? { providerId: clip(providerId, L.maxNameLength * 2) } : {}),
    ...optional('instanceId', instanceIdFromProviderId(providerId)),
    ...optional('instanceType', firstLabel(labels, ['node.kubernetes.io/instance-type', 'beta.kubernetes.io/instance-type'])),
    ...optional('zone', firstLabel(labels, ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'])),
    ...optional('capacityType', capacityTypeOf(labels)),
    ...optional('nodeGroup', firstLabel(labels, ['eks.amazonaws.com/nodegroup', 'alpha.eksctl.io/nodegroup-name'])),
    ...optional('nodePool', firstLabel(labels, ['karpenter.sh/nodepool', 'karpenter.sh/provisioner-name'])),
    ...(labels['eks.amazonaws.com/compute-type'] === 'auto' ? { autoMode: true as const } : {}),
    conditions,
    capacity: resourcesOf(o.status?.capacity),
    allocatable: resourcesOf(o.status?.allocatable),
    taints,
    unschedulable: o.spec?.unschedulable === true,
    ...(o.metadata?.deletionTimestamp ? { deleting: true } : {}),
    ...optionalTime('createdAt', o.metadata?.creationTimestamp),
    ...optional('kubeletVersion', o.status?.nodeInfo?.kubeletVersion ? clipName(o.status.nodeInfo.kubeletVersion) : undefined),
  };
  const addresses = o.status?.addresses ?? [];
  const address = ADDRESS_PREFERENCE.map((t) => addresses.find((a) => a.type === t && a.address)?.address).find(Boolean);
  const port = o.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  const kept = clipLabels(labels);
  return {
    node,
    kubelet: { node: name, ...optional('address', address), port: port && port > 0 ? port : DEFAULT_KUBELET_PORT },
    ...(Object.keys(kept).length ? { labels: kept } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------------------------------

/** A pod as cached: the domain pod minus its workload, which is resolved when a batch is built. */
export interface PodRecord {
  readonly pod: Omit<Pod, 'workload'>;
  /** The controlling owner reference, when there is one. */
  readonly controller?: { readonly kind: string; readonly name: string; readonly uid?: string };
  /** `pod-template-hash`: lets a pod whose ReplicaSet is not cached yet still name its Deployment. */
  readonly templateHash?: string;
  /** The PersistentVolumeClaims it mounts, `namespace/name`. */
  readonly claims?: readonly string[];
}

/** On a mirror pod: its static pod's config hash, the uid the kubelet knows it by. */
export const CONFIG_MIRROR = 'kubernetes.io/config.mirror';

const PHASES = new Set<string>(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
const QOS = new Set<string>(['Guaranteed', 'Burstable', 'BestEffort']);

function stateOf(s: ContainerState | undefined): ContainerStateName {
  if (s?.running) return 'running';
  if (s?.waiting) return 'waiting';
  if (s?.terminated) return 'terminated';
  return 'unknown';
}

function containerOf(spec: ContainerSpec | undefined, status: ContainerStatus | undefined): Container {
  const name = spec?.name ?? status?.name ?? '';
  const state = status?.state;
  // The last termination: the previous instance's, or this one's if it has ended and not restarted.
  const ended = status?.lastState?.terminated ?? state?.terminated;
  return {
    name: clipName(name),
    image: clip(spec?.image ?? status?.image ?? '', L.maxImageLength),
    requests: resourcesOf(spec?.resources?.requests),
    limits: resourcesOf(spec?.resources?.limits),
    restarts: Math.max(0, Math.floor(status?.restartCount ?? 0)),
    state: stateOf(state),
    ...(state?.waiting?.reason ? { waitingReason: clipName(state.waiting.reason) } : {}),
    ready: status?.ready === true,
    ...optionalTime('startedAt', state?.running?.startedAt),
    ...(ended
      ? {
          lastTermination: {
            reason: clipName(ended.reason ?? ''),
            exitCode: Number.isInteger(ended.exitCode) ? (ended.exitCode as number) : -1,
            ...optionalTime('finishedAt', ended.finishedAt),
          },
        }
      : {}),
  };
}

/**
 * Containers reported for a pod: its app containers; sidecars (init containers with `restartPolicy:
 * Always`), which run for the pod's life; ordinary init containers only until they have succeeded,
 * so a pod stuck in `Init:CrashLoopBackOff` shows why; and ephemeral (`kubectl debug`) containers while
 * they run, as their memory counts on the node (once exited they are done, not failing).
 */
function containersOf(o: PodObject): Container[] {
  const statuses = new Map<string, ContainerStatus>();
  for (const s of [
    ...(o.status?.initContainerStatuses ?? []),
    ...(o.status?.containerStatuses ?? []),
    ...(o.status?.ephemeralContainerStatuses ?? []),
  ]) {
    statuses.set(s.name, s);
  }
  const init = (o.spec?.initContainers ?? []).filter((c) => {
    if (c.restartPolicy === 'Always') return true;
    const t = statuses.get(c.name)?.state?.terminated;
    return !(t && t.exitCode === 0);
  });
  const ephemeral = (o.spec?.ephemeralContainers ?? []).filter((c) => statuses.get(c.name)?.state?.running);
  return [...init, ...(o.spec?.containers ?? []), ...ephemeral]
    .filter((c) => c.name)
    .slice(0, L.maxContainersPerPod)
    .map((c) => containerOf(c, statuses.get(c.name)));
}

function controllerOf(refs: readonly OwnerReference[] | undefined): OwnerReference | undefined {
  return refs?.find((r) => r.controller) ?? refs?.[0];
}

export function projectPod(o: PodObject): PodRecord | undefined {
  const m = o.metadata;
  if (!m?.name || !m.namespace || !m.uid) return undefined;
  const conditions = o.status?.conditions ?? [];
  const scheduled = conditions.find((c) => c.type === 'PodScheduled');
  const phase = o.status?.phase && PHASES.has(o.status.phase) ? (o.status.phase as PodPhase) : 'Unknown';
  const owner = controllerOf(m.ownerReferences);
  const pod: Omit<Pod, 'workload'> = {
    uid: clipName(m.uid),
    namespace: clipName(m.namespace),
    name: clipName(m.name),
    ...optional('configHash', m.annotations?.[CONFIG_MIRROR] ? clipName(m.annotations[CONFIG_MIRROR]) : undefined),
    ...(o.spec?.nodeName ? { node: clipName(o.spec.nodeName) } : {}),
    phase,
    ...(o.status?.qosClass && QOS.has(o.status.qosClass) ? { qos: o.status.qosClass as QosClass } : {}),
    labels: clipLabels(m.labels),
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    ...(o.status?.reason ? { reason: clipName(o.status.reason) } : {}),
    ...(scheduled && scheduled.status === 'False'
      ? {
          unschedulable: {
            reason: clipName(scheduled.reason ?? 'Unschedulable'),
            ...(scheduled.message ? { message: clip(scheduled.message, L.maxMessageLength) } : {}),
          },
        }
      : {}),
    ...optionalTime('createdAt', m.creationTimestamp),
    ...optionalTime('startedAt', o.status?.startTime),
    containers: containersOf(o),
  };
  const hash = m.labels?.['pod-template-hash'];
  return {
    pod,
    ...(owner ? { controller: { kind: owner.kind, name: owner.name, ...(owner.uid ? { uid: owner.uid } : {}) } } : {}),
    ...(hash ? { templateHash: hash } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Workloads and the owners between pods and workloads
// ---------------------------------------------------------------------------------------------------

const count = (n: number | undefined) => Math.max(0, Math.floor(n ?? 0));

function workloadBase(o: KubeObject) {
  const m = o.metadata;
  if (!m?.name || !m.namespace) return undefined;
  const labels = clipLabels(m.labels);
  return { namespace: clipName(m.namespace), name: clipName(m.name), ...(Object.keys(labels).length ? { labels } : {}) };
}

export function projectDeployment(o: ReplicatedObject): WorkloadStatus | undefined {
  return projectReplicated(o, 'Deployment');
}

export function projectStatefulSet(o: ReplicatedObject): WorkloadStatus | undefined {
  return projectReplicated(o, 'StatefulSet');
}

function projectReplicated(o: ReplicatedObject, kind: 'Deployment' | 'StatefulSet'): WorkloadStatus | undefined {
  const base = workloadBase(o);
  if (!base) return undefined;
  const s = o.status ?? {};
  return {
    ...base,
    kind,
    // `spec.replicas` defaults to 1 when unset.
    desired: count(o.spec?.replicas ?? 1),
    ready: count(s.readyReplicas),
    available: count(s.availableReplicas),
    updated: count(s.updatedReplicas),
  };
}

export function projectDaemonSet(o: DaemonSetObject): WorkloadStatus | undefined {
  const base = workloadBase(o);
  if (!base) return undefined;
  const s = o.status ?? {};
  return {
    ...base,
    kind: 'DaemonSet',
    desired: count(s.desiredNumberScheduled),
    ready: count(s.numberReady),
    available: count(s.numberAvailable),
    updated: count(s.updatedNumberScheduled),
  };
}

/** A ReplicaSet or Job, reduced to the controller that owns it (if any). */
export interface OwnerRecord {
  readonly name: string;
  readonly owner?: { readonly kind: string; readonly name: string };
}

/** A namespace: its name and labels (clipped), what routes match on (`team`). */
export function projectNamespace(o: KubeObject): NamespaceInfo | undefined {
  const name = o.metadata?.name;
  if (!name) return undefined;
  const labels = clipLabels(o.metadata?.labels);
  return { name: clipName(name), ...(Object.keys(labels).length ? { labels } : {}) };
}

export function projectOwner(o: KubeObject): OwnerRecord | undefined {
  const name = o.metadata?.name;
  if (!name) return undefined;
  const owner = controllerOf(o.metadata?.ownerReferences);
  return { name, ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------------

/**
 * Normal events that matter for node pressure and capacity: the kubelet's condition changes, the node
 * controller's readiness changes, cordons, the cluster autoscaler marking a node for removal, and Karpenter
 * (or EKS Auto Mode) disrupting a node (`DisruptionTerminating`, "Disrupting Node: Underutilized") or
 * saying why it cannot (`DisruptionBlocked`, e.g. a PodDisruptionBudget that allows no eviction).
 */
export const NODE_EVENT_REASONS: ReadonlySet<string> = new Set([
  'NodeHasInsufficientMemory',
  'NodeHasSufficientMemory',
  'NodeHasDiskPressure',
  'NodeHasNoDiskPressure',
  'NodeHasInsufficientPID',
  'NodeHasSufficientPID',
  'NodeNotReady',
  'NodeReady',
  'NodeNotSchedulable',
  'NodeSchedulable',
  'RemovingNode',
  'ScaleDown',
  'DisruptionTerminating',
  'DisruptionBlocked',
]);

export function projectEvent(o: EventObject): KubeEvent | undefined {
  const inv = o.involvedObject;
  const type = o.type;
  if (!inv?.kind || !inv.name || !o.reason || (type !== 'Normal' && type !== 'Warning')) return undefined;
  if (type === 'Normal' && !(inv.kind === 'Node' && NODE_EVENT_REASONS.has(o.reason))) return undefined;
  const created = epochMs(o.metadata?.creationTimestamp);
  const firstSeen = epochMs(o.firstTimestamp) ?? epochMs(o.eventTime) ?? created;
  const lastSeen = epochMs(o.series?.lastObservedTime) ?? epochMs(o.lastTimestamp) ?? epochMs(o.eventTime) ?? firstSeen;
  if (firstSeen === undefined || lastSeen === undefined || firstSeen < TIME_FLOOR || lastSeen < TIME_FLOOR) return undefined;
  // Node events often carry no uid (the kubelet writes the node name there, or nothing).
  const identity = inv.uid || `${inv.kind}/${inv.namespace ?? ''}/${inv.name}`;
  const node = inv.kind === 'Node' ? inv.name : o.source?.host;
  const source = o.source?.component || o.reportingComponent;
  return {
    objectUid: clipName(identity),
    objectKind: clipName(inv.kind),
    objectName: clipName(inv.name),
    ...(inv.namespace ? { namespace: clipName(inv.namespace) } : {}),
    reason: clipName(o.reason),
    type,
    message: clip(o.message ?? '', L.maxMessageLength),
    count: Math.max(1, Math.floor(o.series?.count ?? o.count ?? 1)),
    firstSeen: Math.min(firstSeen, lastSeen),
    lastSeen,
    ...(node ? { node: clipName(node) } : {}),
    ...(source ? { source: clipName(source) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------

export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** 2000-01-01, the batch schema's floor for times. */
const TIME_FLOOR = 946_684_800_000;

/** An RFC 3339 time as epoch ms under `key`, when present and after the floor. */
export function optionalTime<K extends string>(key: K, t: string | undefined): { [P in K]?: number } {
  const ms = epochMs(t);
  return optional(key, ms !== undefined && ms >= TIME_FLOOR ? ms : undefined);
}
