/**
 * A simulated EKS cluster: nodes, workloads, pods and events as the Kubernetes API would hold them, with
 * resourceVersions and a change history for watches, plus each node's machine figures and each
 * container's usage for the kubelet summaries. Everything that changes it is a method (a scenario step);
 * every change bumps the resourceVersion and is heard by open watches. Time comes from an injected clock,
 * so local mode can run it accelerated; randomness from a seed, so runs repeat.
 *
 * This class is the facade: the objects and their watch history are kept by `store.ts`, the models behind
 * them are `state.ts`, rendering them into Kubernetes objects is `render.ts`, placing pods `scheduler.ts`.
 * The loopback servers that serve it are `api-server.ts` and `kubelets.ts`.
 */
import { EventEmitter } from 'events';
import { rng } from '../synthetic';
import type { Clock, EpochMs } from '../../model/time';
import { CpuCounter } from './counter';
import type {
  PodRef,
  SimContainerSpec,
  SimDisk,
  SimEventSpec,
  SimNodeSpec,
  SimOwner,
  SimPodSpec,
  SimTaint,
  SimUsage,
  SimWorkloadKind,
  SimWorkloadSpec,
} from './model';
import {
  allocatable,
  claimOf,
  iso,
  nodeLabels,
  renderEvent,
  renderNode,
  renderPod,
  renderReplicaSet,
  renderWorkload,
  type RenderContext,
} from './render';
import { schedule, type SchedulingView } from './scheduler';
import type { ContainerModel, EventModel, NodeModel, PodModel, WorkloadModel } from './state';
import { ObjectStore, type Change, type Json, type KarpenterResource, type Resource } from './store';

export { RESOURCES, type Change, type Json, type KarpenterResource, type Resource } from './store';
export { configHashOf, podReady, qosOf, type ContainerModel, type NodeModel, type PodModel } from './state';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export interface SimClusterOptions {
  readonly clock: Clock;
  /** @default 1 */
  readonly seed?: number;
  /** Changes kept for watches to resume from; older resourceVersions get 410 Gone. @default 10000 */
  readonly historySize?: number;
  /** @default eu-west-1 */
  readonly region?: string;
}

export class SimNotFoundError extends Error {
  override readonly name = 'SimNotFoundError';
}

const ALPHANUM = 'bcdfghjklmnpqrstvwxz2456789';

export class SimCluster extends EventEmitter {
  readonly clock: Clock;
  readonly region: string;
  private readonly store: ObjectStore;
  /** What rendering (`render.ts`) and the scheduler (`scheduler.ts`) read of the cluster. */
  private readonly view: RenderContext & SchedulingView;
  private readonly rand: () => number;
  readonly nodeModels = new Map<string, NodeModel>();
  readonly podModels = new Map<string, PodModel>();
  /** Pods by workload key: rendering a workload's status would otherwise scan every pod (quadratic at 30,000). */
  private readonly podsByWorkload = new Map<string, Set<PodModel>>();
  private readonly workloads = new Map<string, WorkloadModel>();
  private readonly events = new Map<string, EventModel>();
  /** DaemonSets put a pod on every node added later, as their controller does. */
  daemonSetsFollowNodes = true;
  /** Karpenter's CRDs are installed: the API server serves `karpenter.sh/v1` (see `sim/kube/karpenter.ts`). */
  servesKarpenter = false;

  constructor(opts: SimClusterOptions) {
    super();
    this.setMaxListeners(0);
    this.clock = opts.clock;
    this.rand = rng(opts.seed ?? 1);
    this.store = new ObjectStore(opts.historySize ?? 10_000, (c) => this.emit('change', c));
    this.region = opts.region ?? 'eu-west-1';
    this.view = {
      clock: this.clock,
      region: this.region,
      nodeModels: this.nodeModels,
      podModels: this.podModels,
      podsOf: (w) => [...(this.podsByWorkload.get(this.workloadKey(w)) ?? [])],
      podsOn: (node) => this.podsOn(node),
      isUpdated: (p) => this.isUpdated(p),
      nodeLabels: (n) => this.nodeLabels(n),
      volumeZone: (p) => this.volumeZones.get(`${p.namespace}/${claimOf(p)}`),
    };
  }

  // -------------------------------------------------------------------------------------------------
  // What the servers read
  // -------------------------------------------------------------------------------------------------

  get resourceVersion(): number {
    return this.store.resourceVersion;
  }

  list(resource: Resource): Json[] {
    return this.store.list(resource);
  }

  get(resource: Resource, key: string): Json | undefined {
    return this.store.get(resource, key);
  }

  /** Changes to `resource` after `rv`, or `gone` when they are no longer kept (410). */
  changesSince(resource: Resource, rv: number): Change[] | 'gone' {
    return this.store.changesSince(resource, rv);
  }

  /** Forgets the change history, as etcd compaction does: resuming watches get 410 Gone. */
  compact(): void {
    this.store.compact();
  }

  node(name: string): NodeModel {
    const n = this.nodeModels.get(name);
    if (!n) throw new SimNotFoundError(`no node ${name}`);
    return n;
  }

  pod(ref: PodRef): PodModel {
    const p = this.podModels.get(`${ref.namespace}/${ref.name}`);
    if (!p) throw new SimNotFoundError(`no pod ${ref.namespace}/${ref.name}`);
    return p;
  }

  podsOn(node: string): PodModel[] {
    return [...this.podModels.values()].filter((p) => p.node === node);
  }

