/**
 * The evaluator's memory of one cluster: the few facts about the past its rules need (Ready transitions,
 * container restarts of the last 24 h, evictions, Warning events already reported, failed scaling
 * activities, removals of capacity (lambdas/evaluator/removals.ts, scale-in.ts), pending-pod counts, the last EC2 status checks of nodes not Ready), kept in one small document and updated from the minutes
 * observed since the previous evaluation.
 *
 * Why not re-read the history each minute: a cluster-minute rollup of 500 nodes is ~60 KB encoded and ~17 ms
 * to decode, so 24 h of them is 86 MB and half a minute of CPU per evaluation. The memory is a few KB, and
 * each evaluation reads only the minutes it has not seen (docs/alerts.md, "Reads and memory").
 *
 * Observation is idempotent: observing the same minutes twice gives the same memory, so the evaluator
 * always re-observes the last minute it saw (ingest may have completed it since), and a run that loses a
 * conditional write re-observes on top of the winner's memory.
 */
import type { ConditionStatus } from '../../model/kube-values';
import type { ClusterMinute, HostMetrics, HostNodeMinute, KubeEvent, NodeMinute, ScalingActivity } from '../../model/domain';
import { workloadName } from '../../model/domain';
import { encode } from '../store/codec';
import { HOUR_MS, MINUTE_MS, minuteOf, type EpochMs, type Minute } from '../../model/time';
import { observeNodePoolLimits, type NodePoolAtLimit } from './karpenter';
import { observeNodeClaims, type NodeClaimTroubles } from './nodeclaims';
import { observeLeaving, removalsAt, type LeavingNode } from './removals';
import { nodesByInstance, observeAutoScalingRemovals, type InServiceInstances, type Removal } from './scale-in';

export const MEMORY_VERSION = 1;

/** How far back an evaluation catches up on minutes it missed (a longer outage of the evaluator loses events). */
export const CATCH_UP_MS = 15 * MINUTE_MS;
const KEEP_TRANSITIONS_MS = HOUR_MS;
const KEEP_SCALING_MS = 2 * HOUR_MS;
const KEEP_EVICTIONS_MS = 2 * HOUR_MS;
/** Kubernetes keeps events 1 h (`--event-ttl`); marks outlive them so a late repeat is not "new". */
const KEEP_EVENTS_MS = 3 * HOUR_MS;
const MAX_EVENT_MARKS = 5000;
const MAX_RESTART_KEYS = 2000;
const MAX_EVENTS_PER_CONTAINER = 50;
const MAX_EVICTIONS = 2000;
/** Out-of-memory marks this close belong to one span; an OOM kill this close to a span was the node's doing. */
const OOM_JOIN_MS = 2 * MINUTE_MS;
const MAX_OOM_SPANS = 20;

export interface ReadyTrack {
  readonly status: ConditionStatus;
  /** When the Ready condition changed, oldest first (last hour). */
  readonly transitions: readonly EpochMs[];
}

export interface RestartEvent {
  /** When the container terminated (`lastState.terminated.finishedAt`), else when the restart was seen. */
  readonly t: EpochMs;
  /** `OOMKilled`, `Error`, `Completed`… */
  readonly reason: string;
  readonly exitCode?: number;
  readonly pod: string;
  readonly node?: string;
  /** Restarts this event stands for (more than one when several happened between two observations). */
  readonly count: number;
}

/** Restarts of one container of one workload (`namespace/Kind/name/container`), across its pods. */
export interface ContainerRestarts {
  /** Restart count last seen, per pod uid. */
  readonly pods: Readonly<Record<string, number>>;
  readonly events: readonly RestartEvent[];
}

export interface EvictionMark {
  readonly t: EpochMs;
  readonly namespace?: string;
  readonly pod: string;
  readonly node?: string;
  readonly message: string;
}

export interface EventMark {
  readonly count: number;
  /** The count when it was last reported (first occurrence or a jump). */
  readonly reportedCount: number;
  /** When it was last reported (absent in marks stored before it was kept: any jump may be reported). */
  readonly reportedAt?: EpochMs;
  readonly lastSeen: EpochMs;
}

