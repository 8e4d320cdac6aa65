/**
 * The simulated world a scenario runs in: an AWS account (EKS, Auto Scaling, EC2, CloudWatch) and the
 * Kubernetes cluster on its instances, kept consistent with each other, plus the behaviour that makes
 * incidents unfold the way they do in production:
 *
 * - instances the Auto Scaling group launches become nodes; terminated ones take their pods with them and
 *   the controllers recreate those pods, which the scheduler places by their requests — never their use;
 * - the kubelet reports MemoryPressure when a node's available memory falls under its eviction threshold
 *   (`evictionHard`, 100Mi by default) and evicts pods, BestEffort first, then those furthest above their memory request; the evicted
 *   pods are recreated and land elsewhere — the domino effect;
 * - DiskPressure under 10% free; a container reaching its memory limit is OOM-killed and restarts;
 *   crash-looping containers restart with back-off.
 *
 * The kubelet's eviction manager is `sim/kube/eviction.ts`; the happenings are a table (`HappeningTable`).
 *
 * It advances one simulated minute per `step()`; the scenario's happenings are applied at their time.
 */
import type { EpochMs } from '../model/time';
import { MINUTE_MS, type ManualClock } from '../model/time';
import { formatBytes, parseBytes, parseCpuMilli, parseDuration } from '../model/quantity';
import type { Host } from '../model/domain';
import { matchersText, type Matchers } from '../model/silence';
import { SimulatedAccount, type ScalingCause } from '../sim/aws/account';
import { podReady, SimCluster, type PodModel } from '../sim/kube/cluster';
import { sum } from '../sim/kube/state';
import type { SimContainerSpec, SimNodeSpec, SimPlacement, SimTopologyTerm } from '../sim/kube/model';
import { SCHEDULED_EVENT_CODES, type Happening, type Scenario } from './scenario/format';
import { KarpenterWorld } from './karpenter';
import { ephemeralUse, EVICTION_CHECKS_PER_MINUTE, EvictionManager, MEMORY_EVICTION_THRESHOLD, WARM_UP_START } from '../sim/kube/eviction';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** A started container reaches its steady memory in about three minutes (from `WARM_UP_START` of it). */
const WARM_UP_MS = 3 * MINUTE_MS;
/** A Spot interruption notice comes two minutes before the instance goes. */
const SPOT_NOTICE_MS = 2 * MINUTE_MS;
/** The description AWS Health gives each scheduled change (shortened from its notices). */
const SCHEDULED_EVENT_TEXT: Readonly<Record<keyof typeof SCHEDULED_EVENT_CODES, string>> = {
  'instance-retirement':
    'EC2 has detected degradation of the underlying hardware hosting your Amazon EC2 instance. Due to this degradation your instance could already be unreachable. We will stop your instance after the start time.',
  'instance-stop': 'EC2 will stop your instance after the start time because of a problem with the underlying host.',
  'instance-reboot': 'EC2 will reboot your instance during the scheduled maintenance window.',
  'system-reboot': 'EC2 will reboot the host of your instance during the scheduled maintenance window.',
};
/** Cluster Autoscaler gives up a scale-down whose pods cannot be evicted (PodDisruptionBudgets) after this. */
const CA_DRAIN_DEADLINE_MS = 10 * MINUTE_MS;
/** The taint manager evicts pods from an unreachable node after their default toleration (300 s). */
const UNREACHABLE_TOLERATION_MS = 5 * MINUTE_MS;
/** CrashLoopBackOff: 10 s doubling to 5 min. */
const CRASH_BACKOFF_MS = [10_000, 20_000, 40_000, 80_000, 160_000, 300_000];

type Group = Scenario['cluster']['nodeGroups'][number];
type Workload = Scenario['cluster']['workloads'][number];

interface Leak {
  readonly workload: string;
  readonly container?: string;
  readonly bytesPerMinute: number;
  readonly replicas?: number;
  readonly pods?: readonly string[];
}

type Termination = Extract<Happening, { do: 'terminate-instance' }>['cause'];
type RolloutOutcome = Extract<Happening, { do: 'rollout' }>['outcome'];

/** One entry per happening, keyed by its `do` (a missing one fails to compile), like the rule catalogue. */
type HappeningTable = { readonly [K in Happening['do']]: (world: World, h: Extract<Happening, { do: K }>, now: EpochMs) => void };

interface Window {
  readonly from: EpochMs;
  readonly to: EpochMs;
}

/** What a log line or the report says happened: a scenario happening, or the cluster's reaction. */
export interface WorldNote {
  readonly t: EpochMs;
  readonly text: string;
  readonly kind: 'happening' | 'reaction';
}

export class World {
  readonly cluster: string;
  readonly account: SimulatedAccount;
  readonly kube: SimCluster;
  readonly start: EpochMs;
  readonly end: EpochMs;
  readonly onset: EpochMs;
  /** Things that happened, in order: scenario happenings and what the cluster did in response. */
  readonly notes: WorldNote[] = [];
  /** Silences the timeline added, for the run to store (`vigil silence add`'s part). */
  readonly silences: { readonly startsAt: EpochMs; readonly endsAt: EpochMs; readonly matchers: Matchers; readonly comment: string }[] = [];
  private readonly groups = new Map<string, Group>();
  private readonly workloads = new Map<string, Workload>();
  private readonly pending: Happening[];
  /** instance id → node name, for the nodes present now. */
  private readonly nodeOf = new Map<string, string>();
  /** instance id → node name, for every node that ever joined (scenarios may name nodes that left). */
  private readonly names = new Map<string, string>();
  private readonly leaks: Leak[] = [];
  /** Containers that exit at start: a workload's (those named), or those of one image (a bad release). */
  private readonly crashLoops: { workload: string; container?: string; exitCode: number; pods?: readonly string[]; image?: string }[] = [];
  /** Rollouts under way, and each workload's earlier templates (for a rollback). */
  private readonly rollouts = new Map<string, { outcome: RolloutOutcome; image: string; maxUnavailable?: number | string }>();
  private readonly templates = new Map<string, SimContainerSpec[][]>();
  /** Workloads whose pods write to their ephemeral storage (log files, emptyDir), per pod per minute. */
  private readonly podWrites: { workload: string; bytesPerMinute: number }[] = [];
  /** pod key → container → next restart time and back-off step. */
  private readonly crashState = new Map<string, { next: EpochMs; step: number }>();
  private readonly diskFills = new Map<string, number>();
  private readonly flaps: { node: string; period: number; until: EpochMs }[] = [];
  /** node → since when its kubelet is silent, and until when. */
  private readonly kubeletDown = new Map<string, { since: EpochMs; until: EpochMs }>();
  /** Instances told to go (a Spot notice runs two minutes first), by when and why. */
  private readonly terminations: { instanceId: string; at: EpochMs; cause: Termination }[] = [];
  /** Instances that went without a drain: their node goes NotReady while they shut down. */
  private readonly undrained = new Set<string>();
  /** Nodes being drained; a Cluster Autoscaler drain then terminates the node, or gives up at its deadline. */
  private readonly drains = new Map<
    string,
    { autoscaler?: { group: string; desired: () => number; deadline: EpochMs }; karpenter?: { pool: string } }
  >();
  private readonly storms: { reason: string; message: string; left: number; perMinute: number; workload?: string }[] = [];
  private agentDown?: Window;
  /** NodePools and NodeClaims, when a node group is Karpenter's or EKS Auto Mode's. */
  private readonly karpenter?: KarpenterWorld;
  /** The kubelets' eviction managers (and the kernel's OOM killer). */
  private readonly eviction: EvictionManager;
  /** Per node, CPU use as a share of capacity each minute: what the host's CloudWatch CPU follows. */
  private readonly cpuHistory = new Map<string, Map<number, number>>();