  /** A node's labels, as the kubelet and EKS set them, plus its own. */
  nodeLabels(n: NodeModel): Record<string, string> {
    return nodeLabels(n, this.region);
  }

  allocatable(n: NodeModel): { cpuMilli: number; memoryBytes: number; ephemeralStorageBytes: number; pods: number } {
    return allocatable(n);
  }

  // -------------------------------------------------------------------------------------------------
  // Nodes
  // -------------------------------------------------------------------------------------------------

  addNode(spec: SimNodeSpec): NodeModel {
    if (this.nodeModels.has(spec.name)) throw new Error(`node ${spec.name} exists`);
    const now = this.clock.now();
    const createdAt = spec.createdAt ?? now;
    const disk = spec.disk ?? { capacityBytes: 80 * GiB, usedBytes: 16 * GiB, inodes: 41_943_040, inodesUsed: 400_000 };
    const model: NodeModel = {
      spec,
      uid: this.uuid(),
      createdAt,
      bootedAt: createdAt - 20_000,
      conditions: new Map(
        (
          [
            ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
            ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
            ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
            ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
          ] as const
        ).map(([type, status, reason, message]) => [type, { status, reason, message, since: createdAt + (type === 'Ready' ? 20_000 : 0) }]),
      ),
      unschedulable: spec.unschedulable ?? false,
      taints: [...(spec.taints ?? [])],
      kubeletPort: 10250,
      disk,
      imageDisk: spec.imageDisk ?? disk,
      maxPid: spec.maxPid ?? 4_194_304,
      systemMemoryBytes: spec.systemMemoryBytes ?? 600 * MiB,
      systemCpuMilli: spec.systemCpuMilli ?? 120,
      cpu: new CpuCounter(now, spec.systemCpuMilli ?? 120, createdAt - 20_000),
    };
    this.nodeModels.set(spec.name, model);
    this.write('nodes', spec.name, renderNode(this.view, model), 'ADDED');
    if (this.daemonSetsFollowNodes) {
      for (const w of this.workloads.values()) {
        if (w.kind === 'DaemonSet' && !w.implicit)
          this.addPod({
            namespace: w.namespace,
            owner: { kind: 'DaemonSet', name: w.name },
            node: spec.name,
            containers: w.containers,
            hostNetwork: w.hostNetwork,
          });
      }
    }
    return model;
  }

  /**
   * Deletes a node, as when its instance is terminated. Its pods are deleted; with `reschedule`, those of
   * Deployments, StatefulSets and Jobs come back as new pods that the scheduler places where they fit,
   * or leaves Pending (the domino effect).
   */
  removeNode(name: string, opts: { reschedule?: boolean } = {}): PodModel[] {
    this.node(name);
    const pods = this.podsOn(name);
    for (const p of pods) this.deletePod(p);
    this.nodeModels.delete(name);
    this.remove('nodes', name);
    const replacements: PodModel[] = [];
    if (opts.reschedule) {
      for (const p of pods) {
        const w = p.workload ? this.workloads.get(p.workload) : undefined;
        if (!w || w.kind === 'DaemonSet') continue;
        replacements.push(
          this.addPod({
            namespace: p.namespace,
            ...(w.kind === 'StatefulSet' ? { name: p.name } : {}),
            owner: { kind: w.kind, name: w.name },
            containers: p.containers.map((c) => ({ ...c.spec, usage: { ...c.usage, cpuMilli: c.cpu.rate } })),
            hostNetwork: p.hostNetwork,
          }),
        );
      }
    }
    for (const w of this.workloads.values()) this.refreshWorkload(w);
    return replacements;
  }

  cordon(name: string, unschedulable = true): void {
    const n = this.node(name);
    if (n.unschedulable === unschedulable) return;
    n.unschedulable = unschedulable;
    const cordonTaint = 'node.kubernetes.io/unschedulable';
    n.taints = unschedulable
      ? [...n.taints.filter((t) => t.key !== cordonTaint), { key: cordonTaint, effect: 'NoSchedule' }]
      : n.taints.filter((t) => t.key !== cordonTaint);
    this.touchNode(n);
    this.emitEvent({
      involvedObject: { kind: 'Node', name, uid: name },
      reason: unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable',
      type: 'Normal',
      message: `Node ${name} status is now: ${unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable'}`,
      source: { component: 'kubelet', host: name },
    });
  }

  setTaints(name: string, taints: readonly SimTaint[]): void {
    const n = this.node(name);
    n.taints = [...taints];
    this.touchNode(n);
  }

  /** Adds a taint to a node unless it has it (`kubectl taint`, or a controller's). */
  addTaint(node: string, key: string, effect: 'NoSchedule' | 'NoExecute' = 'NoSchedule'): void {
    const n = this.node(node);
    if (n.taints.some((t) => t.key === key && t.effect === effect)) return;
    this.setTaints(node, [...n.taints, { key, effect }]);
  }

  /** Removes a node's taints of `key`, if any. */
  removeTaint(node: string, key: string): void {
    const n = this.node(node);
    if (!n.taints.some((t) => t.key === key)) return;
    this.setTaints(
      node,
      n.taints.filter((t) => t.key !== key),
    );
  }

