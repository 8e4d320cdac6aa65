/**
 * Rendering the simulated cluster's models into Kubernetes objects as the API serves them (validated
 * against the official schemas in the tests). Pure: what it needs of the cluster comes as a `RenderContext`.
 */
import type { Clock, EpochMs } from '../../model/time';
import type { SimPlacement, SimResources } from './model';
import {
  configHashOf,
  podReady,
  qosOf,
  type ContainerModel,
  type EventModel,
  type NodeModel,
  type PodModel,
  type ReplicaSetModel,
  type WorkloadModel,
} from './state';
import type { Json } from './store';

const MiB = 1024 ** 2;

/** What rendering reads of the cluster beyond the model it renders. */
export interface RenderContext {
  readonly clock: Clock;
  readonly region: string;
  readonly nodeModels: ReadonlyMap<string, NodeModel>;
  /** A workload's pods (kept per workload: scanning every pod would be quadratic at 30,000). */
  podsOf(w: WorkloadModel): PodModel[];
  /** Whether a pod has its workload's current template. */
  isUpdated(p: PodModel): boolean;
}

export const iso = (t: EpochMs) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The node's allocatable as its spec gives it, else its capacity less typical reserves. */
export function allocatable(n: NodeModel): { cpuMilli: number; memoryBytes: number; ephemeralStorageBytes: number; pods: number } {
  const c = n.spec.capacity;
  return (
    n.spec.allocatable ?? {
      cpuMilli: Math.max(0, c.cpuMilli - 80),
      memoryBytes: Math.max(0, c.memoryBytes - 1300 * MiB),
      ephemeralStorageBytes: Math.floor(c.ephemeralStorageBytes * 0.9),
      pods: c.pods,
    }
  );
}

/** The claim of a pod with a zonal volume, `data-<pod>` (a StatefulSet's volume claim template `data`). */
export function claimOf(p: PodModel): string | undefined {
  return p.placement.zonalVolume ? `data-${p.name}` : undefined;
}

/** A node's labels, as the kubelet and EKS set them, plus its own. */
export function nodeLabels(n: NodeModel, region: string): Record<string, string> {
  const s = n.spec;
  const zone = s.zone ?? `${region}a`;
  const capacityLabel = s.capacityType === 'spot' ? 'SPOT' : 'ON_DEMAND';
  return {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': s.name,
    'kubernetes.io/os': 'linux',
    'topology.kubernetes.io/region': region,
    'topology.kubernetes.io/zone': zone,
    ...(s.instanceType ? { 'node.kubernetes.io/instance-type': s.instanceType } : {}),
    ...(s.nodeGroup ? { 'eks.amazonaws.com/nodegroup': s.nodeGroup, 'eks.amazonaws.com/capacityType': capacityLabel } : {}),
    ...(s.nodePool
      ? { 'karpenter.sh/nodepool': s.nodePool, 'karpenter.sh/capacity-type': s.capacityType === 'spot' ? 'spot' : 'on-demand' }
      : {}),
    ...(s.capacityType === 'fargate' ? { 'eks.amazonaws.com/compute-type': 'fargate' } : {}),
    ...s.labels,
  };
}

