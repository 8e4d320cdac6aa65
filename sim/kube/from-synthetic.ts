/**
 * A `SimCluster` holding exactly the cluster of `sim/synthetic.ts` (the store's and the bench's reference
 * cluster): the same nodes, pods, uids, containers, restarts, last terminations and usage. An agent
 * watching it should report what `syntheticBatch` holds, which is what the agent's tests check.
 */
import type { SyntheticCluster } from '../synthetic';
import type { Clock } from '../../model/time';
import { SimCluster } from './cluster';
import type { SimContainerSpec, SimWorkloadKind } from './model';

const HOST_NETWORK = new Set(['aws-node', 'kube-proxy', 'eks-pod-identity-agent']);

export function simClusterFrom(c: SyntheticCluster, clock: Clock, opts: { seed?: number; historySize?: number } = {}): SimCluster {
  const sim = new SimCluster({ clock, seed: opts.seed, historySize: opts.historySize });
  // The synthetic cluster already holds every DaemonSet pod: do not add more as nodes arrive.
  sim.daemonSetsFollowNodes = false;
  for (const r of c.reports) {
    const n = r.node;
    sim.addNode({
      name: n.name,
      ...(n.instanceId ? { instanceId: n.instanceId } : {}),
      ...(n.zone ? { zone: n.zone } : {}),
      ...(n.instanceType ? { instanceType: n.instanceType } : {}),
      ...(n.nodeGroup ? { nodeGroup: n.nodeGroup } : {}),
      capacityType: n.capacityType === 'spot' ? 'spot' : 'on-demand',
      capacity: {
        cpuMilli: n.capacity.cpuMilli ?? 4000,
        memoryBytes: n.capacity.memoryBytes ?? 16 * 1024 ** 3,
        ephemeralStorageBytes: n.capacity.ephemeralStorageBytes ?? 80 * 1024 ** 3,
        pods: n.capacity.pods ?? 58,
      },
      allocatable: {
        cpuMilli: n.allocatable.cpuMilli ?? 3920,
        memoryBytes: n.allocatable.memoryBytes ?? 15 * 1024 ** 3,
        ephemeralStorageBytes: n.allocatable.ephemeralStorageBytes ?? 72 * 1024 ** 3,
        pods: n.allocatable.pods ?? 58,
      },
      ...(n.createdAt ? { createdAt: n.createdAt } : {}),
      ...(n.kubeletVersion ? { kubeletVersion: n.kubeletVersion } : {}),
      ...(r.stats?.fsCapacityBytes !== undefined && r.stats.fsAvailableBytes !== undefined
        ? {
            disk: {
              capacityBytes: r.stats.fsCapacityBytes,
              usedBytes: r.stats.fsCapacityBytes - r.stats.fsAvailableBytes,
              inodes: r.stats.fsInodes ?? 41_943_040,
              inodesUsed: (r.stats.fsInodes ?? 41_943_040) - (r.stats.fsInodesFree ?? 40_000_000),
            },
          }
        : {}),
      ...(r.stats?.maxPid !== undefined ? { maxPid: r.stats.maxPid } : {}),
    });
  }
  for (const r of c.reports) {
    for (const p of r.pods) {
      const containers: SimContainerSpec[] = p.containers.map((k) => ({
        name: k.name,
        image: k.image,
        requests: k.requests,
        limits: k.limits,
        ...(k.usage ? { usage: k.usage } : {}),
        status: {
          restarts: k.restarts,
          ...(k.startedAt ? { startedAt: k.startedAt } : {}),
          ...(k.lastTermination ? { lastTermination: k.lastTermination } : {}),
        },
      }));
      const kind = p.workload.kind;
      const owner =
        kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet' || kind === 'Job'
          ? { kind: kind as SimWorkloadKind, name: p.workload.name }
          : undefined;
      sim.addPod({
        namespace: p.namespace,
        name: p.name,
        uid: p.uid,
        ...(p.node ? { node: p.node } : {}),
        ...(owner ? { owner } : {}),
        labels: p.labels,
        containers,
        hostNetwork: HOST_NETWORK.has(p.workload.name),
        ...(p.createdAt ? { createdAt: p.createdAt } : {}),
        ...(p.startedAt ? { startedAt: p.startedAt } : {}),
      });
    }
  }
  return sim;
}