  /**
   * Sets a node condition (Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable, or any
   * node-problem-detector type), with the Normal event the kubelet or node controller records for it.
   */
  setNodeCondition(
    name: string,
    type: string,
    status: 'True' | 'False' | 'Unknown',
    opts: { reason?: string; message?: string } = {},
  ): void {
    const n = this.node(name);
    const prev = n.conditions.get(type);
    const reason = opts.reason ?? defaultConditionReason(type, status);
    const message = opts.message ?? `${type} is ${status}`;
    const since = prev && prev.status === status ? prev.since : this.clock.now();
    n.conditions.set(type, { status, reason, message, since });
    this.touchNode(n);
    if (prev?.status === status) return;
    const event = conditionEvent(type, status);
    if (event)
      this.emitEvent({
        involvedObject: { kind: 'Node', name, uid: name },
        reason: event,
        type: 'Normal',
        message: `Node ${name} status is now: ${event}`,
        source: { component: type === 'Ready' && status !== 'True' ? 'node-controller' : 'kubelet', host: name },
      });
  }

  /** Machine figures: disk use (disk filling), process count ceiling, what the system itself uses. */
  setNodeStats(
    name: string,
    s: { disk?: Partial<SimDisk>; imageDisk?: Partial<SimDisk>; maxPid?: number; systemMemoryBytes?: number; systemCpuMilli?: number },
  ): void {
    const n = this.node(name);
    const sameDisk = n.imageDisk === n.disk;
    if (s.disk) n.disk = { ...n.disk, ...s.disk };
    if (s.imageDisk) n.imageDisk = { ...n.imageDisk, ...s.imageDisk };
    else if (sameDisk) n.imageDisk = n.disk;
    if (s.maxPid !== undefined) n.maxPid = s.maxPid;
    if (s.systemMemoryBytes !== undefined) n.systemMemoryBytes = s.systemMemoryBytes;
    if (s.systemCpuMilli !== undefined) n.systemCpuMilli = s.systemCpuMilli;
    this.refreshNodeCpu(name);
  }

  /**
   * Capture replay: serves objects captured from a real cluster (`kubectl get -o yaml` items) as they are,
   * with no model behind them: nothing changes them but their kubelet's address (`setKubeletPort`).
   */
  replay(resource: Resource, objects: readonly Json[]): void {
    for (const o of objects) {
      const m = o.metadata as { name: string; namespace?: string };
      this.write(resource, m.namespace ? `${m.namespace}/${m.name}` : m.name, structuredClone(o), 'ADDED');
    }
  }

