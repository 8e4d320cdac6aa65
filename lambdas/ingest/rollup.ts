/**
 * The Kubernetes fields of a cluster-minute rollup, computed from one agent batch (or one part of a split
 * batch). Pure: what the evaluator reads for windows without decoding every node-minute.
 */
import type { AgentBatch } from '../../model/batch';
import type { Resources } from '../../model/kube-values';
import type { KubeRollup, NodeSummary, PendingPod, Pod, WorkloadMinute, WorkloadRef, WorkloadStatus } from '../../model/domain';
import { nodeKeyOf } from '../../model/domain';
import { minuteOf } from '../../model/time';

/** A pod whose containers still hold their requests on the node. */
export function holdsResources(p: Pod): boolean {
  return p.phase !== 'Succeeded' && p.phase !== 'Failed';
}

/** Sum of the containers' requests of the pods that hold resources. */
export function requestedBy(pods: readonly Pod[]): Resources {
  let cpuMilli = 0;
  let memoryBytes = 0;
  let ephemeralStorageBytes = 0;
  for (const p of pods) {
    if (!holdsResources(p)) continue;
    for (const c of p.containers) {
      cpuMilli += c.requests.cpuMilli ?? 0;
      memoryBytes += c.requests.memoryBytes ?? 0;
      ephemeralStorageBytes += c.requests.ephemeralStorageBytes ?? 0;
    }
  }
  return { cpuMilli, memoryBytes, ephemeralStorageBytes, pods: pods.filter(holdsResources).length };
}

/** A workload's minute before its pods are counted: its controller's desired and available replicas, if known. */
function noPods(w: WorkloadRef, status?: Pick<WorkloadStatus, 'desired' | 'available'>): WorkloadMinute {
  return {
    namespace: w.namespace,
    kind: w.kind,
    name: w.name,
    pods: 0,
    readyPods: 0,
    restarts: 0,
    oomKilled: 0,
    cpuMilli: 0,
    memoryWorkingSetBytes: 0,
    desired: status?.desired,
    available: status?.available,
  };
}

export function kubeRollupOf(batch: AgentBatch): KubeRollup {
  const scrapeErrors = new Map(batch.scrapeErrors.map((e) => [e.node, e.kind]));
  const nodes: NodeSummary[] = batch.nodes.map(({ node, stats, pods }) => ({
    name: node.name,
    key: nodeKeyOf(node),
    instanceId: node.instanceId,
    nodeGroup: node.nodeGroup ?? node.nodePool,
    zone: node.zone,
    ready: node.conditions.find((c) => c.type === 'Ready')?.status ?? 'Unknown',
    problems: node.conditions.filter((c) => c.type !== 'Ready' && c.status === 'True').map((c) => c.type),
    unschedulable: node.unschedulable,
    allocatable: node.allocatable,
    requested: requestedBy(pods),
    cpuMilli: stats?.cpuMilli,
    memoryWorkingSetBytes: stats?.memoryWorkingSetBytes,
    memoryAvailableBytes: stats?.memoryAvailableBytes,
    fsAvailableBytes: stats?.fsAvailableBytes,
    fsCapacityBytes: stats?.fsCapacityBytes,
    pods: pods.length,
    scrapeError: scrapeErrors.get(node.name),
  }));

  const allPods = [...batch.nodes.flatMap((n) => n.pods), ...batch.unscheduledPods];
  const status = new Map(batch.workloads.map((w) => [`${w.namespace}/${w.kind}/${w.name}`, w]));
  const workloads = new Map<string, WorkloadMinute>();
  for (const p of allPods) {
    const id = `${p.namespace}/${p.workload.kind}/${p.workload.name}`;
    const w = workloads.get(id) ?? noPods({ ...p.workload, namespace: p.namespace }, status.get(id));
    workloads.set(id, {
      ...w,
      pods: w.pods + 1,
      readyPods: w.readyPods + (p.ready ? 1 : 0),
      restarts: w.restarts + p.containers.reduce((a, c) => a + c.restarts, 0),
      oomKilled: w.oomKilled + p.containers.filter((c) => c.lastTermination?.reason === 'OOMKilled').length,
      cpuMilli: w.cpuMilli + p.containers.reduce((a, c) => a + (c.usage?.cpuMilli ?? 0), 0),
      memoryWorkingSetBytes: w.memoryWorkingSetBytes + p.containers.reduce((a, c) => a + (c.usage?.memoryWorkingSetBytes ?? 0), 0),
    });
  }
  // Controllers with no pod at all (scaled to zero, or every pod gone) still appear: that absence is news.
  for (const [id, s] of status) {
    if (!workloads.has(id)) workloads.set(id, noPods(s, s));
  }

  const pendingPods: PendingPod[] = allPods
    .filter((p) => p.phase === 'Pending' && (p.node === undefined || p.unschedulable !== undefined))
    .map((p) => ({
      namespace: p.namespace,
      name: p.name,
      workload: p.workload,
      reason: p.unschedulable?.reason,
      message: p.unschedulable?.message,
      since: p.createdAt,
      requests: requestedBy([{ ...p, phase: 'Pending' }]),
    }));

  return {
    minute: minuteOf(batch.collectedAt),
    collectedAt: batch.collectedAt,
    nodes,
    workloads: [...workloads.values()],
    pendingPods,
    events: batch.events,
    controlPlane: batch.controlPlane,
    agent: batch.agent,
    scrapeErrors: batch.scrapeErrors,
    ...(batch.dataAgeMs ? { dataAgeMs: batch.dataAgeMs } : {}),
    ...(batch.karpenter ? { karpenter: batch.karpenter } : {}),
  };
}