/**
 * A time a node ran out of memory: the kernel OOM-killed a process (the kubelet's SystemOOM event on the
 * node) or the kubelet reported MemoryPressure. An OOM kill then is the node's doing, not the container's limit.
 */
export interface NodeOutOfMemory {
  readonly from: EpochMs;
  readonly to: EpochMs;
  readonly how: 'SystemOOM' | 'MemoryPressure';
}

/** What EC2's status checks say of an instance. */
export type Ec2Checks = 'pass' | 'instance check failed' | 'system check failed';

/** The status checks in one host reading; undefined when it holds none. */
export function ec2ChecksOf(m: HostMetrics | undefined): Ec2Checks | undefined {
  if (!m || (m.statusCheckFailed === undefined && m.statusCheckFailedInstance === undefined && m.statusCheckFailedSystem === undefined))
    return undefined;
  if ((m.statusCheckFailedSystem ?? 0) >= 1) return 'system check failed';
  return (m.statusCheckFailedInstance ?? 0) >= 1 || (m.statusCheckFailed ?? 0) >= 1 ? 'instance check failed' : 'pass';
}

/**
 * The last status checks read for each node not Ready (host metrics are read once per period, so the minute a
 * node's alert fires may read none); a node Ready again is dropped.
 */
export function keepEc2Checks(
  prev: Readonly<Record<string, Ec2Checks>> | undefined,
  notReady: readonly { readonly name: string; readonly instanceId?: string }[],
  hosts: ReadonlyMap<string, HostNodeMinute> | undefined,
): Record<string, Ec2Checks> {
  const out: Record<string, Ec2Checks> = {};
  for (const n of notReady) {
    const checks = ec2ChecksOf(n.instanceId === undefined ? undefined : hosts?.get(n.instanceId)?.metrics) ?? prev?.[n.name];
    if (checks) out[n.name] = checks;
  }
  return out;
}

export interface EvaluatorMemory {
  readonly v: typeof MEMORY_VERSION;
  /** When it was last updated by an evaluation. */
  readonly evaluatedAt?: EpochMs;
  /** Newest kube / cloud rollup minute observed. */
  readonly kubeMinute?: Minute;
  readonly cloudMinute?: Minute;
  /** When host metrics were last read (they are read once per CloudWatch period). */
  readonly hostReadAt?: EpochMs;
  /** Nodes not Ready or with a Ready transition in the last hour; any other node is Ready and steady. */
  readonly ready: Readonly<Record<string, ReadyTrack>>;
  readonly restarts: Readonly<Record<string, ContainerRestarts>>;
  /** Evicted pods by uid. */
  readonly evictions: Readonly<Record<string, EvictionMark>>;
  /** Warning events by `objectUid#reason`. */
  readonly events: Readonly<Record<string, EventMark>>;
  /** Failed or cancelled scaling activities by id. */
  readonly activities: Readonly<Record<string, ScalingActivity>>;
  /** Capacity removed, with its node (the domino's trigger), oldest first: \`scaleIns\` in memories stored before (\`storedMemory\`). */
  readonly removals: readonly Removal[];
  /** InService instances per Auto Scaling group at the last cloud rollup, with their nodes. */
  readonly inService: InServiceInstances;
  /** Nodes on their way out (removals.ts), by name (absent in memories written before it). */
  readonly leaving?: Readonly<Record<string, LeavingNode>>;
  /** Karpenter NodePools it said were at their limits for Pending pods (karpenter.ts), last hour. */
  readonly nodePoolLimits?: Readonly<Record<string, NodePoolAtLimit>>;
  /** Karpenter NodeClaims that failed to launch or were slow to become Ready, per NodePool, last hour (nodeclaims.ts). */
  readonly nodeClaimTroubles?: NodeClaimTroubles;
  /** Pending-pod count per minute, stored when it changes (last hour plus the value before it). */
  readonly pending: readonly (readonly [Minute, number])[];
  readonly clusterStatus?: { readonly status: string; readonly since: EpochMs };
  /** When each node ran out of memory, over the restart window (absent in memories written before it). */
  readonly nodeOom?: Readonly<Record<string, readonly NodeOutOfMemory[]>>;
  /** The last EC2 status checks read for each node not Ready (absent in memories written before it). */
  readonly ec2Checks?: Readonly<Record<string, Ec2Checks>>;
}

