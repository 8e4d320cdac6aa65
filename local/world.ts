/**
 * The simulated world a scenario runs in: an AWS account (EKS, Auto Scaling, EC2, CloudWatch) and the
 * Kubernetes cluster on its instances, kept consistent with each other, plus the behaviour that makes
 * incidents unfold the way they do in production:
 *
 * - instances the Auto Scaling group launches become nodes; terminated ones take their pods with them and
 *   the controllers recreate those pods, which the scheduler places by their requests — never their use;
 * - the kubelet reports MemoryPressure when a node's available memory falls under the eviction threshold
 *   (100Mi) and evicts pods, BestEffort first, then those furthest above their memory request; the evicted
 *   pods are recreated and land elsewhere — the domino effect;
 * - DiskPressure under 10% free; a container reaching its memory limit is OOM-killed and restarts;
 *   crash-looping containers restart with back-off.
 *
 * It advances one simulated minute per `step()`; the scenario's happenings are applied at their time.
 */
import type { EpochMs } from '../model/time';
import { MINUTE_MS, type ManualClock } from '../model/time';
import { formatBytes, parseBytes, parseCpuMilli, parseDuration } from '../model/quantity';
import type { Host } from '../model/domain';
import { SimulatedAccount } from '../sim/aws/account';
import { SimCluster, type PodModel } from '../sim/kube/cluster';
import type { SimContainerSpec, SimNodeSpec } from '../sim/kube/model';
import type { Happening, Scenario } from './scenario/format';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** The kubelet's default hard eviction threshold on EKS: `memory.available<100Mi`. */
export const MEMORY_EVICTION_THRESHOLD = 100 * MiB;
/** `nodefs.available<10%`. */
export const DISK_EVICTION_SHARE = 0.1;
/** The kubelet keeps a pressure condition this long after the signal recovers (`eviction-pressure-transition-period`). */
const PRESSURE_TRANSITION_MS = 5 * MINUTE_MS;
/** CrashLoopBackOff: 10 s doubling to 5 min. */
const CRASH_BACKOFF_MS = [10_000, 20_000, 40_000, 80_000, 160_000, 300_000];

type Group = Scenario['cluster']['nodeGroups'][number];
type Workload = Scenario['cluster']['workloads'][number];