  constructor(
    readonly scenario: Scenario,
    readonly clock: ManualClock,
  ) {
    this.cluster = scenario.cluster.name;
    this.start = clock.now();
    this.end = this.start + parseDuration(scenario.duration);
    const first = scenario.timeline.length ? Math.min(...scenario.timeline.map((h) => parseDuration(h.at))) : 0;
    this.onset = this.start + (scenario.onset !== undefined ? parseDuration(scenario.onset) : first);
    this.pending = [...scenario.timeline].sort((a, b) => parseDuration(a.at) - parseDuration(b.at));
    for (const g of scenario.cluster.nodeGroups) this.groups.set(g.name, g);
    for (const w of scenario.cluster.workloads) this.workloads.set(`${w.namespace}/${w.name}`, w);

    this.account = new SimulatedAccount({ clock, region: scenario.cluster.region });
    this.account.addCluster({
      name: this.cluster,
      version: scenario.cluster.version,
      nodeGroups: scenario.cluster.nodeGroups.map((g) => ({
        name: g.name,
        kind: g.kind,
        instanceType: g.instanceType,
        capacityType: g.capacityType,
        zones: g.zones,
        size: g.size,
        detailedMonitoring: g.detailedMonitoring,
      })),
    });
    this.kube = new SimCluster({ clock, region: scenario.cluster.region });
    this.eviction = new EvictionManager(this.kube, {
      note: (text) => this.note(text),
      nodeRef: (name) => this.nodeRef(name),
      recreate: (p) => this.recreate(p),
    });
    const pools = scenario.cluster.nodeGroups.filter((g) => isKarpenter(g.kind));
    if (pools.length) {
      this.karpenter = new KarpenterWorld(
        {
          kube: this.kube,
          pendingFor: (pool) => this.pendingFor(pool).length,
          running: (pool) => this.running(pool),
          launch: (pool) => this.account.setDesired(this.cluster, pool, this.running(pool) + 1),
          note: (text) => this.note(text),
        },
        pools.map((g) => ({
          name: g.name,
          kind: g.kind as 'karpenter' | 'auto-mode',
          instanceType: g.instanceType,
          capacityType: g.capacityType,
          maxNodes: g.size.max,
        })),
      );
    }
    this.syncNodes();
    for (const w of scenario.cluster.workloads) {
      this.kube.addWorkload({
        kind: w.kind,
        namespace: w.namespace,
        name: w.name,
        ...(w.replicas !== undefined ? { replicas: w.replicas } : {}),
        ...(w.labels ? { labels: w.labels } : {}),
        containers: w.containers.map(containerSpec),
        placement: placementOf(w, this.groups),
        createdAt: this.start - 7 * 86_400_000,
      });
    }
  }

  get agentRunning(): boolean {
    const now = this.clock.now();
    return !this.agentDown || now < this.agentDown.from || now >= this.agentDown.to;
  }

  /** The scenario's `<group>/<index>` name of a node, or the node name itself. */
  nodeName(ref: string): string {
    const [group, index] = ref.split('/');
    const host = this.account.instancesOf(this.cluster, group)[Number(index) - 1];
    const name = host ? this.names.get(host.instanceId) : undefined;
    if (!name) throw new Error(`node ${ref}: the group has no such node (it has ${this.account.instancesOf(this.cluster, group).length})`);
    return name;
  }

  /** `<group>/<index>` for a node name (the inverse of `nodeName`), when it is one of the groups' nodes. */
  nodeRef(name: string): string | undefined {
    for (const g of this.groups.keys()) {
      const i = this.account.instancesOf(this.cluster, g).findIndex((h) => this.names.get(h.instanceId) === name);
      if (i >= 0) return `${g}/${i + 1}`;
    }
    return undefined;
  }

  /** Advances one minute: due happenings, then the cluster's own behaviour. */
  step(): void {
    const now = this.clock.now();
    while (this.pending.length && this.start + parseDuration(this.pending[0].at) <= now) this.apply(this.pending.shift()!);
    this.runTerminations();
    this.syncNodes();
    this.runDrains();
    this.runRollouts();
    this.runLeaks();
    this.runCrashLoops();
    this.runPodWrites();
    this.eviction.checkDisks(this.diskFills);
    this.runFlaps();
    this.runKubelets();
    this.runStorms();
    // The kubelet watches memory every 10 s (housekeeping) and evicts at most one pod each time.
    for (let i = EVICTION_CHECKS_PER_MINUTE - 1; i >= 0; i--) {
      const t = now - (i * MINUTE_MS) / EVICTION_CHECKS_PER_MINUTE;
      this.runWarmUps(t);
      this.eviction.checkMemory((node) => this.kubeletDown.has(node));
    }
    this.kube.reschedulePending();
    this.karpenter?.step(now);
    this.runKarpenterLimits();
    this.recordCpu();
  }

  private note(text: string, kind: WorldNote['kind'] = 'reaction'): void {
    this.notes.push({ t: this.clock.now(), text, kind });
  }

  // -------------------------------------------------------------------------------------------------
  // Happenings
  // -------------------------------------------------------------------------------------------------