export const EMPTY_MEMORY: EvaluatorMemory = {
  v: MEMORY_VERSION,
  ready: {},
  restarts: {},
  evictions: {},
  events: {},
  activities: {},
  removals: [],
  inService: {},
  pending: [],
  nodeOom: {},
};

/**
 * A memory as read from the table. One stored before removals were called so holds them as \`scaleIns\`: they
 * are read under the new name, and the next write stores that.
 */
export function storedMemory(stored: EvaluatorMemory & { readonly scaleIns?: readonly Removal[] }): EvaluatorMemory {
  const { scaleIns, ...memory } = stored;
  return memory.removals === undefined && scaleIns !== undefined ? { ...memory, removals: scaleIns } : memory;
}

/**
 * How long a memory document outlives its last write (its TTL): twice the longest window it holds (the
 * restart window, 24 h by default), so it goes only once nothing in it can matter, e.g. for a cluster
 * no longer evaluated.
 */
export function memoryRetentionMs(opts: ObserveOptions): number {
  return 2 * Math.max(opts.restartWindowMs, KEEP_TRANSITIONS_MS, KEEP_SCALING_MS, KEEP_EVICTIONS_MS, KEEP_EVENTS_MS);
}

/** What this evaluation saw for the first time: occurrences for the event rules and the EMF counters. */
export interface FreshObservations {
  readonly restarts: readonly { readonly key: string; readonly event: RestartEvent }[];
  readonly evictions: readonly string[];
  readonly events: readonly { readonly key: string; readonly event: KubeEvent; readonly jump: boolean }[];
  readonly activities: readonly string[];
  /** Removals of capacity recorded by this observation (the removal model's, every actor). */
  readonly removals: readonly Removal[];
  /** The previous evaluation's time: what happened after it is new to this one. */
  readonly since: EpochMs;
}

export interface ObserveOptions {
  /** How long restart events are kept (the restart rule's window). */
  readonly restartWindowMs: number;
  /**
   * A Warning event is reported again when its count grew by this much, and at least doubled, since it was
   * last reported, and `eventUpdateEveryMs` has passed: a storm's count rises every minute, which is no news.
   */
  readonly eventCountJump: number;
  readonly eventUpdateEveryMs: number;
  /** Which Warning events are tracked (the Warning-events rule's reason filter). */
  readonly trackEvent: (e: KubeEvent) => boolean;
}

export interface Observation {
  readonly now: EpochMs;
  /** The rollups since the last observed minute, oldest first. */
  readonly rollups: readonly ClusterMinute[];
  /** The newest node-minutes (one per node), when the agent's data is fresh. */
  readonly nodes: readonly NodeMinute[];
}

/**
 * The first minute to read so that nothing since the last observation is missed: the oldest last-seen
 * minute of the sources still reporting (a source silent for minutes would otherwise widen every read to
 * the catch-up window; its minutes are not there to read anyway).
 */
export function observeFrom(memory: EvaluatorMemory, now: EpochMs): Minute {
  const floor = minuteOf(now - CATCH_UP_MS);
  const seen = [memory.kubeMinute, memory.cloudMinute].filter((m): m is number => m !== undefined);
  if (seen.length === 0) return minuteOf(now - 2 * MINUTE_MS);
  const recent = seen.filter((m) => m >= minuteOf(now) - 3 * MINUTE_MS);
  return Math.max(floor, recent.length ? Math.min(...recent) : Math.max(...seen));
}

/** A restart key: `namespace/Kind/name/container`. */
export function restartKey(namespace: string, workload: { readonly kind: string; readonly name: string }, container: string): string {
  return `${namespace}/${workloadName(workload)}/${container}`;
}