interface Leak {
  readonly workload: string;
  readonly container?: string;
  readonly bytesPerMinute: number;
  readonly replicas?: number;
}

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
  private readonly groups = new Map<string, Group>();
  private readonly workloads = new Map<string, Workload>();
  private readonly pending: Happening[];
  /** instance id → node name, for the nodes present now. */
  private readonly nodeOf = new Map<string, string>();
  /** instance id → node name, for every node that ever joined (scenarios may name nodes that left). */
  private readonly names = new Map<string, string>();
  private readonly leaks: Leak[] = [];
  private readonly crashLoops = new Map<string, { container?: string; exitCode: number }>();
  /** pod key → container → next restart time and back-off step. */
  private readonly crashState = new Map<string, { next: EpochMs; step: number }>();
  private readonly diskFills = new Map<string, number>();
  private readonly flaps: { node: string; period: number; until: EpochMs }[] = [];
  private readonly kubeletDown = new Map<string, EpochMs>();
  private readonly pressureSince = new Map<string, { memory?: EpochMs; disk?: EpochMs }>();
  private readonly storms: { reason: string; message: string; left: number; perMinute: number; workload?: string }[] = [];
  private agentDown?: Window;
  /** Per node, CPU use as a share of capacity each minute: what the host's CloudWatch CPU follows. */
  private readonly cpuHistory = new Map<string, Map<number, number>>();

  constructor(readonly scenario: Scenario, readonly clock: ManualClock) {
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
    this.syncNodes();
    for (const w of scenario.cluster.workloads) {
      this.kube.addWorkload({
        kind: w.kind,
        namespace: w.namespace,
        name: w.name,
        ...(w.replicas !== undefined ? { replicas: w.replicas } : {}),
        ...(w.labels ? { labels: w.labels } : {}),
        containers: w.containers.map(containerSpec),
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
    this.syncNodes();
    this.runLeaks();
    this.runCrashLoops();
    this.runDisks();
    this.runFlaps();
    this.runKubelets();
    this.runStorms();
    this.runMemoryPressure();
    this.kube.reschedulePending();
    this.recordCpu();
  }

  private note(text: string, kind: WorldNote['kind'] = 'reaction'): void {
    this.notes.push({ t: this.clock.now(), text, kind });
  }

  // -------------------------------------------------------------------------------------------------
  // Happenings
  // -------------------------------------------------------------------------------------------------

  private apply(h: Happening): void {
    const now = this.clock.now();
    switch (h.do) {
      case 'scale-in': {
        const terminate = h.node ? this.instanceOf(this.nodeName(h.node)) : undefined;
        this.account.setDesired(this.cluster, h.nodeGroup, h.desired, {
          cause: { kind: 'alarm', alarm: `${h.nodeGroup}-cpu-low`, policy: 'scale-in-on-low-cpu' },
          ...(terminate ? { terminate } : {}),
        });
        this.note(`Auto Scaling group of ${h.nodeGroup} scales in to ${h.desired}${h.node ? ` (terminating ${h.node})` : ''}`, 'happening');
        break;
      }
      case 'scale-out':
        this.account.setDesired(this.cluster, h.nodeGroup, h.desired);
        this.note(`Auto Scaling group of ${h.nodeGroup} scales out to ${h.desired}`, 'happening');
        break;
      case 'node-group-update':
        this.account.updateNodeGroup(this.cluster, h.nodeGroup);
        this.note(`EKS updates node group ${h.nodeGroup}: its nodes are replaced one by one`, 'happening');
        break;
      case 'scaling-failure':
        this.account.failLaunches(this.cluster, h.nodeGroup, h.statusMessage);
        this.account.setDesired(this.cluster, h.nodeGroup, h.desired);
        this.note(`${h.nodeGroup} tries to launch to ${h.desired} and fails: ${h.statusMessage}`, 'happening');
        break;
      case 'replicas':
        this.kube.scaleWorkload(this.workloadKind(h.workload), ...split(h.workload), h.replicas);
        this.note(`${h.workload} scaled to ${h.replicas} replicas`, 'happening');
        break;
      case 'usage':
        for (const p of this.podsOf(h.workload)) {
          for (const c of p.containers) {
            if (h.container && c.spec.name !== h.container) continue;
            this.kube.setUsage(p, c.spec.name, {
              ...(h.cpu !== undefined ? { cpuMilli: parseCpuMilli(h.cpu) } : {}),
              ...(h.memory !== undefined ? { memoryWorkingSetBytes: parseBytes(h.memory) } : {}),
            });
          }
        }
        this.note(`${h.workload} usage changes`, 'happening');
        break;
      case 'memory-leak':
        this.leaks.push({ workload: h.workload, container: h.container, bytesPerMinute: perMinute(h.rate), replicas: h.replicas });
        this.note(`${h.workload} starts leaking memory (${h.rate})`, 'happening');
        break;
      case 'crash-loop':
        this.crashLoops.set(h.workload, { container: h.container, exitCode: h.exitCode });
        this.note(`${h.workload} starts crash-looping`, 'happening');
        break;
      case 'bad-image': {
        const [namespace, name] = split(h.workload);
        const w = this.workloads.get(h.workload)!;
        // A rolling update stalls on its first new pod (maxSurge 25 %): the old pods keep serving.
        const surge = Math.max(1, Math.ceil((w.replicas ?? 1) * 0.25));
        for (let i = 0; i < surge; i++) {
          const pod = this.kube.addPod({ namespace, owner: { kind: w.kind, name }, containers: w.containers.map((c) => ({ ...containerSpec(c), image: h.image })) });
          for (const c of pod.containers) {
            if (h.reason === 'CreateContainerConfigError') this.kube.failContainer(pod, c.spec.name, 'CreateContainerConfigError', 'secret "db-credentials" not found');
            else this.kube.failImagePull(pod, c.spec.name);
          }
        }
        this.note(`${h.workload} rolls out ${h.image}, which cannot start (${h.reason})`, 'happening');
        break;
      }
      case 'disk-fill':
        this.diskFills.set(this.nodeName(h.node), perMinute(h.rate));
        this.note(`${h.node}'s disk starts filling (${h.rate})`, 'happening');
        break;
      case 'node-condition':
        this.kube.setNodeCondition(this.nodeName(h.node), h.condition, h.status, { ...(h.reason ? { reason: h.reason } : {}), ...(h.message ? { message: h.message } : {}) });
        this.note(`${h.node}: ${h.condition} is ${h.status}`, 'happening');
        break;
      case 'node-flap':
        this.flaps.push({ node: this.nodeName(h.node), period: parseDuration(h.period), until: now + parseDuration(h.for) });
        this.note(`${h.node} starts flapping between Ready and NotReady`, 'happening');
        break;
      case 'kubelet-down':
        this.kubeletDown.set(this.nodeName(h.node), h.for ? now + parseDuration(h.for) : Number.POSITIVE_INFINITY);
        this.note(`${h.node}'s kubelet stops reporting`, 'happening');
        break;
      case 'status-check-failed':
        this.account.failStatusCheck(this.instanceOf(this.nodeName(h.node)), 'instance', h.for ? parseDuration(h.for) : Number.POSITIVE_INFINITY);
        this.note(`${h.node}'s instance fails its EC2 status check`, 'happening');
        break;
      case 'cordon':
        this.kube.cordon(this.nodeName(h.node));
        this.note(`${h.node} is cordoned`, 'happening');
        break;
      case 'agent-outage':
        this.agentDown = { from: now, to: now + parseDuration(h.for) };
        this.note(`the agent stops pushing for ${h.for}`, 'happening');
        break;
      case 'cloudwatch-delay':
        this.account.delayCloudWatch(parseDuration(h.for), parseDuration(h.delay));
        this.note(`CloudWatch data arrives ${h.delay} late for ${h.for}`, 'happening');
        break;
      case 'event-storm': {
        const minutes = Math.max(1, Math.round(parseDuration(h.over) / MINUTE_MS));
        this.storms.push({ reason: h.reason, message: h.message ?? `${h.reason}: simulated storm`, left: h.count, perMinute: Math.ceil(h.count / minutes), workload: h.workload });
        this.note(`an event storm starts: ${h.count} × ${h.reason} over ${h.over}`, 'happening');
        break;
      }
      case 'cluster-status':
        this.account.setClusterStatus(this.cluster, h.status);
        this.note(`EKS cluster status: ${h.status}`, 'happening');
        break;
      case 'nodegroup-health':
        this.account.setNodeGroupHealth(this.cluster, h.nodeGroup, [{ code: h.code, message: h.message }]);
        this.note(`EKS reports ${h.code} on ${h.nodeGroup}`, 'happening');
        break;
    }
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
      if (!serving) continue;
      live.add(h.instanceId);
      if (!this.nodeOf.has(h.instanceId)) this.join(h);
    }
    for (const [instanceId, node] of this.nodeOf) {
      if (live.has(instanceId)) continue;
      this.nodeOf.delete(instanceId);
      const replaced = this.kube.removeNode(node, { reschedule: true });
      this.note(`node ${node} left with its instance; ${replaced.length} pods recreated, ${replaced.filter((p) => !p.node).length} of them Pending`);
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
    const spec: SimNodeSpec = {
      name,
      instanceId: h.instanceId,
      zone: h.zone,
      instanceType: h.instanceType,
      ...(g.kind === 'karpenter' ? { nodePool: g.name } : { nodeGroup: g.name }),
      capacityType: g.capacityType,
      capacity: { cpuMilli: cpu, memoryBytes: memory, ephemeralStorageBytes: disk, pods: n.pods },
      allocatable: {
        cpuMilli: n.allocatableCpu ? parseCpuMilli(n.allocatableCpu) : cpu - eksCpuReserve(cpu),
        memoryBytes: n.allocatableMemory ? parseBytes(n.allocatableMemory) : memory - eksMemoryReserve(n.pods) - MEMORY_EVICTION_THRESHOLD,
        ephemeralStorageBytes: Math.floor(disk * 0.9),
        pods: n.pods,
      },
      createdAt: Math.max(h.launchTime, this.clock.now() - 30 * 86_400_000),
      disk: { capacityBytes: disk, usedBytes: n.system?.disk ? parseBytes(n.system.disk) : 12 * GiB, inodes: Math.floor(disk / 2048), inodesUsed: 400_000 },
      systemMemoryBytes: n.system?.memory ? parseBytes(n.system.memory) : 600 * MiB,
      systemCpuMilli: n.system?.cpu ? parseCpuMilli(n.system.cpu) : 100,
    };
    this.kube.addNode(spec);
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

  private runLeaks(): void {
    for (const leak of this.leaks) {
      const pods = this.podsOf(leak.workload).filter((p) => p.phase === 'Running').sort((a, b) => a.name.localeCompare(b.name));
      for (const p of pods.slice(0, leak.replicas ?? pods.length)) {
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
    for (const [workload, how] of this.crashLoops) {
      for (const p of this.podsOf(workload)) {
        if (p.phase === 'Failed' || p.phase === 'Succeeded' || !p.node) continue;
        for (const c of p.containers) {
          if (how.container && c.spec.name !== how.container) continue;
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

  private runDisks(): void {
    const now = this.clock.now();
    for (const name of this.kube.nodeModels.keys()) {
      const n = this.kube.node(name);
      const rate = this.diskFills.get(name);
      if (rate) this.kube.setNodeStats(name, { disk: { usedBytes: Math.min(n.disk.capacityBytes, n.disk.usedBytes + rate) } });
      const free = (n.disk.capacityBytes - n.disk.usedBytes) / n.disk.capacityBytes;
      const state = this.pressureSince.get(name) ?? {};
      if (free < DISK_EVICTION_SHARE) {
        if (state.disk === undefined) {
          this.kube.setNodeCondition(name, 'DiskPressure', 'True');
          this.addTaint(name, 'node.kubernetes.io/disk-pressure');
          this.note(`${this.nodeRef(name) ?? name} reports DiskPressure (${Math.round(free * 100)}% free)`);
        }
        state.disk = now;
      } else if (state.disk !== undefined && now - state.disk >= PRESSURE_TRANSITION_MS) {
        state.disk = undefined;
        this.kube.setNodeCondition(name, 'DiskPressure', 'False');
        this.removeTaint(name, 'node.kubernetes.io/disk-pressure');
      }
      this.pressureSince.set(name, state);
    }
  }

  private runFlaps(): void {
    const now = this.clock.now();
    for (const f of this.flaps) {
      if (!this.kube.nodeModels.has(f.node)) continue;
      const ready = now >= f.until || Math.floor((now - this.start) / f.period) % 2 === 0;
      this.kube.setNodeCondition(f.node, 'Ready', ready ? 'True' : 'False', ready ? {} : { reason: 'KubeletNotReady', message: 'PLEG is not healthy: pleg was last seen active 3m5s ago' });
    }
  }

  private runKubelets(): void {
    const now = this.clock.now();
    for (const [node, until] of this.kubeletDown) {
      if (!this.kube.nodeModels.has(node)) {
        this.kubeletDown.delete(node);
        continue;
      }
      const down = now < until;
      this.kube.setNodeCondition(node, 'Ready', down ? 'Unknown' : 'True', down ? { reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : {});
      if (down) this.addTaint(node, 'node.kubernetes.io/unreachable');
      else {
        this.removeTaint(node, 'node.kubernetes.io/unreachable');
        this.kubeletDown.delete(node);
      }
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
        this.kube.emitEvent({ involvedObject: { kind: 'Pod', name: p.name, namespace: p.namespace, uid: p.uid }, reason: s.reason, type: 'Warning', message: s.message, source: { component: 'kubelet', ...(p.node ? { host: p.node } : {}) } });
      }
      s.left -= n;
    }
  }

  /** The kubelet's memory eviction, node by node, and the controllers recreating what it evicted. */
  private runMemoryPressure(): void {
    const now = this.clock.now();
    for (const name of [...this.kube.nodeModels.keys()]) {
      const n = this.kube.node(name);
      const pods = this.kube.podsOn(name).filter((p) => p.phase !== 'Failed' && p.phase !== 'Succeeded');
      const used = () => n.systemMemoryBytes + sum(this.kube.podsOn(name).filter((p) => p.phase !== 'Failed' && p.phase !== 'Succeeded').flatMap((p) => p.containers.map((c) => c.usage.memoryWorkingSetBytes)));
      const available = () => n.spec.capacity.memoryBytes - used();
      const state = this.pressureSince.get(name) ?? {};
      this.runKernelOom(name, available);
      if (available() < MEMORY_EVICTION_THRESHOLD) {
        if (state.memory === undefined) {
          this.kube.setNodeCondition(name, 'MemoryPressure', 'True', { reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' });
          this.addTaint(name, 'node.kubernetes.io/memory-pressure');
          this.note(`${this.nodeRef(name) ?? name} reports MemoryPressure (${formatBytes(available())} available)`);
        }
        state.memory = now;
        // Evict until the threshold plus a margin is free: BestEffort first, then by use above request.
        const victims = pods
          .filter((p) => !p.owner || p.owner.kind !== 'DaemonSet')
          .map((p) => ({ p, bestEffort: p.containers.every((c) => !c.spec.requests?.memoryBytes), over: sum(p.containers.map((c) => c.usage.memoryWorkingSetBytes - (c.spec.requests?.memoryBytes ?? 0))) }))
          .sort((a, b) => Number(b.bestEffort) - Number(a.bestEffort) || b.over - a.over);
        const evicted: string[] = [];
        const stranded: PodModel[] = [];
        for (const v of victims) {
          if (available() >= MEMORY_EVICTION_THRESHOLD + 256 * MiB) break;
          const top = v.p.containers.reduce((a, c) => (c.usage.memoryWorkingSetBytes > a.usage.memoryWorkingSetBytes ? c : a));
          const avail = available();
          this.kube.setPodPhase(v.p, 'Failed', {
            reason: 'Evicted',
            message: `The node was low on resource: memory. Threshold quantity: 100Mi, available: ${Math.max(0, Math.round(avail / 1024))}Ki. Container ${top.spec.name} was using ${Math.round(top.usage.memoryWorkingSetBytes / 1024)}Ki, request is ${top.spec.requests?.memoryBytes ? formatBytes(top.spec.requests.memoryBytes) : '0'}, has larger consumption of memory.`,
          });
          evicted.push(`${v.p.namespace}/${v.p.name}`);
          const replacement = this.recreate(v.p);
          if (replacement && !replacement.node) stranded.push(replacement);
        }
        if (evicted.length) {
          this.note(`${this.nodeRef(name) ?? name} evicts ${evicted.join(', ')}${stranded.length ? `; ${stranded.length} replacement(s) Pending: ${stranded[0].unschedulable?.message ?? ''}` : ''}`);
        }
      } else if (state.memory !== undefined && now - state.memory >= PRESSURE_TRANSITION_MS) {
        state.memory = undefined;
        this.kube.setNodeCondition(name, 'MemoryPressure', 'False');
        this.removeTaint(name, 'node.kubernetes.io/memory-pressure');
      }
      this.pressureSince.set(name, state);
    }
  }

  /**
   * Memory the kubelet did not reclaim in time: the kernel OOM-kills the largest container (a SystemOOM),
   * and a node far beyond its memory stops responding — its kubelet is starved — for a few minutes.
   */
  private runKernelOom(node: string, available: () => number): void {
    const now = this.clock.now();
    if (available() >= 0) return;
    const running = this.kube.podsOn(node).filter((p) => p.phase === 'Running').flatMap((p) => p.containers.filter((c) => c.state === 'running').map((c) => ({ p, c })));
    const biggest = running.sort((a, b) => b.c.usage.memoryWorkingSetBytes - a.c.usage.memoryWorkingSetBytes)[0];
    if (biggest) {
      this.kube.oomKill(biggest.p, biggest.c.spec.name);
      this.kube.emitEvent({ involvedObject: { kind: 'Node', name: node, uid: node }, reason: 'SystemOOM', type: 'Warning', message: `System OOM encountered, victim process: ${biggest.c.spec.name}`, source: { component: 'kubelet', host: node } });
    }
    if (available() < -512 * MiB && !this.kubeletDown.has(node)) {
      this.kubeletDown.set(node, now + 3 * MINUTE_MS);
      this.note(`${this.nodeRef(node) ?? node} runs out of memory and stops responding`);
    }
  }

  /** The owning controller replaces an evicted pod with a new one, carrying the same use. */
  private recreate(p: PodModel): PodModel | undefined {
    const w = this.workloadOfPod(p);
    if (!w || w.kind === 'DaemonSet') return undefined;
    return this.kube.addPod({
      namespace: p.namespace,
      owner: { kind: w.kind, name: w.name },
      containers: p.containers.map((c) => ({ ...c.spec, usage: { ...c.spec.usage, memoryWorkingSetBytes: c.spec.usage?.memoryWorkingSetBytes } })),
    });
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

  private workloadKind(workload: string): Workload['kind'] {
    return this.workloads.get(workload)!.kind;
  }

  private addTaint(node: string, key: string): void {
    const n = this.kube.node(node);
    if (n.taints.some((t) => t.key === key)) return;
    this.kube.setTaints(node, [...n.taints, { key, effect: 'NoSchedule' }]);
  }

  private removeTaint(node: string, key: string): void {
    const n = this.kube.node(node);
    if (!n.taints.some((t) => t.key === key)) return;
    this.kube.setTaints(node, n.taints.filter((t) => t.key !== key));
  }
}

function containerSpec(c: Workload['containers'][number]): SimContainerSpec {
  const res = (r?: { cpu?: string; memory?: string }) =>
    r ? { ...(r.cpu !== undefined ? { cpuMilli: parseCpuMilli(r.cpu) } : {}), ...(r.memory !== undefined ? { memoryBytes: parseBytes(r.memory) } : {}) } : undefined;
  return {
    name: c.name,
    image: c.image,
    ...(c.requests ? { requests: res(c.requests) } : {}),
    ...(c.limits ? { limits: res(c.limits) } : {}),
    usage: { cpuMilli: parseCpuMilli(c.usage.cpu), memoryWorkingSetBytes: parseBytes(c.usage.memory) },
  };
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

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