  /** Creates or relabels a namespace (labels such as `team`, which routes match). */
  setNamespace(name: string, labels: Readonly<Record<string, string>> = {}): void {
    const old = this.get('namespaces', name);
    const metadata = {
      ...((old?.metadata as Json | undefined) ?? { name, uid: `ns-${name}`, creationTimestamp: new Date(this.clock.now()).toISOString() }),
      labels: { 'kubernetes.io/metadata.name': name, ...labels },
    };
    this.write(
      'namespaces',
      name,
      { apiVersion: 'v1', kind: 'Namespace', metadata, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
      old ? 'MODIFIED' : 'ADDED',
    );
  }

  /** Where the node's (loopback) kubelet listens; set by `kubelets.ts`. */
  setKubeletPort(name: string, port: number): void {
    const replayed = this.nodeModels.has(name) ? undefined : this.get('nodes', name);
    if (replayed) {
      // A captured node: its kubelet is now this loopback one.
      const status = structuredClone(replayed.status) as {
        addresses?: { type: string; address: string }[];
        daemonEndpoints?: { kubeletEndpoint?: { Port: number } };
      };
      status.addresses = (status.addresses ?? []).map((a) => (a.type === 'InternalIP' ? { ...a, address: '127.0.0.1' } : a));
      status.daemonEndpoints = { kubeletEndpoint: { Port: port } };
      this.write('nodes', name, { ...replayed, status }, 'MODIFIED');
      return;
    }
    const n = this.node(name);
    n.kubeletPort = port;
    this.touchNode(n);
  }

  // -------------------------------------------------------------------------------------------------
  // Workloads and pods
  // -------------------------------------------------------------------------------------------------

  /** Adds a workload and, unless `createPods` is false, its pods (one per node for a DaemonSet). */
  addWorkload(spec: SimWorkloadSpec, opts: { createPods?: boolean } = {}): void {
    const w = this.ensureWorkload(spec.kind, spec.namespace, spec.name, spec, false);
    if (opts.createPods === false) return;
    const targets =
      spec.kind === 'DaemonSet' ? [...this.nodeModels.keys()].map((node) => ({ node })) : Array.from({ length: w.replicas }, () => ({}));
    for (const t of targets)
      this.addPod({
        namespace: spec.namespace,
        owner: { kind: spec.kind, name: spec.name },
        containers: spec.containers,
        hostNetwork: spec.hostNetwork,
        ...t,
      });
  }

  /**
   * Scales a Deployment or StatefulSet to `replicas`, as its controller does: new pods are scheduled (or
   * left Pending), the newest pods go first when scaling down.
   */
  scaleWorkload(kind: SimWorkloadKind, namespace: string, name: string, replicas: number): void {
    const w = this.workloads.get(this.workloadKey({ kind, namespace, name }));
    if (!w || w.kind === 'DaemonSet') throw new SimNotFoundError(`no ${kind} ${namespace}/${name} to scale`);
    const pods = [...this.podModels.values()]
      .filter((p) => p.workload === this.workloadKey(w) && p.phase !== 'Failed' && p.phase !== 'Succeeded')
      .sort((a, b) => a.createdAt - b.createdAt);
    w.replicas = replicas;
    for (let i = pods.length; i < replicas; i++)
      this.addPod({ namespace, owner: { kind, name }, containers: w.containers, hostNetwork: w.hostNetwork });
    for (const p of pods.slice(replicas).reverse()) this.deletePod(p);
    this.refreshWorkload(w);
  }

  /** Adds a pod, bound to `spec.node` or placed by the simulated scheduler (Pending when nothing fits). */
  addPod(spec: SimPodSpec): PodModel {
    const now = this.clock.now();
    const createdAt = spec.createdAt ?? now;
    const w =
      spec.owner && spec.owner.kind !== 'Node' && spec.owner.kind !== 'CronJob'
        ? this.ensureWorkload(
            spec.owner.kind,
            spec.namespace,
            spec.owner.name,
            { containers: spec.containers, hostNetwork: spec.hostNetwork },
            true,
            spec.labels?.[spec.owner.kind === 'Deployment' ? 'pod-template-hash' : 'controller-revision-hash'],
          )
        : undefined;
    if (spec.node && !this.nodeModels.has(spec.node))
      throw new SimNotFoundError(`no node ${spec.node} to bind pod ${spec.namespace}/${spec.name ?? ''} to`);
    if (w?.implicit && w.kind !== 'DaemonSet') w.replicas++;
    const name = spec.name ?? this.podName(w, spec);
    if (this.podModels.has(`${spec.namespace}/${name}`)) throw new Error(`pod ${spec.namespace}/${name} exists`);
    const labels: Record<string, string> = { ...(w ? this.podLabels(w, name) : {}), ...spec.labels };
    const owner = this.ownerRef(w, spec.owner, spec.node);
    const pod: PodModel = {
      uid: spec.uid ?? this.uuid(),
      namespace: spec.namespace,
      name,
      labels,
      hostNetwork: spec.hostNetwork ?? false,
      createdAt,
      phase: 'Pending',
      containers: spec.containers.map((c) => this.containerModel(c, spec.startedAt ?? createdAt + 3000)),
      restartPolicy: w?.kind === 'Job' ? 'Never' : 'Always',
      placement: spec.placement ?? w?.placement ?? {},
      ...(owner ? { owner } : {}),
      ...(w ? { workload: this.workloadKey(w) } : {}),
    };
    this.podModels.set(`${pod.namespace}/${pod.name}`, pod);
    if (pod.workload) this.podsByWorkload.set(pod.workload, (this.podsByWorkload.get(pod.workload) ?? new Set()).add(pod));
    const node = spec.node ?? schedule(this.view, pod);
    if (node) this.bind(pod, node, spec.startedAt ?? createdAt + 2000);
    this.write('pods', `${pod.namespace}/${pod.name}`, renderPod(this.view, pod), 'ADDED');
    if (!node)
      this.emitEvent({
        involvedObject: { kind: 'Pod', name: pod.name, namespace: pod.namespace, uid: pod.uid },
        reason: 'FailedScheduling',
        type: 'Warning',
        message: pod.unschedulable?.message ?? '',
        source: { component: 'default-scheduler' },
      });
    if (w) this.refreshWorkload(w);
    return pod;
  }

  deletePod(ref: PodRef): void {
    const p = this.pod(ref);
    this.podModels.delete(`${p.namespace}/${p.name}`);
    if (p.workload) this.podsByWorkload.get(p.workload)?.delete(p);
    this.remove('pods', `${p.namespace}/${p.name}`);
    if (p.node) this.refreshNodeCpu(p.node);
    const w = p.workload ? this.workloads.get(p.workload) : undefined;
    if (w) {
      if (w.implicit && w.kind !== 'DaemonSet') w.replicas = Math.max(0, w.replicas - 1);
      this.refreshWorkload(w);
    }
  }

  /**
   * Marks a pod for deletion (the taint manager evicting it from an unreachable node): it shows as
   * Terminating until its kubelet confirms, and its controller counts it gone; a StatefulSet does not
   * recreate a pod whose name is still taken.
   */
  markForDeletion(ref: PodRef): void {
    const p = this.pod(ref);
    if (p.deletingSince !== undefined) return;
    p.deletingSince = this.clock.now();
    this.touchPod(p);
  }

  /** The node controller's view of the pods of a node that stopped reporting: not ready (or ready again). */
  setNodeLost(node: string, lost: boolean): void {
    for (const p of this.podsOn(node)) {
      if ((p.nodeLost ?? false) === lost) continue;
      p.nodeLost = lost;
      this.touchPod(p);
    }
  }

  /** Tries again to place every Pending, unscheduled pod (after capacity was added or freed). */
  reschedulePending(): number {
    let placed = 0;
    for (const p of this.podModels.values()) {
      if (p.node || !p.unschedulable) continue;
      const node = schedule(this.view, p);
      if (!node) {
        this.touchPod(p);
        continue;
      }
      this.bind(p, node, this.clock.now() + 2000);
      this.touchPod(p);
      placed++;
    }
    return placed;
  }

  /** Sets a container's usage from now on; CPU keeps integrating into its cumulative counter. */
  setUsage(ref: PodRef, container: string, usage: SimUsage): void {
    const p = this.pod(ref);
    const c = this.container(p, container);
    const now = this.clock.now();
    c.usage = {
      memoryWorkingSetBytes: usage.memoryWorkingSetBytes ?? c.usage.memoryWorkingSetBytes,
      memoryRssBytes:
        usage.memoryRssBytes ??
        (usage.memoryWorkingSetBytes !== undefined ? Math.floor(usage.memoryWorkingSetBytes * 0.8) : c.usage.memoryRssBytes),
      rootfsUsedBytes: usage.rootfsUsedBytes ?? c.usage.rootfsUsedBytes,
      logsUsedBytes: usage.logsUsedBytes ?? c.usage.logsUsedBytes,
    };
    if (usage.cpuMilli !== undefined) c.cpu.setRate(now, usage.cpuMilli);
    if (p.node) this.refreshNodeCpu(p.node);
  }

  /** The container is OOM-killed and restarted by the kubelet: restart count +1, last state OOMKilled. */
  oomKill(ref: PodRef, container: string): void {
    this.restart(ref, container, { reason: 'OOMKilled', exitCode: 137 });
  }

  /** The container exits and is restarted right away (exit code 1 by default). */
  restart(ref: PodRef, container: string, how: { reason?: string; exitCode?: number } = {}): void {
    const p = this.pod(ref);
    const c = this.container(p, container);
    const now = this.clock.now();
    c.lastTermination = { reason: how.reason ?? 'Error', exitCode: how.exitCode ?? 1, finishedAt: now };
    c.restarts++;
    c.startedAt = now;
    c.state = 'running';
    c.waiting = undefined;
    c.terminated = undefined;
    c.ready = true;
    c.cpu = c.cpu.restarted(now);
    if (p.node) this.refreshNodeCpu(p.node);
    this.touchPod(p);
  }

  /** The container keeps failing: CrashLoopBackOff, with the kubelet's BackOff warning. */
  crashLoop(ref: PodRef, container: string, how: { reason?: string; exitCode?: number } = {}): void {
    const p = this.pod(ref);
    const c = this.container(p, container);
    const now = this.clock.now();
    c.lastTermination = { reason: how.reason ?? 'Error', exitCode: how.exitCode ?? 1, finishedAt: now };
    c.restarts++;
    c.state = 'waiting';
    c.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off 5m0s restarting failed container=${container} pod=${p.name}_${p.namespace}(${p.uid})`,
    };
    c.ready = false;
    c.cpu.setRate(now, 0);
    if (p.node) this.refreshNodeCpu(p.node);
    this.touchPod(p);
    this.emitEvent({
      involvedObject: { kind: 'Pod', name: p.name, namespace: p.namespace, uid: p.uid },
      reason: 'BackOff',
      type: 'Warning',
      message: 'Back-off restarting failed container',
      source: { component: 'kubelet', ...(p.node ? { host: p.node } : {}) },
    });
  }

  /** The image cannot be pulled: ImagePullBackOff, with the kubelet's Failed and BackOff warnings. */
  failImagePull(ref: PodRef, container: string): void {
    const p = this.pod(ref);
    const c = this.container(p, container);
    c.state = 'waiting';
    c.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.spec.image}"` };
    c.ready = false;
    c.cpu.setRate(this.clock.now(), 0);
    this.touchPod(p);
    const source = { component: 'kubelet', ...(p.node ? { host: p.node } : {}) };
    const involvedObject = { kind: 'Pod', name: p.name, namespace: p.namespace, uid: p.uid };
    this.emitEvent({
      involvedObject,
      reason: 'Failed',
      type: 'Warning',
      message: `Failed to pull image "${c.spec.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${c.spec.image}": not found`,
      source,
    });
    this.emitEvent({ involvedObject, reason: 'BackOff', type: 'Warning', message: `Back-off pulling image "${c.spec.image}"`, source });
  }