  /** What each happening does to the world. */
  private static readonly happenings: HappeningTable = {
    'scale-in': (world, h, now) => {
      const refs = h.nodes ?? (h.node ? [h.node] : []);
      const nodes = refs.map((r) => world.nodeName(r));
      if (h.cause === 'cluster-autoscaler') {
        // Cluster Autoscaler drains each node it chose, then terminates it, decrementing the desired capacity.
        let left = nodes.length;
        for (const node of nodes)
          world.drains.set(node, {
            autoscaler: { group: h.nodeGroup, desired: () => h.desired + --left, deadline: now + CA_DRAIN_DEADLINE_MS },
          });
        world.note(`Cluster Autoscaler scales ${h.nodeGroup} down to ${h.desired}: draining ${refs.join(', ')}`, 'happening');
        return;
      }
      world.account.setDesired(world.cluster, h.nodeGroup, h.desired, {
        cause: scalingCause(h.cause, h.nodeGroup),
        terminate: nodes.map((n) => world.instanceOf(n)),
      });
      world.note(
        `Auto Scaling group of ${h.nodeGroup} scales in to ${h.desired} (${h.cause})${refs.length ? `, terminating ${refs.join(', ')}` : ''}`,
        'happening',
      );
    },
    'terminate-instance': (world, h, now) => {
      for (const ref of h.nodes) {
        const node = world.nodeName(ref);
        const instanceId = world.instanceOf(node);
        world.terminations.push({ instanceId, at: h.cause === 'spot-interruption' ? now + SPOT_NOTICE_MS : now, cause: h.cause });
        if (h.cause === 'spot-interruption') world.account.warnSpotInterruption(instanceId);
        // Karpenter's interruption handling taints and drains the node within the notice.
        if (h.cause === 'spot-interruption' && world.karpenterPoolOf(node)) {
          world.disrupt(node, 'SpotInterrupted', 'Warning', 'Spot interruption warning was triggered');
          world.drains.set(node, {});
        }
      }
      world.note(
        `${h.nodes.join(', ')}: ${h.cause === 'spot-interruption' ? 'Spot interruption notice (2 minutes)' : h.cause === 'health' ? 'EC2 health check failed; the group replaces the instance' : 'instance terminated by hand'}`,
        'happening',
      );
    },
    'karpenter-disruption': (world, h) => {
      for (const ref of h.nodes) {
        const node = world.nodeName(ref);
        const pool = world.karpenterPoolOf(node);
        if (!pool) throw new Error(`karpenter-disruption: ${ref} is not a node of a Karpenter or EKS Auto Mode NodePool`);
        world.disrupt(node, 'DisruptionTerminating', 'Normal', `Disrupting Node: ${h.reason}`);
        world.drains.set(node, { karpenter: { pool } });
      }
      world.note(`Karpenter disrupts ${h.nodes.join(', ')} (${h.reason}): tainted, draining`, 'happening');
    },
    'karpenter-launch-failure': (world, h, now) => {
      if (!world.karpenter) throw new Error(`karpenter-launch-failure: the cluster has no Karpenter or EKS Auto Mode NodePool`);
      world.karpenter.failLaunches(h.nodePool, h.failure, now + parseDuration(h.for));
      world.note(`Karpenter cannot bring up nodes for NodePool ${h.nodePool} (${h.failure}) for ${h.for}`, 'happening');
    },
    'karpenter-drift': (world, h) => {
      if (!world.karpenter) throw new Error(`karpenter-drift: the cluster has no Karpenter or EKS Auto Mode NodePool`);
      world.karpenter.drift(h.nodePool, h.budget);
      world.note(
        `NodePool ${h.nodePool}'s NodeClaims drift${h.budget !== undefined ? `; its budget allows ${h.budget} nodes for Drifted` : ''}`,
        'happening',
      );
    },
    'node-repair': (world, h, now) => {
      const node = world.nodeName(h.node);
      if (!world.karpenterPoolOf(node)) throw new Error(`node-repair: ${h.node} is not a node of a Karpenter or EKS Auto Mode NodePool`);
      // Repair deletes the NodeClaim: the termination controller taints the node, then the instance goes without a drain.
      world.kube.addTaint(node, 'karpenter.sh/disrupted');
      world.terminations.push({ instanceId: world.instanceOf(node), at: now, cause: 'health' });
      world.note(`node repair replaces ${h.node}`, 'happening');
    },
    drain: (world, h) => {
      world.drains.set(world.nodeName(h.node), {});
      world.note(`${h.node} is drained`, 'happening');
    },
    uncordon: (world, h) => {
      world.drains.delete(world.nodeName(h.node));
      world.kube.cordon(world.nodeName(h.node), false);
      world.note(`${h.node} is uncordoned`, 'happening');
    },
    'scale-out': (world, h) => {
      world.account.setDesired(world.cluster, h.nodeGroup, h.desired);
      world.note(`Auto Scaling group of ${h.nodeGroup} scales out to ${h.desired}`, 'happening');
    },
    'node-group-update': (world, h) => {
      world.account.updateNodeGroup(world.cluster, h.nodeGroup);
      world.note(`EKS updates node group ${h.nodeGroup}: its nodes are replaced one by one`, 'happening');
    },
    'scaling-failure': (world, h) => {
      world.account.failLaunches(world.cluster, h.nodeGroup, h.statusMessage);
      world.account.setDesired(world.cluster, h.nodeGroup, h.desired);
      world.note(`${h.nodeGroup} tries to launch to ${h.desired} and fails: ${h.statusMessage}`, 'happening');
    },
    replicas: (world, h) => {
      world.kube.scaleWorkload(world.workloadKind(h.workload), ...split(h.workload), h.replicas);
      world.note(`${h.workload} scaled to ${h.replicas} replicas`, 'happening');
    },
    usage: (world, h) => {
      for (const p of world.chosenPods(h.workload, h.pods)) {
        for (const c of p.containers) {
          if (h.container && c.spec.name !== h.container) continue;
          world.kube.setUsage(p, c.spec.name, {
            ...(h.cpu !== undefined ? { cpuMilli: parseCpuMilli(h.cpu) } : {}),
            ...(h.memory !== undefined ? { memoryWorkingSetBytes: parseBytes(h.memory) } : {}),
          });
        }
      }
      world.note(`${h.workload} usage changes`, 'happening');
    },
    'memory-leak': (world, h) => {
      world.leaks.push({
        workload: h.workload,
        container: h.container,
        bytesPerMinute: perMinute(h.rate),
        replicas: h.replicas,
        pods: h.pods,
      });
      world.note(`${h.pods ? h.pods.join(', ') : h.workload} starts leaking memory (${h.rate})`, 'happening');
    },
    'crash-loop': (world, h) => {
      world.crashLoops.push({ workload: h.workload, container: h.container, exitCode: h.exitCode, pods: h.pods });
      world.note(`${h.workload} starts crash-looping`, 'happening');
    },
    'bad-image': (world, h) => {
      world.rollOut(h.workload, h.image, undefined, h.reason === 'CreateContainerConfigError' ? h.reason : 'ImagePullBackOff');
      world.note(`${h.workload} rolls out ${h.image}, which cannot start (${h.reason})`, 'happening');
    },
    rollout: (world, h) => {
      world.rollOut(h.workload, h.image, h.container, h.outcome, h.maxUnavailable);
      world.note(`${h.workload} rolls out ${h.image}${h.outcome === 'healthy' ? '' : ` (${h.outcome})`}`, 'happening');
    },
    rollback: (world, h) => {
      const earlier = world.templates.get(h.workload) ?? [];
      const previous = earlier[earlier.length - 2];
      world.kube.rollOut(world.workloadKind(h.workload), ...split(h.workload), previous);
      earlier.push(previous);
      world.rollouts.set(h.workload, { outcome: 'healthy', image: previous[0].image });
      world.note(`${h.workload} is rolled back to ${previous.map((c) => c.image).join(', ')}`, 'happening');
    },
    'disk-fill': (world, h) => {
      if (h.workload) world.podWrites.push({ workload: h.workload, bytesPerMinute: perMinute(h.rate) });
      else world.diskFills.set(world.nodeName(h.node!), perMinute(h.rate));
      world.note(
        `${h.workload ? `${h.workload}'s pods write ${h.source} (${h.rate} each)` : `${h.node}'s ${h.source === 'images' ? 'image filesystem' : 'disk'} starts filling (${h.rate})`}`,
        'happening',
      );
    },
    'node-condition': (world, h) => {
      world.kube.setNodeCondition(world.nodeName(h.node), h.condition, h.status, {
        ...(h.reason ? { reason: h.reason } : {}),
        ...(h.message ? { message: h.message } : {}),
      });
      world.note(`${h.node}: ${h.condition} is ${h.status}`, 'happening');
    },
    'node-flap': (world, h, now) => {
      world.flaps.push({ node: world.nodeName(h.node), period: parseDuration(h.period), until: now + parseDuration(h.for) });
      world.note(`${h.node} starts flapping between Ready and NotReady`, 'happening');
    },
    'kubelet-down': (world, h, now) => {
      world.kubeletDown.set(world.nodeName(h.node), { since: now, until: h.for ? now + parseDuration(h.for) : Number.POSITIVE_INFINITY });
      world.note(`${h.node}'s kubelet stops reporting`, 'happening');
    },
    'scheduled-event': (world, h, now) => {
      const code = SCHEDULED_EVENT_CODES[h.event];
      world.account.scheduleHealthEvent(
        world.instanceOf(world.nodeName(h.node)),
        code,
        now + parseDuration(h.in),
        SCHEDULED_EVENT_TEXT[h.event],
      );
      world.note(`AWS Health: ${h.event} of ${h.node}'s instance scheduled in ${h.in}`, 'happening');
    },
    'status-check-failed': (world, h) => {
      world.account.failStatusCheck(
        world.instanceOf(world.nodeName(h.node)),
        'instance',
        h.for ? parseDuration(h.for) : Number.POSITIVE_INFINITY,
      );
      world.note(`${h.node}'s instance fails its EC2 status check`, 'happening');
    },
    cordon: (world, h) => {
      world.kube.cordon(world.nodeName(h.node));
      world.note(`${h.node} is cordoned`, 'happening');
    },
    silence: (world, h, now) => {
      const { node, ...rest } = h.match;
      const matchers = { ...rest, ...(node ? { node: /^[a-z0-9-]+\/\d+$/.test(node) ? world.nodeName(node) : node } : {}) };
      world.silences.push({ startsAt: now, endsAt: now + parseDuration(h.for), matchers, comment: h.comment });
      world.note(`a silence for ${h.for}: ${matchersText(matchers)} (${h.comment})`, 'happening');
    },
    'agent-outage': (world, h, now) => {
      world.agentDown = { from: now, to: now + parseDuration(h.for) };
      world.note(`the agent stops pushing for ${h.for}`, 'happening');
    },
    'cloudwatch-delay': (world, h) => {
      world.account.delayCloudWatch(parseDuration(h.for), parseDuration(h.delay));
      world.note(`CloudWatch data arrives ${h.delay} late for ${h.for}`, 'happening');
    },
    'event-storm': (world, h) => {
      const minutes = Math.max(1, Math.round(parseDuration(h.over) / MINUTE_MS));
      world.storms.push({
        reason: h.reason,
        message: h.message ?? `${h.reason}: simulated storm`,
        left: h.count,
        perMinute: Math.ceil(h.count / minutes),
        workload: h.workload,
      });
      world.note(`an event storm starts: ${h.count} × ${h.reason} over ${h.over}`, 'happening');
    },
    'cluster-status': (world, h) => {
      world.account.setClusterStatus(world.cluster, h.status);
      world.note(`EKS cluster status: ${h.status}`, 'happening');
    },
    'nodegroup-health': (world, h) => {
      world.account.setNodeGroupHealth(world.cluster, h.nodeGroup, [{ code: h.code, message: h.message }]);
      world.note(`EKS reports ${h.code} on ${h.nodeGroup}`, 'happening');
    },
  };

