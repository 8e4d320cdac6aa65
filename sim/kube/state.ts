/**
 * The models behind the simulated cluster's objects: what `cluster.ts` changes and `render.ts` turns into
 * Kubernetes objects, plus what Kubernetes derives from them (QoS class, readiness, a static pod's hash).
 */
import { createHash } from 'crypto';
import type { EpochMs } from '../../model/time';
import type { CpuCounter } from './counter';
import type { SimContainerSpec, SimDisk, SimEventSpec, SimNodeSpec, SimPlacement, SimTaint, SimUsage, SimWorkloadKind } from './model';

export interface Condition {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  since: EpochMs;
}

export interface NodeModel {
  readonly spec: SimNodeSpec;
  readonly uid: string;
  readonly createdAt: EpochMs;
  readonly bootedAt: EpochMs;
  readonly conditions: Map<string, Condition>;
  unschedulable: boolean;
  taints: SimTaint[];
  kubeletPort: number;
  disk: SimDisk;
  imageDisk: SimDisk;
  maxPid: number;
  systemMemoryBytes: number;
  systemCpuMilli: number;
  readonly cpu: CpuCounter;
}

export interface ContainerModel {
  readonly spec: SimContainerSpec;
  restarts: number;
  startedAt: EpochMs;
  state: 'running' | 'waiting' | 'terminated';
  waiting?: { reason: string; message: string };
  terminated?: { reason: string; exitCode: number; finishedAt: EpochMs };
  lastTermination?: { reason: string; exitCode: number; finishedAt: EpochMs };
  ready: boolean;
  usage: Required<Omit<SimUsage, 'cpuMilli'>>;
  cpu: CpuCounter;
}

export interface PodModel {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  node?: string;
  readonly owner?: { apiVersion: string; kind: string; name: string; uid: string };
  readonly workload?: string;
  readonly labels: Record<string, string>;
  readonly hostNetwork: boolean;
  readonly createdAt: EpochMs;
  startedAt?: EpochMs;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  reason?: string;
  message?: string;
  unschedulable?: { reason: string; message: string; since: EpochMs };
  scheduledAt?: EpochMs;
  readonly containers: ContainerModel[];
  readonly restartPolicy: 'Always' | 'Never' | 'OnFailure';
  readonly placement: SimPlacement;
  /** Marked for deletion (Terminating): gone once its kubelet confirms, never while the node is unreachable. */
  deletingSince?: EpochMs;
  /** The node controller marked it not ready: its node stopped reporting. */
  nodeLost?: boolean;
}

export interface ReplicaSetModel {
  readonly name: string;
  readonly uid: string;
  readonly hash: string;
  readonly createdAt: EpochMs;
  readonly containers: readonly SimContainerSpec[];
  revision: number;
}

export interface WorkloadModel {
  readonly kind: SimWorkloadKind;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Record<string, string>;
  replicas: number;
  /** The pod template's containers (changed by a rollout). */
  containers: readonly SimContainerSpec[];
  readonly hostNetwork: boolean;
  readonly createdAt: EpochMs;
  readonly placement: SimPlacement;
  /** The template's revision: 1, then one more per rollout. */
  revision: number;
  /** The template's hash (a DaemonSet's or StatefulSet's controller-revision-hash). */
  templateHash: string;
  /** Deployments: their current ReplicaSet, and the ones of earlier revisions. */
  replicaSet?: ReplicaSetModel;
  oldReplicaSets: ReplicaSetModel[];
  readonly cronJob?: { name: string; uid: string };
  /** Whether pods are counted into `replicas` as they are added (workloads created for existing pods). */
  readonly implicit: boolean;
  nextOrdinal: number;
}

export interface EventModel {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly spec: SimEventSpec;
  count: number;
  readonly firstSeen: EpochMs;
  lastSeen: EpochMs;
}

/** The pod's QoS class, as Kubernetes derives it from requests and limits. */
export function qosOf(p: PodModel): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const anyResources = p.containers.some((c) => c.spec.requests || c.spec.limits);
  const guaranteed = p.containers.every(
    (c) =>
      c.spec.limits?.cpuMilli !== undefined &&
      c.spec.limits.memoryBytes !== undefined &&
      (c.spec.requests?.cpuMilli ?? c.spec.limits.cpuMilli) === c.spec.limits.cpuMilli &&
      (c.spec.requests?.memoryBytes ?? c.spec.limits.memoryBytes) === c.spec.limits.memoryBytes,
  );
  return !anyResources ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}

/**
 * A static pod's config hash (a pod owned by its Node): the uid its kubelet reports it under, an md5 of
 * the manifest on a real kubelet, here of the mirror pod's uid.
 */
export function configHashOf(p: PodModel): string | undefined {
  return p.owner?.kind === 'Node' ? createHash('md5').update(p.uid).digest('hex') : undefined;
}

/** Ready as the pod's Ready condition says: running, every container ready, its node reporting. */
export function podReady(p: PodModel): boolean {
  return p.phase === 'Running' && !p.nodeLost && p.containers.every((c) => c.ready);
}

export function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