  /** The container cannot be created (e.g. `CreateContainerConfigError`: a missing Secret key), with the kubelet's Failed warning. */
  failContainer(ref: PodRef, container: string, reason: string, message: string): void {
    const p = this.pod(ref);
    const c = this.container(p, container);
    c.state = 'waiting';
    c.waiting = { reason, message };
    c.ready = false;
    c.cpu.setRate(this.clock.now(), 0);
    this.touchPod(p);
    this.emitEvent({
      involvedObject: { kind: 'Pod', name: p.name, namespace: p.namespace, uid: p.uid },
      reason: 'Failed',
      type: 'Warning',
      message: `Error: ${message}`,
      source: { component: 'kubelet', ...(p.node ? { host: p.node } : {}) },
    });
  }

  /** The container runs normally again (after a crash loop or a pull failure). */
  recover(ref: PodRef, container: string, cpuMilli?: number): void {
    const p = this.pod(ref);
    const c = this.container(p, container);
    const now = this.clock.now();
    c.state = 'running';
    c.waiting = undefined;
    c.ready = true;
    c.startedAt = now;
    c.cpu = c.cpu.restarted(now, cpuMilli);
    if (p.node) this.refreshNodeCpu(p.node);
    this.touchPod(p);
  }

  /** Sets a pod's phase, e.g. `Failed` with reason `Evicted`. */
  setPodPhase(ref: PodRef, phase: PodModel['phase'], opts: { reason?: string; message?: string } = {}): void {
    const p = this.pod(ref);
    p.phase = phase;
    p.reason = opts.reason;
    p.message = opts.message;
    if (phase === 'Failed' || phase === 'Succeeded') {
      for (const c of p.containers) {
        c.state = 'terminated';
        c.terminated = {
          reason: opts.reason ?? (phase === 'Succeeded' ? 'Completed' : 'Error'),
          exitCode: phase === 'Succeeded' ? 0 : 137,
          finishedAt: this.clock.now(),
        };
        c.ready = false;
        c.cpu.setRate(this.clock.now(), 0);
      }
      if (p.node) this.refreshNodeCpu(p.node);
    }
    this.touchPod(p);
    if (opts.reason === 'Evicted')
      this.emitEvent({
        involvedObject: { kind: 'Pod', name: p.name, namespace: p.namespace, uid: p.uid },
        reason: 'Evicted',
        type: 'Warning',
        message: opts.message ?? 'The node was low on resource: memory.',
        source: { component: 'kubelet', ...(p.node ? { host: p.node } : {}) },
      });
  }