  private apply(h: Happening): void {
    // TypeScript cannot tie h.do to its entry's parameter type; the table's type does.
    (World.happenings[h.do] as (world: World, h: Happening, now: EpochMs) => void)(this, h, this.clock.now());
  }

  // -------------------------------------------------------------------------------------------------
  // Instances ↔ nodes
  // -------------------------------------------------------------------------------------------------

  /** Instances that run and are in service have a node; instances going away lose theirs. */
  private syncNodes(): void {
    const hosts = this.account.hosts(this.cluster);
    const live = new Set<string>();
    for (const h of hosts) {
      const serving = h.state === 'running' && (h.lifecycleState === undefined || h.lifecycleState === 'InService');
      const node = this.nodeOf.get(h.instanceId);
      if (node && h.state === 'shutting-down' && this.undrained.has(h.instanceId)) {
        // Gone without a drain: the kubelet stops with the machine and the node goes NotReady; the cloud
        // controller deletes the node once EC2 says terminated.
        if (!this.kubeletDown.has(node)) this.kubeletDown.set(node, { since: this.clock.now(), until: Number.POSITIVE_INFINITY });
        live.add(h.instanceId);
        continue;
      }
      if (!serving) continue;
      live.add(h.instanceId);
      if (!node) this.join(h);
    }
    for (const [instanceId, node] of this.nodeOf) {
      if (live.has(instanceId)) continue;
      this.nodeOf.delete(instanceId);
      const replaced = this.kube.removeNode(node, { reschedule: true });
      this.karpenter?.left(node);
      for (const p of replaced) this.startSmall(p);
      this.note(
        `node ${node} left with its instance; ${replaced.length} pods recreated, ${replaced.filter((p) => !p.node).length} of them Pending`,
      );
    }
  }