export function observe(
  prev: EvaluatorMemory,
  obs: Observation,
  opts: ObserveOptions,
): { memory: EvaluatorMemory; fresh: FreshObservations } {
  const now = obs.now;
  const freshSince = prev.evaluatedAt ?? now - 2 * MINUTE_MS;
  const ready: Record<string, ReadyTrack> = { ...prev.ready };
  const evictions: Record<string, EvictionMark> = { ...prev.evictions };
  const events: Record<string, EventMark> = { ...prev.events };
  const activities: Record<string, ScalingActivity> = { ...prev.activities };
  // Entries without an instance are desired-capacity drops recorded by an older version: not removals.
  let removals = prev.removals.filter((s) => s.instanceId !== undefined);
  let inService: Record<string, Readonly<Record<string, string>>> = { ...(prev.inService ?? {}) };
  const leaving: Record<string, LeavingNode> = { ...(prev.leaving ?? {}) };
  let nodePoolLimits: Record<string, NodePoolAtLimit> = { ...(prev.nodePoolLimits ?? {}) };
  let nodeClaimTroubles = prev.nodeClaimTroubles ?? {};
  let updatingGroups: ReadonlySet<string> = new Set();
  const asgOfInstance = new Map<string, string>();
  let nodeOfInstance = new Map<string, string>();
  let pending = [...prev.pending];
  let clusterStatus = prev.clusterStatus;
  const nodeOom: Record<string, readonly NodeOutOfMemory[]> = { ...prev.nodeOom };
  const outOfMemory = (node: string, t: EpochMs, how: NodeOutOfMemory['how']) =>
    (nodeOom[node] = markOutOfMemory(nodeOom[node] ?? [], t, how));
  let kubeMinute = prev.kubeMinute;
  let cloudMinute = prev.cloudMinute;
  const fresh = {
    restarts: [] as { key: string; event: RestartEvent }[],
    evictions: [] as string[],
    events: [] as { key: string; event: KubeEvent; jump: boolean }[],
    activities: [] as string[],
    removals: [] as Removal[],
    since: freshSince,
  };

  let latestNodes: ReadonlySet<string> | undefined;
  let latestGroups: ReadonlySet<string> | undefined;
  for (const r of obs.rollups) {
    if (r.kube) {
      kubeMinute = Math.max(kubeMinute ?? 0, r.minute);
      for (const n of r.kube.nodes) {
        if (n.problems.includes('MemoryPressure')) outOfMemory(n.name, r.minute, 'MemoryPressure');
        const track = ready[n.name];
        const before = track?.status ?? 'True';
        if (before !== n.ready) ready[n.name] = { status: n.ready, transitions: [...(track?.transitions ?? []), r.minute] };
      }
      for (const [g, instances] of Object.entries(inService)) for (const id of Object.keys(instances)) asgOfInstance.set(id, g);
      for (const x of removals) if (x.autoScalingGroup) asgOfInstance.set(x.instanceId, x.autoScalingGroup);
      removals.push(...removalsAt(leaving, r.kube, asgOfInstance, updatingGroups, r.minute));
      nodePoolLimits = observeNodePoolLimits(nodePoolLimits, r.kube.events);
      nodeClaimTroubles = observeNodeClaims(nodeClaimTroubles, r.kube, r.kube.collectedAt, now);
      latestNodes = new Set(r.kube.nodes.map((n) => n.name));
      nodeOfInstance = nodesByInstance(r.kube);
      const last = pending[pending.length - 1];
      if (last && last[0] === r.minute) pending[pending.length - 1] = [r.minute, r.kube.pendingPods.length];
      else if (!last || (last[0] < r.minute && last[1] !== r.kube.pendingPods.length)) pending.push([r.minute, r.kube.pendingPods.length]);
      for (const e of r.kube.events) {
        if (e.reason === 'SystemOOM' && e.objectKind === 'Node') outOfMemory(e.node ?? e.objectName, e.lastSeen, 'SystemOOM');
        if (e.reason === 'Evicted' && e.objectKind === 'Pod') {
          if (!evictions[e.objectUid]) {
            evictions[e.objectUid] = { t: e.lastSeen, namespace: e.namespace, pod: e.objectName, node: e.node, message: e.message };
            fresh.evictions.push(e.objectUid);
          }
        }
        if (e.type !== 'Warning' || !opts.trackEvent(e)) continue;
        const key = `${e.objectUid}#${e.reason}`;
        const mark = events[key];
        if (!mark) {
          events[key] = { count: e.count, reportedCount: e.count, reportedAt: obs.now, lastSeen: e.lastSeen };
          fresh.events.push({ key, event: e, jump: false });
        } else if (e.count > mark.count || e.lastSeen > mark.lastSeen) {
          const jump = eventJumped(mark, e.count, obs.now, opts);
          events[key] = {
            count: e.count,
            reportedCount: jump ? e.count : mark.reportedCount,
            reportedAt: jump ? obs.now : mark.reportedAt,
            lastSeen: Math.max(e.lastSeen, mark.lastSeen),
          };
          if (jump) fresh.events.push({ key, event: e, jump: true });
        }
      }
    }
    if (r.cloud) {
      cloudMinute = Math.max(cloudMinute ?? 0, r.minute);
      for (const a of r.cloud.scalingActivities) {
        if ((a.status === 'Failed' || a.status === 'Cancelled') && !activities[a.activityId]) {
          activities[a.activityId] = a;
          fresh.activities.push(a.activityId);
        }
      }
      ({ removals, inService } = observeAutoScalingRemovals({ removals, inService }, r.cloud, r.minute, nodeOfInstance));
      updatingGroups = new Set(r.cloud.nodeGroups.filter((n) => n.status === 'UPDATING').map((n) => n.name));
      for (const h of r.cloud.hosts) if (h.autoScalingGroup) asgOfInstance.set(h.instanceId, h.autoScalingGroup);
      const failedAsg = r.cloud.failures.some((f) => f.operation.startsWith('autoscaling:'));
      if (!failedAsg) latestGroups = new Set(r.cloud.autoScalingGroups.map((g) => g.name));
      if (r.cloud.cluster && r.cloud.cluster.status !== clusterStatus?.status)
        clusterStatus = { status: r.cloud.cluster.status, since: r.minute };
    }
  }

  const restarts = observeRestarts(prev.restarts, obs, opts, freshSince, fresh.restarts);
  const nowLeaving = observeLeaving(
    leaving,
    obs.nodes.flatMap((n) => (n.kube ? [n.kube] : [])),
    obs.rollups.flatMap((r) => r.kube?.events ?? []),
    now,
  );

  // Forget what is old or gone.
  for (const [name, t] of Object.entries(ready)) {
    const transitions = t.transitions.filter((x) => x >= now - KEEP_TRANSITIONS_MS);
    if ((latestNodes && !latestNodes.has(name)) || (t.status === 'True' && transitions.length === 0)) delete ready[name];
    else if (transitions.length !== t.transitions.length) ready[name] = { ...t, transitions };
  }
  if (latestGroups) for (const g of Object.keys(inService)) if (!latestGroups.has(g)) delete inService[g];
  for (const [id, a] of Object.entries(activities)) if ((a.endTime ?? a.startTime) < now - KEEP_SCALING_MS) delete activities[id];
  removals = removals.filter((s) => s.t >= now - KEEP_SCALING_MS).sort((a, b) => a.t - b.t);
  const known = new Set(prev.removals.map(removalKey));
  fresh.removals.push(...removals.filter((s) => !known.has(removalKey(s))));
  for (const [k, e] of Object.entries(evictions)) if (e.t < now - KEEP_EVICTIONS_MS) delete evictions[k];
  capByTime(evictions, MAX_EVICTIONS, (e) => e.t);
  for (const [k, e] of Object.entries(events)) if (e.lastSeen < now - KEEP_EVENTS_MS) delete events[k];
  capByTime(events, MAX_EVENT_MARKS, (e) => e.lastSeen);
  for (const [node, spans] of Object.entries(nodeOom)) {
    const kept = spans.filter((x) => x.to >= now - opts.restartWindowMs);
    if (kept.length) nodeOom[node] = kept;
    else delete nodeOom[node];
  }
  for (const [pool, l] of Object.entries(nodePoolLimits)) if (l.t < now - HOUR_MS) delete nodePoolLimits[pool];
  const cut = pending.findIndex(([m]) => m >= now - HOUR_MS);
  if (cut > 0) pending = pending.slice(cut - 1);

  return {
    memory: {
      v: MEMORY_VERSION,
      evaluatedAt: Math.max(now, prev.evaluatedAt ?? 0),
      kubeMinute,
      cloudMinute,
      hostReadAt: prev.hostReadAt,
      ...(prev.ec2Checks ? { ec2Checks: prev.ec2Checks } : {}),
      ready,
      restarts,
      evictions,
      events,
      activities,
      removals,
      inService,
      leaving: nowLeaving,
      nodePoolLimits,
      ...(Object.keys(nodeClaimTroubles).length ? { nodeClaimTroubles } : {}),
      pending,
      clusterStatus,
      nodeOom,
    },
    fresh,
  };
}