  // -------------------------------------------------------------------------------------------------
  // Events
  // -------------------------------------------------------------------------------------------------

  /** Records an event the way Kubernetes does: the same object, reason and message bump `count`. */
  emitEvent(spec: SimEventSpec): void {
    const now = this.clock.now();
    const inv = spec.involvedObject;
    const key = `${inv.namespace ?? ''}|${inv.kind}|${inv.name}|${inv.uid ?? ''}|${spec.reason}|${spec.message}`;
    const existing = this.events.get(key);
    if (existing) {
      existing.count++;
      existing.lastSeen = now;
      this.write('events', `${existing.namespace}/${existing.name}`, renderEvent(existing), 'MODIFIED');
      return;
    }
    const e: EventModel = {
      namespace: inv.namespace ?? 'default',
      name: `${inv.name}.${Math.floor(this.rand() * 2 ** 48)
        .toString(16)
        .padStart(12, '0')}`,
      uid: this.uuid(),
      spec,
      count: 1,
      firstSeen: now,
      lastSeen: now,
    };
    this.events.set(key, e);
    this.write('events', `${e.namespace}/${e.name}`, renderEvent(e), 'ADDED');
  }

  /** Deletes events last seen more than `ageMs` ago, as the API server's event TTL (1 h) does. */
  expireEvents(ageMs = 3_600_000): void {
    const now = this.clock.now();
    for (const [key, e] of this.events) {
      if (now - e.lastSeen <= ageMs) continue;
      this.events.delete(key);
      this.remove('events', `${e.namespace}/${e.name}`);
    }
  }

  /** Creates or replaces a NodePool or NodeClaim (built by `sim/kube/karpenter.ts`). */
  putKarpenter(resource: KarpenterResource, object: Json): void {
    const name = String((object.metadata as Json).name);
    this.write(resource, name, object, this.get(resource, name) ? 'MODIFIED' : 'ADDED');
  }

  deleteKarpenter(resource: KarpenterResource, name: string): void {
    this.remove(resource, name);
  }

  // -------------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------------

  private write(resource: Resource, key: string, object: Json, type: 'ADDED' | 'MODIFIED'): void {
    this.store.write(resource, key, object, type);
  }

  private remove(resource: Resource, key: string): void {
    this.store.remove(resource, key);
  }

  private touchNode(n: NodeModel): void {
    this.write('nodes', n.spec.name, renderNode(this.view, n), 'MODIFIED');
  }

  private touchPod(p: PodModel): void {
    this.write('pods', `${p.namespace}/${p.name}`, renderPod(this.view, p), 'MODIFIED');
    const w = p.workload ? this.workloads.get(p.workload) : undefined;
    if (w) this.refreshWorkload(w);
  }

  private refreshNodeCpu(node: string): void {
    const n = this.nodeModels.get(node);
    if (!n) return;
    let rate = n.systemCpuMilli;
    for (const p of this.podsOn(node)) for (const c of p.containers) rate += c.cpu.rate;
    n.cpu.setRate(this.clock.now(), rate);
  }

  private container(p: PodModel, name: string): ContainerModel {
    const c = p.containers.find((x) => x.spec.name === name);
    if (!c) throw new SimNotFoundError(`pod ${p.namespace}/${p.name} has no container ${name}`);
    return c;
  }

  private containerModel(spec: SimContainerSpec, defaultStart: EpochMs): ContainerModel {
    const now = this.clock.now();
    const startedAt = spec.status?.startedAt ?? defaultStart;
    const ws = spec.usage?.memoryWorkingSetBytes ?? Math.floor((spec.requests?.memoryBytes ?? 128 * MiB) * 0.5);
    return {
      spec,
      restarts: spec.status?.restarts ?? 0,
      startedAt,
      state: 'running',
      ...(spec.status?.lastTermination
        ? { lastTermination: { ...spec.status.lastTermination, finishedAt: spec.status.lastTermination.finishedAt ?? startedAt - 1000 } }
        : {}),
      ready: true,
      usage: {
        memoryWorkingSetBytes: ws,
        memoryRssBytes: spec.usage?.memoryRssBytes ?? Math.floor(ws * 0.8),
        rootfsUsedBytes: spec.usage?.rootfsUsedBytes ?? 65_536,
        logsUsedBytes: spec.usage?.logsUsedBytes ?? 1_048_576,
      },
      cpu: new CpuCounter(
        now,
        spec.usage?.cpuMilli ?? Math.floor((spec.requests?.cpuMilli ?? 100) * 0.3),
        Math.min(startedAt, now),
        spec.limits?.cpuMilli,
      ),
    };
  }

  /** Claim `namespace/data-<pod>` → the zone of its volume, made where the pod first ran. */
  private readonly volumeZones = new Map<string, string>();