export function renderNode(ctx: RenderContext, n: NodeModel): Json {
  const s = n.spec;
  const alloc = allocatable(n);
  const zone = s.zone ?? `${ctx.region}a`;
  const labels = nodeLabels(n, ctx.region);
  const providerID =
    s.capacityType === 'fargate'
      ? `aws:///${zone}/${n.uid.slice(0, 12)}/${s.name}`
      : s.instanceId
        ? `aws:///${zone}/${s.instanceId}`
        : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: s.name,
      uid: n.uid,
      creationTimestamp: iso(n.createdAt),
      labels,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      ...(providerID ? { providerID } : {}),
      ...(n.taints.length
        ? { taints: n.taints.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect })) }
        : {}),
      ...(n.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      capacity: quantities(s.capacity),
      allocatable: quantities(alloc),
      conditions: [...n.conditions].map(([type, c]) => ({
        type,
        status: c.status,
        lastHeartbeatTime: iso(ctx.clock.now()),
        lastTransitionTime: iso(c.since),
        reason: c.reason,
        message: c.message,
      })),
      addresses: [
        { type: 'InternalIP', address: s.internalIp ?? '127.0.0.1' },
        { type: 'InternalDNS', address: s.name },
        { type: 'Hostname', address: s.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: n.kubeletPort } },
      nodeInfo: {
        machineID: n.uid.replace(/-/g, ''),
        systemUUID: `ec2${n.uid.slice(3)}`,
        bootID: n.uid,
        kernelVersion: '6.1.115-126.197.amzn2023.x86_64',
        osImage: 'Amazon Linux 2023.6.20241212',
        containerRuntimeVersion: 'containerd://1.7.23',
        kubeletVersion: s.kubeletVersion ?? 'v1.33.5-eks-113cf36',
        kubeProxyVersion: s.kubeletVersion ?? 'v1.33.5-eks-113cf36',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export function renderPod(ctx: RenderContext, p: PodModel): Json {
  const now = ctx.clock.now();
  const qosClass = qosOf(p);
  const allReady = podReady(p);
  const scheduledAt = p.scheduledAt ?? p.createdAt;
  const condition = (type: string, ok: boolean, at: EpochMs, reason?: string, message?: string) => ({
    type,
    status: ok ? 'True' : 'False',
    lastTransitionTime: iso(at),
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  });
  const conditions = p.node
    ? [
        condition('PodReadyToStartContainers', true, scheduledAt + 1000),
        condition('Initialized', true, scheduledAt + 1000),
        condition('Ready', allReady, allReady ? (p.startedAt ?? scheduledAt) + 3000 : now, allReady ? undefined : 'ContainersNotReady'),
        condition(
          'ContainersReady',
          allReady,
          allReady ? (p.startedAt ?? scheduledAt) + 3000 : now,
          allReady ? undefined : 'ContainersNotReady',
        ),
        condition('PodScheduled', true, scheduledAt),
      ]
    : [
        condition(
          'PodScheduled',
          false,
          p.unschedulable?.since ?? p.createdAt,
          p.unschedulable?.reason ?? 'Unschedulable',
          p.unschedulable?.message,
        ),
      ];
  const state = (c: ContainerModel): Json => {
    if (c.state === 'waiting')
      return {
        waiting: { reason: c.waiting?.reason ?? 'ContainerCreating', ...(c.waiting?.message ? { message: c.waiting.message } : {}) },
      };
    if (c.state === 'terminated')
      return {
        terminated: {
          exitCode: c.terminated?.exitCode ?? 0,
          reason: c.terminated?.reason ?? 'Completed',
          startedAt: iso(c.startedAt),
          finishedAt: iso(c.terminated?.finishedAt ?? now),
          containerID: `containerd://${containerId(p, c)}`,
        },
      };
    return { running: { startedAt: iso(c.startedAt) } };
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      creationTimestamp: iso(p.createdAt),
      ...(p.deletingSince !== undefined ? { deletionTimestamp: iso(p.deletingSince + 30_000), deletionGracePeriodSeconds: 30 } : {}),
      labels: p.labels,
      ...mirrorAnnotations(p),
      ...(p.owner ? { ownerReferences: [{ ...p.owner, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: {
      ...(p.node ? { nodeName: p.node } : {}),
      containers: p.containers.map((c) => ({
        name: c.spec.name,
        image: c.spec.image,
        resources: {
          ...(c.spec.requests ? { requests: quantities(c.spec.requests) } : {}),
          ...(c.spec.limits ? { limits: quantities(c.spec.limits) } : {}),
        },
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      })),
      restartPolicy: p.restartPolicy,
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      dnsPolicy: p.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      ...(p.hostNetwork ? { hostNetwork: true } : {}),
      terminationGracePeriodSeconds: 30,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      ...placementSpec(p.placement),
      ...(claimOf(p) ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claimOf(p) } }] } : {}),
      tolerations: [
        ...(p.placement.tolerations ?? []).map(tolerationSpec),
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
    status: {
      phase: p.phase,
      ...(p.reason ? { reason: p.reason } : {}),
      ...(p.message ? { message: p.message } : {}),
      conditions,
      qosClass,
      ...(p.node
        ? {
            hostIP: ctx.nodeModels.get(p.node)?.spec.internalIp ?? '127.0.0.1',
            podIP: p.hostNetwork ? (ctx.nodeModels.get(p.node)?.spec.internalIp ?? '127.0.0.1') : podIp(p),
          }
        : {}),
      ...(p.startedAt ? { startTime: iso(p.startedAt) } : {}),
      ...(p.node
        ? {
            containerStatuses: p.containers.map((c) => ({
              name: c.spec.name,
              image: c.spec.image,
              imageID: `${c.spec.image.split(':')[0]}@sha256:${digest(c.spec.image)}`,
              containerID: `containerd://${containerId(p, c)}`,
              ready: c.ready,
              started: c.state === 'running',
              restartCount: c.restarts,
              state: state(c),
              lastState: c.lastTermination
                ? {
                    terminated: {
                      exitCode: c.lastTermination.exitCode,
                      reason: c.lastTermination.reason,
                      startedAt: iso(Math.min(c.lastTermination.finishedAt - 1000, c.startedAt)),
                      finishedAt: iso(c.lastTermination.finishedAt),
                      containerID: `containerd://${digest(`${p.uid}/${c.spec.name}/${c.restarts - 1}`)}`,
                    },
                  }
                : {},
            })),
          }
        : {}),
    },
  };
}

function template(w: WorkloadModel): Json {
  return {
    metadata: { labels: { 'app.kubernetes.io/name': w.name } },
    spec: {
      containers: w.containers.map((c) => ({
        name: c.name,
        image: c.image,
        resources: { ...(c.requests ? { requests: quantities(c.requests) } : {}), ...(c.limits ? { limits: quantities(c.limits) } : {}) },
      })),
      ...(w.hostNetwork ? { hostNetwork: true } : {}),
      ...(w.kind === 'Job' ? { restartPolicy: 'Never' } : {}),
      ...placementSpec(w.placement),
      ...(w.placement.tolerations?.length ? { tolerations: w.placement.tolerations.map(tolerationSpec) } : {}),
    },
  };
}

export function renderWorkload(ctx: RenderContext, w: WorkloadModel): Json {
  const pods = ctx.podsOf(w);
  const ready = pods.filter(podReady).length;
  const metadata = {
    name: w.name,
    namespace: w.namespace,
    uid: w.uid,
    creationTimestamp: iso(w.createdAt),
    generation: w.revision,
    labels: w.labels,
  };
  const updated = pods.filter((p) => p.phase !== 'Failed' && p.phase !== 'Succeeded' && ctx.isUpdated(p)).length;
  const selector = { matchLabels: { 'app.kubernetes.io/name': w.name } };
  if (w.kind === 'DaemonSet') {
    const desired = w.implicit ? pods.length : ctx.nodeModels.size;
    return {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata,
      spec: {
        selector,
        template: template(w),
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        revisionHistoryLimit: 10,
      },
      status: {
        currentNumberScheduled: pods.filter((p) => p.node).length,
        desiredNumberScheduled: desired,
        numberMisscheduled: 0,
        numberReady: ready,
        numberAvailable: ready,
        ...(ready < desired ? { numberUnavailable: desired - ready } : {}),
        updatedNumberScheduled: updated,
        observedGeneration: w.revision,
      },
    };
  }
  if (w.kind === 'Job') {
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        ...metadata,
        ...(w.cronJob
          ? {
              ownerReferences: [
                {
                  apiVersion: 'batch/v1',
                  kind: 'CronJob',
                  name: w.cronJob.name,
                  uid: w.cronJob.uid,
                  controller: true,
                  blockOwnerDeletion: true,
                },
              ],
            }
          : {}),
      },
      spec: {
        parallelism: 1,
        completions: 1,
        backoffLimit: 6,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': w.uid } },
        template: template(w),
      },
      status: {
        active: pods.filter((p) => p.phase === 'Running' || p.phase === 'Pending').length,
        succeeded: pods.filter((p) => p.phase === 'Succeeded').length,
        failed: pods.filter((p) => p.phase === 'Failed').length,
        startTime: iso(w.createdAt),
      },
    };
  }
  const status = {
    observedGeneration: w.revision,
    replicas: pods.length,
    readyReplicas: ready,
    availableReplicas: ready,
    updatedReplicas: updated,
    ...(w.kind === 'StatefulSet' ? { currentReplicas: pods.length } : {}),
  };
  if (w.kind === 'StatefulSet') {
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata,
      spec: {
        replicas: w.replicas,
        selector,
        template: template(w),
        serviceName: w.name,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
      },
      status,
    };
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...metadata, annotations: { 'deployment.kubernetes.io/revision': String(w.revision) } },
    spec: {
      replicas: w.replicas,
      selector,
      template: template(w),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: { ...status, ...(ready < w.replicas ? { unavailableReplicas: w.replicas - ready } : {}) },
  };
}

export function renderReplicaSet(ctx: RenderContext, w: WorkloadModel, rs: ReplicaSetModel): Json {
  const pods = ctx.podsOf(w).filter((p) => p.owner?.uid === rs.uid && p.phase !== 'Failed' && p.phase !== 'Succeeded');
  const ready = pods.filter(podReady).length;
  const labels = { 'app.kubernetes.io/name': w.name, 'pod-template-hash': rs.hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: rs.name,
      namespace: w.namespace,
      uid: rs.uid,
      creationTimestamp: iso(rs === w.replicaSet && rs.revision === 1 ? w.createdAt : rs.createdAt),
      labels,
      annotations: { 'deployment.kubernetes.io/revision': String(rs.revision) },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: w.name, uid: w.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      replicas: pods.length,
      selector: { matchLabels: labels },
      template: { ...template({ ...w, containers: rs.containers }), metadata: { labels } },
    },
    status: {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: 1,
    },
  };
}