  private join(h: Host): void {
    const g = this.groups.get(h.nodeGroup ?? '');
    if (!g) return;
    const n = g.node;
    const cpu = parseCpuMilli(n.cpu);
    const memory = parseBytes(n.memory);
    const disk = parseBytes(n.disk);
    const name = h.privateDnsName ?? `ip-${h.instanceId}.${this.scenario.cluster.region}.compute.internal`;
    const evictionMemory = n.evictionHard?.['memory.available'];
    const spec: SimNodeSpec = {
      name,
      instanceId: h.instanceId,
      zone: h.zone,
      instanceType: h.instanceType,
      ...(isKarpenter(g.kind) ? { nodePool: g.name } : { nodeGroup: g.name }),
      capacityType: g.capacityType,
      capacity: { cpuMilli: cpu, memoryBytes: memory, ephemeralStorageBytes: disk, pods: n.pods },
      allocatable: {
        cpuMilli: n.allocatableCpu ? parseCpuMilli(n.allocatableCpu) : cpu - eksCpuReserve(cpu),
        memoryBytes: n.allocatableMemory
          ? parseBytes(n.allocatableMemory)
          : memory - eksMemoryReserve(n.pods) - (evictionMemory ? parseBytes(evictionMemory) : MEMORY_EVICTION_THRESHOLD),
        ephemeralStorageBytes: Math.floor(disk * 0.9),
        pods: n.pods,
      },
      createdAt: Math.max(h.launchTime, this.clock.now() - 30 * 86_400_000),
      // EKS Auto Mode labels its nodes so workloads can ask for Auto Mode compute.
      ...(g.labels || g.kind === 'auto-mode'
        ? { labels: { ...g.labels, ...(g.kind === 'auto-mode' ? { 'eks.amazonaws.com/compute-type': 'auto' } : {}) } }
        : {}),
      ...(g.taints ? { taints: g.taints } : {}),
      disk: {
        capacityBytes: disk,
        usedBytes: n.system?.disk ? parseBytes(n.system.disk) : 12 * GiB,
        inodes: Math.floor(disk / 2048),
        inodesUsed: 400_000,
      },
      systemMemoryBytes: n.system?.memory ? parseBytes(n.system.memory) : 600 * MiB,
      systemCpuMilli: n.system?.cpu ? parseCpuMilli(n.system.cpu) : 100,
      ...(evictionMemory ? { evictionHard: { 'memory.available': evictionMemory } } : {}),
    };
    this.kube.addNode(spec);
    if (isKarpenter(g.kind)) this.karpenter?.joined(name, g.name, h.instanceId, h.zone, h.instanceType);
    this.nodeOf.set(h.instanceId, name);
    this.names.set(h.instanceId, name);
    this.account.setMetric(h.instanceId, 'cpuPct', (t) => this.cpuAt(name, t));
    if (this.clock.now() > this.start) this.note(`node ${name} joined (${g.name})`);
  }

  private instanceOf(node: string): string {
    for (const [i, n] of this.nodeOf) if (n === node) return i;
    throw new Error(`node ${node} has no instance`);
  }

  // -------------------------------------------------------------------------------------------------
  // Behaviour
  // -------------------------------------------------------------------------------------------------

  /** A new template for the workload; `runRollouts` moves its pods over at the controller's pace. */
  private rollOut(
    workload: string,
    image: string,
    container: string | undefined,
    outcome: RolloutOutcome,
    maxUnavailable?: number | string,
  ): void {
    const w = this.workloads.get(workload)!;
    const history = this.templates.get(workload) ?? [w.containers.map(containerSpec)];
    const current = history[history.length - 1];
    const target = container ?? current[0].name;
    const next = current.map((c) => (c.name === target ? { ...c, image } : c));
    history.push(next);
    this.templates.set(workload, history);
    this.kube.rollOut(w.kind, w.namespace, w.name, next);
    this.rollouts.set(workload, { outcome, image, maxUnavailable });
    if (outcome === 'crash-loop') this.crashLoops.push({ workload, container: target, exitCode: 1, image });
  }

  /**
   * The controllers' rolling updates, one step a minute. A Deployment scales its old pods down as far as
   * maxUnavailable (25%) allows counting new pods not yet ready, and its new ones up to maxSurge (25%) over
   * the replicas; a DaemonSet replaces as many nodes' pods at a time as its maxUnavailable (default 1) leaves
   * room for, counting those not yet available. New pods
   * that never become ready stall it there.
   */
  private runRollouts(): void {
    const now = this.clock.now();
    for (const [workload, r] of this.rollouts) {
      const w = this.workloads.get(workload)!;
      const live = this.podsOf(workload).filter((p) => p.phase !== 'Failed' && p.phase !== 'Succeeded' && p.deletingSince === undefined);
      const fresh = live.filter((p) => this.kube.isUpdated(p));
      const old = live
        .filter((p) => !this.kube.isUpdated(p))
        .sort((a, b) => Number(podReady(a)) - Number(podReady(b)) || a.name.localeCompare(b.name));
      const available = (p: PodModel) => podReady(p) && p.scheduledAt !== undefined && p.scheduledAt < now;
      const template = this.templates.get(workload)!.at(-1)!;
      if (w.kind === 'DaemonSet') {
        const m = r.maxUnavailable ?? 1;
        const budget = typeof m === 'number' ? m : Math.ceil((live.length * parseInt(m, 10)) / 100);
        for (const victim of old
          .filter((p) => p.node !== undefined)
          .slice(0, Math.max(0, budget - live.filter((p) => !available(p)).length))) {
          this.kube.deletePod(victim);
          this.started(
            this.kube.addPod({
              namespace: w.namespace,
              owner: { kind: 'DaemonSet', name: w.name },
              node: victim.node,
              containers: template,
            }),
            r,
          );
        }
      } else {
        const replicas = this.kube.replicasOf(w.kind, w.namespace, w.name);
        const minAvailable = replicas - Math.floor(replicas * 0.25);
        const maxTotal = replicas + Math.ceil(replicas * 0.25);
        const down = Math.max(0, Math.min(old.length, live.length - minAvailable - fresh.filter((p) => !available(p)).length));
        for (const p of old.slice(0, down)) this.kube.deletePod(p);
        for (let n = fresh.length; n < Math.min(replicas, maxTotal - (old.length - down)); n++) {
          this.started(this.kube.addPod({ namespace: w.namespace, owner: { kind: w.kind, name: w.name }, containers: template }), r);
        }
      }
      if (old.length === 0 && fresh.every(available)) {
        this.rollouts.delete(workload);
        this.note(`${workload}: rollout of ${r.image} complete`);
      }
    }
  }

  /** A rollout's new pod: it starts small, or its new container fails to start the way the release does. */
  private started(p: PodModel, r: { outcome: RolloutOutcome; image: string }): void {
    this.startSmall(p);
    for (const c of p.containers.filter((x) => x.spec.image === r.image)) {
      if (r.outcome === 'ImagePullBackOff') this.kube.failImagePull(p, c.spec.name);
      else if (r.outcome === 'CreateContainerConfigError')
        this.kube.failContainer(p, c.spec.name, 'CreateContainerConfigError', 'secret "db-credentials" not found');
    }
  }

  /** Instances whose time has come: a Spot notice ran out, a health replacement, a person. */
  private runTerminations(): void {
    const now = this.clock.now();
    for (const t of this.terminations.filter((x) => x.at <= now)) {
      this.terminations.splice(this.terminations.indexOf(t), 1);
      this.undrained.add(t.instanceId);
      this.account.terminateInstance(t.instanceId, t.cause);
      this.note(`instance ${t.instanceId} (${this.names.get(t.instanceId) ?? '?'}) is terminated: ${t.cause}`);
    }
  }