/** Marks a node out of memory at `t`: extends the span of the same kind it continues, else starts one (idempotent). */
function markOutOfMemory(spans: readonly NodeOutOfMemory[], t: EpochMs, how: NodeOutOfMemory['how']): NodeOutOfMemory[] {
  const joined = spans.findIndex((x) => x.how === how && t >= x.from - OOM_JOIN_MS && t <= x.to + OOM_JOIN_MS);
  if (joined < 0) return [...spans, { from: t, to: t, how }].slice(-MAX_OOM_SPANS);
  const x = spans[joined];
  return spans.map((y, i) => (i === joined ? { ...x, from: Math.min(x.from, t), to: Math.max(x.to, t) } : y));
}

/** How a node was out of memory around `t` (an OOM kill's time), if it was. */
export function nodeOutOfMemoryAt(memory: EvaluatorMemory, node: string, t: EpochMs): NodeOutOfMemory['how'] | undefined {
  const near = (memory.nodeOom?.[node] ?? []).filter((x) => t >= x.from - OOM_JOIN_MS && t <= x.to + OOM_JOIN_MS);
  return near.find((x) => x.how === 'SystemOOM')?.how ?? near[0]?.how;
}

/**
 * Restarts from the newest node-minutes: a container whose restart count grew since it was last seen
 * restarted (as many times as it grew); one seen for the first time counts its last termination if that is
 * inside the window (all its restarts if the pod itself started inside the window).
 */