export function renderEvent(e: EventModel): Json {
  const s = e.spec;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: e.name, namespace: e.namespace, uid: e.uid, creationTimestamp: iso(e.firstSeen) },
    involvedObject: {
      kind: s.involvedObject.kind,
      name: s.involvedObject.name,
      ...(s.involvedObject.namespace ? { namespace: s.involvedObject.namespace } : {}),
      ...(s.involvedObject.uid ? { uid: s.involvedObject.uid } : {}),
      apiVersion: s.involvedObject.kind === 'Node' || s.involvedObject.kind === 'Pod' ? 'v1' : 'apps/v1',
    },
    reason: s.reason,
    message: s.message,
    type: s.type,
    count: e.count,
    firstTimestamp: iso(e.firstSeen),
    lastTimestamp: iso(e.lastSeen),
    source: { component: s.source?.component ?? 'kubelet', ...(s.source?.host ? { host: s.source.host } : {}) },
    reportingComponent: s.source?.component ?? 'kubelet',
    reportingInstance: s.source?.host ?? '',
  };
}

function containerId(p: PodModel, c: ContainerModel): string {
  return digest(`${p.uid}/${c.spec.name}/${c.restarts}`);
}

function podIp(p: PodModel): string {
  const h = parseInt(p.uid.slice(0, 4), 16);
  return `10.0.${100 + (h % 100)}.${((h >> 8) % 250) + 2}`;
}