  /**
   * `kubectl drain` (or Cluster Autoscaler's): cordon, then evict every pod but DaemonSets', as far as each
   * PodDisruptionBudget allows; the controllers recreate the evicted pods where they fit. A blocked eviction
   * is retried the next minute, when the replacements have become ready.
   */
  private runDrains(): void {
    const now = this.clock.now();
    for (const [node, d] of [...this.drains]) {
      if (!this.kube.nodeModels.has(node)) {
        this.drains.delete(node);
        continue;
      }
      // Cluster Autoscaler and Karpenter taint the node (ToBeDeletedByClusterAutoscaler, karpenter.sh/disrupted); a person cordons it.
      if (d.autoscaler) this.kube.addTaint(node, 'ToBeDeletedByClusterAutoscaler');
      else if (!d.karpenter) this.kube.cordon(node);
      const left = this.kube.podsOn(node).filter((p) => p.phase !== 'Failed' && p.phase !== 'Succeeded' && p.owner?.kind !== 'DaemonSet');
      const blocked: string[] = [];
      for (const p of left) {
        if (!this.disruptionAllowed(p)) {
          blocked.push(`${p.namespace}/${p.name}`);
          continue;
        }
        this.kube.deletePod(p);
        this.recreate(p);
      }
      if (blocked.length === 0) {
        this.drains.delete(node);
        this.note(`${this.nodeRef(node) ?? node} is drained`);
        if (d.autoscaler)
          this.account.setDesired(this.cluster, d.autoscaler.group, d.autoscaler.desired(), {
            cause: { kind: 'terminate-request' },
            terminate: [this.instanceOf(node)],
          });
        if (d.karpenter)
          this.account.setDesired(this.cluster, d.karpenter.pool, this.running(d.karpenter.pool) - 1, {
            terminate: [this.instanceOf(node)],
          });
      } else if (d.autoscaler && now >= d.autoscaler.deadline) {
        this.drains.delete(node);
        this.kube.removeTaint(node, 'ToBeDeletedByClusterAutoscaler');
        this.note(
          `Cluster Autoscaler gives up removing ${this.nodeRef(node) ?? node}: cannot evict ${blocked.join(', ')} (PodDisruptionBudget)`,
        );
      }
    }
  }

  /** Whether the pod's PodDisruptionBudget lets one more of its workload's pods go now. */
  private disruptionAllowed(p: PodModel): boolean {
    const w = this.workloadOfPod(p);
    const pdb = w?.disruptionBudget;
    if (!w || !pdb) return true;
    const now = this.clock.now();
    // Healthy as the disruption controller counts: ready, and not just created in this same minute.
    const healthy = this.podsOf(`${w.namespace}/${w.name}`).filter(
      (x) => podReady(x) && x.deletingSince === undefined && x.scheduledAt !== undefined && x.scheduledAt < now,
    ).length;
    const desiredHealthy = 'minAvailable' in pdb ? pdb.minAvailable : (w.replicas ?? 0) - pdb.maxUnavailable;
    return healthy - 1 >= desiredHealthy;
  }

  private runLeaks(): void {
    for (const leak of this.leaks) {
      for (const p of this.chosenPods(leak.workload, leak.pods, leak.replicas).filter((x) => x.phase === 'Running')) {
        for (const c of p.containers) {
          if (leak.container && c.spec.name !== leak.container) continue;
          if (c.state !== 'running') continue;
          const grown = c.usage.memoryWorkingSetBytes + leak.bytesPerMinute;
          const limit = c.spec.limits?.memoryBytes;
          if (limit !== undefined && grown >= limit) {
            this.kube.oomKill(p, c.spec.name);
            this.kube.setUsage(p, c.spec.name, { memoryWorkingSetBytes: c.spec.usage?.memoryWorkingSetBytes ?? Math.floor(limit / 3) });
            this.note(`${p.namespace}/${p.name} ${c.spec.name} OOM-killed at its ${formatBytes(limit)} limit`);
          } else {
            this.kube.setUsage(p, c.spec.name, { memoryWorkingSetBytes: grown });
          }
        }
      }
    }
  }

  private runCrashLoops(): void {
    const now = this.clock.now();
    for (const how of this.crashLoops) {
      for (const p of this.chosenPods(how.workload, how.pods)) {
        if (p.phase === 'Failed' || p.phase === 'Succeeded' || !p.node) continue;
        for (const c of p.containers) {
          if ((how.container && c.spec.name !== how.container) || (how.image && c.spec.image !== how.image)) continue;
          const key = `${p.namespace}/${p.name}/${c.spec.name}`;
          const s = this.crashState.get(key) ?? { next: now, step: 0 };
          // Every restart due within the last minute happens (back-off keeps them apart).
          while (s.next <= now) {
            this.kube.crashLoop(p, c.spec.name, { exitCode: how.exitCode });
            s.next += CRASH_BACKOFF_MS[Math.min(s.step, CRASH_BACKOFF_MS.length - 1)];
            s.step++;
          }
          this.crashState.set(key, s);
        }
      }
    }
  }

  /**
   * Pods writing into their ephemeral storage: log files inside the container and emptyDir volumes (the
   * kubelet rotates only stdout logs, at 5 × 10Mi, which never fill a disk). Both count against the pod's
   * ephemeral-storage limit and the node's filesystem; the summary shows them as the container's rootfs.
   */
  private runPodWrites(): void {
    for (const w of this.podWrites) {
      for (const p of this.podsOf(w.workload).filter((x) => x.phase === 'Running')) {
        const c = p.containers[0];
        this.kube.setUsage(p, c.spec.name, { rootfsUsedBytes: c.usage.rootfsUsedBytes + w.bytesPerMinute });
        const limit = sum(p.containers.map((x) => x.spec.limits?.ephemeralStorageBytes ?? 0));
        if (limit > 0 && ephemeralUse(p) > limit) {
          this.eviction.evict(p, `Pod ephemeral local storage usage exceeds the total limit of containers ${formatBytes(limit)}. `);
          this.note(`${p.namespace}/${p.name} evicted: ephemeral storage over its ${formatBytes(limit)} limit`);
        }
      }
    }
  }

  private runFlaps(): void {
    const now = this.clock.now();
    for (const f of this.flaps) {
      if (!this.kube.nodeModels.has(f.node)) continue;
      const ready = now >= f.until || Math.floor((now - this.start) / f.period) % 2 === 0;
      this.kube.setNodeCondition(
        f.node,
        'Ready',
        ready ? 'True' : 'False',
        ready ? {} : { reason: 'KubeletNotReady', message: 'PLEG is not healthy: pleg was last seen active 3m5s ago' },
      );
    }
  }

  /**
   * Silent kubelets: the node goes NotReady (Unknown) with the unreachable taints and its pods are marked
   * not ready; after their 300 s toleration the pods are marked for deletion and their controllers replace
   * them, but a StatefulSet's pod stays Terminating (its name is held) until the kubelet comes back.
   */
  private runKubelets(): void {
    const now = this.clock.now();
    for (const [node, down] of this.kubeletDown) {
      if (!this.kube.nodeModels.has(node)) {
        this.kubeletDown.delete(node);
        continue;
      }
      if (now < down.until) {
        this.kube.setNodeCondition(node, 'Ready', 'Unknown', {
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
        });
        this.kube.addTaint(node, 'node.kubernetes.io/unreachable');
        this.kube.addTaint(node, 'node.kubernetes.io/unreachable', 'NoExecute');
        this.kube.setNodeLost(node, true);
        if (now - down.since >= UNREACHABLE_TOLERATION_MS) this.evictUnreachable(node);
        continue;
      }
      this.kube.setNodeCondition(node, 'Ready', 'True');
      this.kube.removeTaint(node, 'node.kubernetes.io/unreachable');
      this.kube.setNodeLost(node, false);
      // The kubelet is back and confirms the deletions: a StatefulSet can now recreate its pods.
      for (const p of this.kube.podsOn(node).filter((x) => x.deletingSince !== undefined)) {
        this.kube.deletePod(p);
        if (this.workloadOfPod(p)?.kind === 'StatefulSet') this.recreate(p);
      }
      this.kubeletDown.delete(node);
    }
  }