function observeRestarts(
  prev: EvaluatorMemory['restarts'],
  obs: Observation,
  opts: ObserveOptions,
  freshSince: EpochMs,
  fresh: { key: string; event: RestartEvent }[],
): Record<string, ContainerRestarts> {
  const now = obs.now;
  const from = now - opts.restartWindowMs;
  const out: Record<string, ContainerRestarts> = {};
  const seenPods = new Map<string, Record<string, number>>();
  const added = new Map<string, RestartEvent[]>();
  for (const nm of obs.nodes) {
    for (const p of nm.kube?.pods ?? []) {
      for (const c of p.containers) {
        // A container never restarted has nothing to record (counts only grow within a pod).
        if (c.restarts === 0) continue;
        const key = restartKey(p.namespace, p.workload, c.name);
        const last = prev[key]?.pods[p.uid];
        const term = c.lastTermination;
        let event: RestartEvent | undefined;
        if (last !== undefined && c.restarts > last) {
          event = {
            t: term?.finishedAt ?? now,
            reason: term?.reason ?? 'Unknown',
            exitCode: term?.exitCode,
            pod: p.name,
            node: p.node,
            count: c.restarts - last,
          };
        } else if (last === undefined && c.restarts > 0 && term?.finishedAt !== undefined && term.finishedAt >= from) {
          const count = p.createdAt !== undefined && p.createdAt >= from ? c.restarts : 1;
          event = { t: term.finishedAt, reason: term.reason, exitCode: term.exitCode, pod: p.name, node: p.node, count };
        }
        if (event) {
          added.set(key, [...(added.get(key) ?? []), event]);
          // A count that grew since the last observation is new; a first sighting is new only if recent.
          if (last !== undefined || event.t > freshSince) fresh.push({ key, event });
        }
        if (event || last !== undefined) {
          const pods = seenPods.get(key) ?? {};
          pods[p.uid] = c.restarts;
          seenPods.set(key, pods);
        }
      }
    }
  }
  const keys = new Set([...Object.keys(prev), ...added.keys()]);
  for (const key of keys) {
    const events = [...(prev[key]?.events ?? []), ...(added.get(key) ?? [])].filter((e) => e.t >= from).slice(-MAX_EVENTS_PER_CONTAINER);
    if (events.length === 0) continue;
    // Pods no longer listed are gone; when no node-minutes were read, what was known is kept.
    const pods = obs.nodes.length ? (seenPods.get(key) ?? {}) : (prev[key]?.pods ?? {});
    out[key] = { pods, events };
  }
  capByTime(out, MAX_RESTART_KEYS, (r) => r.events[r.events.length - 1].t);
  return out;
}