/** A stable fake sha256-like hex digest of `s` (not cryptographic; just looks like containerd's). */
function digest(s: string): string {
  let h1 = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 64; round++) {
    for (let i = 0; i < s.length; i++) h1 = Math.imul(h1 ^ s.charCodeAt(i) ^ round, 16777619) >>> 0;
    out += h1.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

/** The annotations a kubelet puts on a static pod's mirror pod. */
function mirrorAnnotations(p: PodModel): { annotations?: Record<string, string> } {
  const hash = configHashOf(p);
  if (!hash) return {};
  return {
    annotations: {
      'kubernetes.io/config.hash': hash,
      'kubernetes.io/config.mirror': hash,
      'kubernetes.io/config.seen': new Date(p.createdAt).toISOString(),
      'kubernetes.io/config.source': 'file',
    },
  };
}

/** The placement fields of a pod spec (or a workload's pod template). */
function placementSpec(p: SimPlacement): Json {
  const nodeAffinity = p.affinity?.length
    ? {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: p.affinity.map((a) => ({ key: a.key, operator: 'In', values: [...a.values] })) }],
        },
      }
    : undefined;
  const podAntiAffinity = p.antiAffinity?.length
    ? {
        requiredDuringSchedulingIgnoredDuringExecution: p.antiAffinity.map((t) => ({
          labelSelector: { matchLabels: { ...t.matchLabels } },
          topologyKey: t.topologyKey,
        })),
      }
    : undefined;
  return {
    ...(p.nodeSelector ? { nodeSelector: { ...p.nodeSelector } } : {}),
    ...(nodeAffinity || podAntiAffinity
      ? { affinity: { ...(nodeAffinity ? { nodeAffinity } : {}), ...(podAntiAffinity ? { podAntiAffinity } : {}) } }
      : {}),
    ...(p.spread?.length
      ? {
          topologySpreadConstraints: p.spread.map((c) => ({
            maxSkew: c.maxSkew,
            topologyKey: c.topologyKey,
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { ...c.matchLabels } },
          })),
        }
      : {}),
  };
}

function tolerationSpec(t: NonNullable<SimPlacement['tolerations']>[number]): Json {
  return {
    ...(t.key !== undefined ? { key: t.key } : {}),
    operator: t.operator ?? 'Equal',
    ...(t.value !== undefined ? { value: t.value } : {}),
    ...(t.effect ? { effect: t.effect } : {}),
  };
}

/** Resources as the API serializes them: CPU in cores or millicores, memory and storage in Ki. */
function quantities(r: SimResources & { pods?: number }): Record<string, string> {
  const out: Record<string, string> = {};
  if (r.cpuMilli !== undefined) out.cpu = r.cpuMilli % 1000 === 0 ? String(r.cpuMilli / 1000) : `${r.cpuMilli}m`;
  if (r.ephemeralStorageBytes !== undefined)
    out['ephemeral-storage'] =
      r.ephemeralStorageBytes % 1024 === 0 ? `${r.ephemeralStorageBytes / 1024}Ki` : String(r.ephemeralStorageBytes);
  if (r.memoryBytes !== undefined)
    out.memory =
      r.memoryBytes % MiB === 0
        ? `${r.memoryBytes / MiB}Mi`
        : r.memoryBytes % 1024 === 0
          ? `${r.memoryBytes / 1024}Ki`
          : String(r.memoryBytes);
  if (r.pods !== undefined) out.pods = String(r.pods);
  return out;
}
