/**
 * Which workload a pod belongs to, through its owners: ReplicaSet → Deployment, Job → CronJob, and
 * StatefulSet, DaemonSet, ReplicationController directly. Metrics are kept per workload because pods and
 * containers churn while workloads live for months.
 */
import type { Pod, WorkloadKind } from '../../model/domain';
import type { OwnerRecord, PodRecord } from './project';

export interface OwnerLookup {
  replicaSet(namespace: string, name: string): OwnerRecord | undefined;
  job(namespace: string, name: string): OwnerRecord | undefined;
}

const DIRECT: ReadonlySet<string> = new Set(['StatefulSet', 'DaemonSet', 'ReplicationController', 'Deployment', 'CronJob']);

export function workloadOf(r: PodRecord, owners: OwnerLookup): Pod['workload'] {
  const c = r.controller;
  const ns = r.pod.namespace;
  if (!c) return { kind: 'Pod', name: r.pod.name };
  if (c.kind === 'Node') return { kind: 'Node', name: c.name };
  if (DIRECT.has(c.kind)) return { kind: c.kind as WorkloadKind, name: c.name };
  if (c.kind === 'ReplicaSet') {
    const rs = owners.replicaSet(ns, c.name);
    if (rs) return rs.owner ? ownerWorkload(rs.owner) : { kind: 'ReplicaSet', name: c.name };
    // Not cached (yet): a Deployment names its ReplicaSets `<deployment>-<pod-template-hash>`.
    if (r.templateHash && c.name.endsWith(`-${r.templateHash}`)) {
      return { kind: 'Deployment', name: c.name.slice(0, -(r.templateHash.length + 1)) };
    }
    return { kind: 'ReplicaSet', name: c.name };
  }
  if (c.kind === 'Job') {
    const job = owners.job(ns, c.name);
    return job?.owner ? ownerWorkload(job.owner) : { kind: 'Job', name: c.name };
  }
  return { kind: 'Other', name: c.name };
}

function ownerWorkload(o: { kind: string; name: string }): Pod['workload'] {
  return DIRECT.has(o.kind) ? { kind: o.kind as WorkloadKind, name: o.name } : { kind: 'Other', name: o.name };
}