  private evictUnreachable(node: string): void {
    for (const p of this.kube.podsOn(node)) {
      if (p.deletingSince !== undefined || p.owner?.kind === 'DaemonSet' || p.phase === 'Failed' || p.phase === 'Succeeded') continue;
      this.kube.markForDeletion(p);
      const w = this.workloadOfPod(p);
      if (w && w.kind !== 'StatefulSet') this.recreate(p);
      this.note(
        `${p.namespace}/${p.name} on unreachable ${this.nodeRef(node) ?? node} marked for deletion${w?.kind === 'StatefulSet' ? '; the StatefulSet waits for it (stuck Terminating)' : ', a replacement is created'}`,
      );
    }
  }

  /** Whether a node's kubelet answers (for the loopback kubelet servers). */
  kubeletUp(node: string): boolean {
    return !this.kubeletDown.has(node);
  }

  private runStorms(): void {
    for (const s of this.storms) {
      const n = Math.min(s.left, s.perMinute);
      const pods = s.workload ? this.podsOf(s.workload) : [...this.kube.podModels.values()];
      for (let i = 0; i < n && pods.length; i++) {
        const p = pods[i % pods.length];
        this.kube.emitEvent({
          involvedObject: { kind: 'Pod', name: p.name, namespace: p.namespace, uid: p.uid },
          reason: s.reason,
          type: 'Warning',
          message: s.message,
          source: { component: 'kubelet', ...(p.node ? { host: p.node } : {}) },
        });
      }
      s.left -= n;
    }
  }

  /**
   * A container that just started grows to its steady memory over a few minutes (heaps, caches), which
   * is what gives the kubelet's checks time to evict before the kernel has to kill. `t` is the check's time.
   */
  private runWarmUps(t: EpochMs): void {
    const leaking = new Set(this.leaks.map((l) => l.workload));
    for (const p of this.kube.podModels.values()) {
      if (p.phase !== 'Running' || p.startedAt === undefined || leaking.has(this.workloadRefOf(p))) continue;
      for (const c of p.containers) {
        const since = Math.max(c.startedAt, p.startedAt);
        const target = c.spec.usage?.memoryWorkingSetBytes;
        if (c.state !== 'running' || target === undefined || since <= this.start + 10_000 || t - since > WARM_UP_MS) continue;
        const share = WARM_UP_START + (1 - WARM_UP_START) * Math.min(1, Math.max(0, t - since) / WARM_UP_MS);
        const want = Math.floor(target * share);
        if (Math.abs(want - c.usage.memoryWorkingSetBytes) >= MiB) this.kube.setUsage(p, c.spec.name, { memoryWorkingSetBytes: want });
      }
    }
  }

  /** The owning controller replaces a pod that is gone (evicted, deleted): a StatefulSet under the same name. */
  private recreate(p: PodModel): PodModel | undefined {
    const w = this.workloadOfPod(p);
    if (!w || w.kind === 'DaemonSet') return undefined;
    const statefulSet = w.kind === 'StatefulSet';
    if (statefulSet && this.kube.podModels.has(`${p.namespace}/${p.name}`)) this.kube.deletePod(p);
    const pod = this.kube.addPod({
      namespace: p.namespace,
      ...(statefulSet ? { name: p.name } : {}),
      owner: { kind: w.kind, name: w.name },
      containers: p.containers.map((c) => c.spec),
    });
    this.startSmall(pod);
    return pod;
  }

  /** A new pod's containers start at a share of their steady memory (see `runWarmUps`). */
  private startSmall(p: PodModel): void {
    for (const c of p.containers) {
      if (c.spec.usage?.memoryWorkingSetBytes !== undefined)
        this.kube.setUsage(p, c.spec.name, { memoryWorkingSetBytes: Math.floor(c.spec.usage.memoryWorkingSetBytes * WARM_UP_START) });
    }
  }

  private recordCpu(): void {
    const m = this.clock.now() - (this.clock.now() % MINUTE_MS);
    for (const [name, n] of this.kube.nodeModels) {
      const h = this.cpuHistory.get(name) ?? new Map<number, number>();
      h.set(m, Math.min(100, (n.cpu.rate / n.spec.capacity.cpuMilli) * 100));
      this.cpuHistory.set(name, h);
    }
  }

  private cpuAt(node: string, t: EpochMs): number {
    const h = this.cpuHistory.get(node);
    if (!h || h.size === 0) return 0;
    const m = t - (t % MINUTE_MS);
    if (h.has(m)) return h.get(m)!;
    // Before the node's first minute or after it left: the nearest minute recorded.
    let best = 0;
    let bestGap = Number.POSITIVE_INFINITY;
    for (const [k, v] of h) {
      if (Math.abs(k - m) < bestGap) {
        best = v;
        bestGap = Math.abs(k - m);
      }
    }
    return best;
  }

  // -------------------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------------------

  private podsOf(workload: string): PodModel[] {
    const [namespace, name] = split(workload);
    return [...this.kube.podModels.values()].filter((p) => p.namespace === namespace && this.workloadOfPod(p)?.name === name);
  }

  private workloadOfPod(p: PodModel): Workload | undefined {
    // The simulated cluster keys workloads as `Kind/namespace/name`.
    const [kind, namespace, name] = (p.workload ?? '').split('/');
    const w = this.workloads.get(`${namespace}/${name}`);
    return w && w.kind === kind ? w : undefined;
  }

  /** `<namespace>/<name>` of a pod's workload, as scenarios name it. */
  private workloadRefOf(p: PodModel): string {
    const w = this.workloadOfPod(p);
    return w ? `${w.namespace}/${w.name}` : '';
  }

  /** The pods a happening affects: those named (a StatefulSet's), else the first `replicas` by name, else all. */
  private chosenPods(workload: string, pods?: readonly string[], replicas?: number): PodModel[] {
    const all = this.podsOf(workload).sort((a, b) => a.name.localeCompare(b.name));
    if (pods) return all.filter((p) => pods.includes(p.name));
    return all.slice(0, replicas ?? all.length);
  }

  private workloadKind(workload: string): Workload['kind'] {
    return this.workloads.get(workload)!.kind;
  }