  /** The first binding of a pod with a zonal volume provisions it in the node's zone (a PVC bound to a PV), as the EBS CSI driver does. */
  private provisionVolume(p: PodModel, node: string): void {
    const claim = claimOf(p);
    const zone = this.nodeModels.get(node)?.spec.zone;
    const key = `${p.namespace}/${claim}`;
    if (!claim || !zone || this.volumeZones.has(key)) return;
    this.volumeZones.set(key, zone);
    const volume = `pvc-${this.uuid()}`;
    const created = iso(this.clock.now());
    this.write(
      'persistentvolumeclaims',
      key,
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: claim, namespace: p.namespace, uid: this.uuid(), creationTimestamp: created },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } }, storageClassName: 'gp3', volumeName: volume },
        status: { phase: 'Bound' },
      },
      'ADDED',
    );
    this.write(
      'persistentvolumes',
      volume,
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: volume, uid: this.uuid(), creationTimestamp: created },
        spec: {
          capacity: { storage: '20Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: 'gp3',
          claimRef: { kind: 'PersistentVolumeClaim', namespace: p.namespace, name: claim },
          csi: { driver: 'ebs.csi.aws.com', volumeHandle: `vol-${this.uuid().replace(/-/g, '').slice(0, 17)}` },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }] }],
            },
          },
        },
        status: { phase: 'Bound' },
      },
      'ADDED',
    );
  }

  private bind(p: PodModel, node: string, startedAt: EpochMs): void {
    this.provisionVolume(p, node);
    p.node = node;
    p.unschedulable = undefined;
    p.scheduledAt = this.clock.now();
    p.phase = 'Running';
    p.startedAt ??= Math.min(startedAt, this.clock.now());
    this.refreshNodeCpu(node);
  }

  private workloadKey(w: { kind: string; namespace: string; name: string }): string {
    return `${w.kind}/${w.namespace}/${w.name}`;
  }

  private ensureWorkload(
    kind: SimWorkloadKind,
    namespace: string,
    name: string,
    spec: Partial<SimWorkloadSpec> & Pick<SimWorkloadSpec, 'containers'>,
    implicit: boolean,
    templateHash?: string,
  ): WorkloadModel {
    const key = this.workloadKey({ kind, namespace, name });
    const existing = this.workloads.get(key);
    if (existing) return existing;
    const createdAt = spec.createdAt ?? this.clock.now() - 86_400_000;
    const w: WorkloadModel = {
      kind,
      namespace,
      name,
      uid: this.uuid(),
      labels: { 'app.kubernetes.io/name': name, ...spec.labels },
      replicas: implicit ? 0 : (spec.replicas ?? 1),
      containers: spec.containers,
      hostNetwork: spec.hostNetwork ?? false,
      createdAt,
      placement: spec.placement ?? {},
      implicit,
      nextOrdinal: 0,
      revision: 1,
      // A pod added on its own brings its template's hash; otherwise a Deployment's is random and the others' fixed until a rollout.
      templateHash: templateHash ?? (kind === 'Deployment' ? this.suffix(10) : kind === 'StatefulSet' ? `${name}-6c8f9d7b5` : '7d6c9b8f45'),
      oldReplicaSets: [],
      ...(kind === 'Job' && spec.cronJob ? { cronJob: { name: spec.cronJob, uid: this.uuid() } } : {}),
    };
    if (kind === 'Deployment')
      w.replicaSet = {
        name: `${name}-${w.templateHash}`,
        uid: this.uuid(),
        hash: w.templateHash,
        createdAt,
        containers: spec.containers,
        revision: 1,
      };
    this.workloads.set(key, w);
    const resource = workloadResource(kind);
    this.write(resource, `${namespace}/${name}`, renderWorkload(this.view, w), 'ADDED');
    if (w.replicaSet) this.write('replicasets', `${namespace}/${w.replicaSet.name}`, renderReplicaSet(this.view, w, w.replicaSet), 'ADDED');
    return w;
  }

  private refreshWorkload(w: WorkloadModel): void {
    const resource = workloadResource(w.kind);
    const key = `${w.namespace}/${w.name}`;
    const next = renderWorkload(this.view, w);
    const prev = this.get(resource, key);
    if (
      prev &&
      JSON.stringify(prev.status) === JSON.stringify(next.status) &&
      JSON.stringify((prev.spec as Json).replicas) === JSON.stringify((next.spec as Json).replicas)
    )
      return;
    this.write(resource, key, next, 'MODIFIED');
    for (const rs of [...(w.replicaSet ? [w.replicaSet] : []), ...w.oldReplicaSets])
      this.write('replicasets', `${w.namespace}/${rs.name}`, renderReplicaSet(this.view, w, rs), 'MODIFIED');
  }

  /**
   * A rollout: the workload's pod template changes. A Deployment gets a new ReplicaSet (or, rolling back,
   * the earlier one with the same template becomes current again); new pods get the new template. Moving
   * the pods over is the controller's pace, driven from outside (`isUpdated` tells new pods from old).
   */
  rollOut(kind: SimWorkloadKind, namespace: string, name: string, containers: readonly SimContainerSpec[]): void {
    const w = this.workloads.get(this.workloadKey({ kind, namespace, name }));
    if (!w) throw new SimNotFoundError(`no ${kind} ${namespace}/${name} to roll out`);
    w.revision++;
    w.containers = containers;
    if (w.replicaSet) {
      const images = (cs: readonly SimContainerSpec[]) => cs.map((c) => c.image).join(',');
      const earlier = w.oldReplicaSets.find((rs) => images(rs.containers) === images(containers));
      w.oldReplicaSets = [...w.oldReplicaSets.filter((rs) => rs !== earlier), w.replicaSet];
      const hash = earlier?.hash ?? this.suffix(10);
      w.replicaSet = earlier ?? {
        name: `${name}-${hash}`,
        uid: this.uuid(),
        hash,
        createdAt: this.clock.now(),
        containers,
        revision: w.revision,
      };
      w.replicaSet.revision = w.revision;
      w.templateHash = hash;
      this.write(
        'replicasets',
        `${namespace}/${w.replicaSet.name}`,
        renderReplicaSet(this.view, w, w.replicaSet),
        earlier ? 'MODIFIED' : 'ADDED',
      );
    } else {
      w.templateHash = this.suffix(10);
    }
    this.write(workloadResource(kind), `${namespace}/${name}`, renderWorkload(this.view, w), 'MODIFIED');
  }

  /** The replicas a Deployment or StatefulSet is scaled to now. */
  replicasOf(kind: SimWorkloadKind, namespace: string, name: string): number {
    const w = this.workloads.get(this.workloadKey({ kind, namespace, name }));
    if (!w) throw new SimNotFoundError(`no ${kind} ${namespace}/${name}`);
    return w.replicas;
  }

  /** Whether a pod has its workload's current template (a rollout's new pods). */
  isUpdated(p: PodModel): boolean {
    const w = p.workload ? this.workloads.get(p.workload) : undefined;
    if (!w) return true;
    return (w.kind === 'Deployment' ? p.labels['pod-template-hash'] : p.labels['controller-revision-hash']) === w.templateHash;
  }

  private podName(w: WorkloadModel | undefined, spec: SimPodSpec): string {
    if (!w) return `${spec.owner?.name ?? 'pod'}-${this.suffix(5)}`;
    if (w.kind === 'Deployment') return `${w.replicaSet?.name}-${this.suffix(5)}`;
    if (w.kind === 'StatefulSet') {
      for (;;) {
        const n = `${w.name}-${w.nextOrdinal++}`;
        if (!this.podModels.has(`${w.namespace}/${n}`)) return n;
      }
    }
    return `${w.name}-${this.suffix(5)}`;
  }

  private podLabels(w: WorkloadModel, podName: string): Record<string, string> {
    const base = { 'app.kubernetes.io/name': w.name };
    if (w.kind === 'Deployment') return { ...base, 'pod-template-hash': w.templateHash };
    if (w.kind === 'StatefulSet')
      return { ...base, 'controller-revision-hash': w.templateHash, 'statefulset.kubernetes.io/pod-name': podName };
    if (w.kind === 'DaemonSet')
      return { ...base, 'controller-revision-hash': w.templateHash, 'pod-template-generation': String(w.revision) };
    return { ...base, 'batch.kubernetes.io/job-name': w.name, 'batch.kubernetes.io/controller-uid': w.uid };
  }

  private ownerRef(w: WorkloadModel | undefined, owner: SimOwner | undefined, node: string | undefined): PodModel['owner'] {
    if (w?.kind === 'Deployment' && w.replicaSet)
      return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: w.replicaSet.name, uid: w.replicaSet.uid };
    if (w) return { apiVersion: w.kind === 'Job' ? 'batch/v1' : 'apps/v1', kind: w.kind, name: w.name, uid: w.uid };
    if (owner?.kind === 'Node' && node)
      return { apiVersion: 'v1', kind: 'Node', name: node, uid: this.nodeModels.get(node)?.uid ?? this.uuid() };
    return undefined;
  }

  private uuid(): string {
    const hex = (n: number) => Array.from({ length: n }, () => Math.floor(this.rand() * 16).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  }

  private suffix(n: number): string {
    return Array.from({ length: n }, () => ALPHANUM[Math.floor(this.rand() * ALPHANUM.length)]).join('');
  }
}