/** Keeps the `max` newest entries of a record. */
function capByTime<V>(rec: Record<string, V>, max: number, time: (v: V) => number): void {
  const keys = Object.keys(rec);
  if (keys.length <= max) return;
  keys.sort((a, b) => time(rec[a]) - time(rec[b]));
  for (const k of keys.slice(0, keys.length - max)) delete rec[k];
}

/** Restart events of the window, newest last. */
export function restartsWithin(r: ContainerRestarts | undefined, from: EpochMs): RestartEvent[] {
  return (r?.events ?? []).filter((e) => e.t >= from);
}

/** The pending-pod count at time `t` (the last stored value at or before it). */
/** A removal's identity across observations (the activity read later may move its time). */
const removalKey = (s: Removal) => `${s.instanceId}|${s.node}`;

export function pendingAt(memory: EvaluatorMemory, t: EpochMs): number {
  let v = 0;
  for (const [m, n] of memory.pending) if (m <= t) v = n;
  return v;
}

/** The memory is kept under this encoded size (DynamoDB items are at most 400 KB). */
export const MAX_MEMORY_BYTES = 300_000;

/**
 * The memory cut to fit `maxBytes` encoded: the oldest Warning-event marks, then the oldest restart
 * histories, then the oldest evictions go first (a storm can make them large; what goes is what matters
 * least). Returns it unchanged when it fits.
 */
export function boundMemory(m: EvaluatorMemory, maxBytes = MAX_MEMORY_BYTES): { memory: EvaluatorMemory; dropped: number } {
  let memory = m;
  let dropped = 0;
  const oldestFirst = <V>(rec: Readonly<Record<string, V>>, time: (v: V) => number): Record<string, V> => {
    const keys = Object.keys(rec).sort((a, b) => time(rec[a]) - time(rec[b]));
    dropped += Math.ceil(keys.length / 2);
    return Object.fromEntries(keys.slice(Math.ceil(keys.length / 2)).map((k) => [k, rec[k]]));
  };
  for (let round = 0; encode(memory).length > maxBytes && round < 30; round++) {
    if (Object.keys(memory.events).length > 10) memory = { ...memory, events: oldestFirst(memory.events, (e) => e.lastSeen) };
    else if (Object.keys(memory.restarts).length > 10)
      memory = { ...memory, restarts: oldestFirst(memory.restarts, (r) => r.events[r.events.length - 1]?.t ?? 0) };
    else
      memory = {
        ...memory,
        evictions: oldestFirst(memory.evictions, (e) => e.t),
        ready: oldestFirst(memory.ready, (r) => r.transitions[r.transitions.length - 1] ?? 0),
      };
  }
  return { memory, dropped };
}

/** Whether a Warning event's count grew enough, and long enough after it was last reported, to be news. */
function eventJumped(mark: EventMark, count: number, now: EpochMs, opts: ObserveOptions): boolean {
  const grew = count - mark.reportedCount >= opts.eventCountJump && count >= 2 * mark.reportedCount;
  return grew && now - (mark.reportedAt ?? 0) >= opts.eventUpdateEveryMs;
}