  /**
   * Karpenter cannot launch for a Pending pod a NodePool could take when that NodePool is at its limits
   * (here: its size's max): it says so on the pod, every minute it tries.
   */
  private runKarpenterLimits(): void {
    const full = [...this.groups.values()].filter((g) => isKarpenter(g.kind) && this.running(g.name) >= g.size.max).map((g) => g.name);
    if (full.length === 0) return;
    for (const p of this.kube.podModels.values()) {
      const pool = full.find((g) => this.poolMayTake(p, g));
      if (!pool) continue;
      this.kube.emitEvent({
        involvedObject: { kind: 'Pod', name: p.name, namespace: p.namespace, uid: p.uid },
        reason: 'FailedScheduling',
        type: 'Warning',
        message: `Failed to schedule pod, all available instance types exceed limits for nodepool "${pool}"`,
        source: { component: 'karpenter' },
      });
    }
  }

  /** A Pending pod with no node yet that a NodePool's nodes could take (by the workload's node-group affinity). */
  private poolMayTake(p: PodModel, pool: string): boolean {
    if (p.node || p.phase !== 'Pending') return false;
    const allowed = this.workloadOfPod(p)?.nodeAffinity?.nodeGroups;
    return !allowed || allowed.includes(pool);
  }

  private pendingFor(pool: string): PodModel[] {
    return [...this.kube.podModels.values()].filter((p) => this.poolMayTake(p, pool));
  }

  /** The node's NodePool when Karpenter (or EKS Auto Mode) manages it. */
  private karpenterPoolOf(node: string): string | undefined {
    const pool = this.kube.node(node).spec.nodePool;
    return pool && isKarpenter(this.groups.get(pool)?.kind) ? pool : undefined;
  }

  /** Running instances of a node group or NodePool. */
  private running(group: string): number {
    return this.account.hosts(this.cluster).filter((h) => h.nodeGroup === group && h.state === 'running').length;
  }

  /** Karpenter's termination controller: the `karpenter.sh/disrupted:NoSchedule` taint, and its event on the node. */
  private disrupt(node: string, reason: string, type: 'Normal' | 'Warning', message: string): void {
    this.kube.addTaint(node, 'karpenter.sh/disrupted');
    this.kube.emitEvent({
      involvedObject: { kind: 'Node', name: node, uid: node },
      reason,
      type,
      message,
      source: { component: 'karpenter' },
    });
  }
}

function containerSpec(c: Workload['containers'][number]): SimContainerSpec {
  const res = (r?: Workload['containers'][number]['limits']) =>
    r
      ? {
          ...(r.cpu !== undefined ? { cpuMilli: parseCpuMilli(r.cpu) } : {}),
          ...(r.memory !== undefined ? { memoryBytes: parseBytes(r.memory) } : {}),
          ...(r['ephemeral-storage'] !== undefined ? { ephemeralStorageBytes: parseBytes(r['ephemeral-storage']) } : {}),
        }
      : undefined;
  const spec = {
    name: c.name,
    image: c.image,
    ...(c.requests ? { requests: res(c.requests) } : {}),
    ...(c.limits ? { limits: res(c.limits) } : {}),
  };
  // What it wants: the simulated kubelet's CFS quota throttles it at its limit.
  return { ...spec, usage: { cpuMilli: parseCpuMilli(c.usage.cpu), memoryWorkingSetBytes: parseBytes(c.usage.memory) } };
}

/** Where a workload's pods may run, from its nodeSelector, node affinity, tolerations, zonal volumes, anti-affinity and spread. */
function placementOf(w: Workload, groups: ReadonlyMap<string, Group>): SimPlacement {
  const karpenter = (w.nodeAffinity?.nodeGroups ?? []).some((g) => isKarpenter(groups.get(g)?.kind));
  const affinity = [
    ...(w.nodeAffinity?.nodeGroups
      ? [{ key: karpenter ? 'karpenter.sh/nodepool' : 'eks.amazonaws.com/nodegroup', values: w.nodeAffinity.nodeGroups }]
      : []),
    ...(w.nodeAffinity?.capacityType
      ? [
          karpenter
            ? { key: 'karpenter.sh/capacity-type', values: [w.nodeAffinity.capacityType] }
            : { key: 'eks.amazonaws.com/capacityType', values: [w.nodeAffinity.capacityType === 'spot' ? 'SPOT' : 'ON_DEMAND'] },
        ]
      : []),
  ];
  return {
    ...(w.nodeSelector ? { nodeSelector: w.nodeSelector } : {}),
    ...(affinity.length ? { affinity } : {}),
    ...(w.tolerations ? { tolerations: w.tolerations } : {}),
    ...(w.zonalVolume ? { zonalVolume: true } : {}),
    ...(w.antiAffinity ? { antiAffinity: w.antiAffinity.map((t) => ownPods(w, t)) } : {}),
    ...(w.topologySpread ? { spread: w.topologySpread.map((c) => ({ ...ownPods(w, c.topology), maxSkew: c.maxSkew })) } : {}),
  };
}

/** A topology term over the workload's own pods (the label the simulated cluster gives them). */
function ownPods(w: Workload, topology: 'hostname' | 'zone'): SimTopologyTerm {
  return {
    topologyKey: topology === 'hostname' ? 'kubernetes.io/hostname' : 'topology.kubernetes.io/zone',
    matchLabels: { 'app.kubernetes.io/name': w.name },
  };
}

/** Node groups whose nodes Karpenter manages: its own NodePools, and EKS Auto Mode's. */
function isKarpenter(kind: Group['kind'] | undefined): boolean {
  return kind === 'karpenter' || kind === 'auto-mode';
}

/** The Auto Scaling cause of a scale-in happening. */
function scalingCause(cause: 'alarm' | 'scheduled' | 'user', group: string): ScalingCause {
  if (cause === 'alarm') return { kind: 'alarm', alarm: `${group}-cpu-low`, policy: 'scale-in-on-low-cpu' };
  if (cause === 'scheduled') return { kind: 'scheduled', action: `${group}-night` };
  return { kind: 'user' };
}

/** EKS AMI's kube-reserved memory: 255Mi + 11Mi per pod the node may run. */
function eksMemoryReserve(maxPods: number): number {
  return (255 + 11 * maxPods) * MiB;
}

/** EKS AMI's kube-reserved CPU: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% beyond. */
function eksCpuReserve(cpuMilli: number): number {
  const cores = cpuMilli / 1000;
  let r = 60 * Math.min(cores, 1);
  if (cores > 1) r += 10 * Math.min(cores - 1, 1);
  if (cores > 2) r += 5 * Math.min(cores - 2, 2);
  if (cores > 4) r += 2.5 * (cores - 4);
  return Math.round(r);
}

/** Bytes per minute of a rate like `20Mi/m`. */
function perMinute(rate: string): number {
  const [amount, unit] = rate.split('/');
  const bytes = parseBytes(amount);
  return unit === 's' ? bytes * 60 : unit === 'h' ? bytes / 60 : bytes;
}

function split(workload: string): [string, string] {
  const i = workload.indexOf('/');
  return [workload.slice(0, i), workload.slice(i + 1)];
}