function workloadResource(kind: SimWorkloadKind): Resource {
  return kind === 'Deployment' ? 'deployments' : kind === 'StatefulSet' ? 'statefulsets' : kind === 'DaemonSet' ? 'daemonsets' : 'jobs';
}

function defaultConditionReason(type: string, status: string): string {
  const reasons: Record<string, [string, string]> = {
    Ready: ['KubeletReady', 'KubeletNotReady'],
    MemoryPressure: ['KubeletHasInsufficientMemory', 'KubeletHasSufficientMemory'],
    DiskPressure: ['KubeletHasDiskPressure', 'KubeletHasNoDiskPressure'],
    PIDPressure: ['KubeletHasInsufficientPID', 'KubeletHasSufficientPID'],
  };
  const r = reasons[type];
  if (!r) return status === 'True' ? type : `No${type}`;
  if (type === 'Ready') return status === 'True' ? r[0] : status === 'Unknown' ? 'NodeStatusUnknown' : r[1];
  return status === 'True' ? r[0] : r[1];
}

/** The Normal event the kubelet (or node controller) records when a condition changes. */
function conditionEvent(type: string, status: string): string | undefined {
  switch (type) {
    case 'Ready':
      return status === 'True' ? 'NodeReady' : 'NodeNotReady';
    case 'MemoryPressure':
      return status === 'True' ? 'NodeHasInsufficientMemory' : 'NodeHasSufficientMemory';
    case 'DiskPressure':
      return status === 'True' ? 'NodeHasDiskPressure' : 'NodeHasNoDiskPressure';
    case 'PIDPressure':
      return status === 'True' ? 'NodeHasInsufficientPID' : 'NodeHasSufficientPID';
    default:
      return undefined;
  }
}
