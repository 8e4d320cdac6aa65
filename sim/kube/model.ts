/**
 * What a simulated cluster is made of, in the terms a scenario uses (issue 7 drives these from scenario
 * files): nodes with their machine figures, workloads, pods with containers and their usage. `cluster.ts`
 * turns them into Kubernetes objects and kubelet summaries.
 */
import type { EpochMs } from '../../model/time';

export interface SimResources {
  readonly cpuMilli?: number;
  readonly memoryBytes?: number;
  readonly ephemeralStorageBytes?: number;
}

export interface SimDisk {
  readonly capacityBytes: number;
  readonly usedBytes: number;
  readonly inodes: number;
  readonly inodesUsed: number;
}

export interface SimTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** A toleration as in a pod spec. */
export interface SimToleration {
  readonly key?: string;
  readonly operator?: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect?: SimTaint['effect'];
}

/** Where a pod may run: node labels it requires (`nodeSelector`, required node affinity `In` terms) and taints it tolerates. */
export interface SimPlacement {
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Required node affinity, one `In` expression per label key (all must hold). */
  readonly affinity?: readonly { readonly key: string; readonly values: readonly string[] }[];
  readonly tolerations?: readonly SimToleration[];
  /**
   * Each pod mounts its own zonal volume (a StatefulSet's `volumeClaimTemplates`, EBS): claim `data-<pod>`,
   * bound to a volume made in the zone the pod first runs in, so the pod can only run in that zone again.
   */
  readonly zonalVolume?: boolean;
  /** Required pod anti-affinity: no two pods matching `matchLabels` (in its namespace) in one domain of `topologyKey`. */
  readonly antiAffinity?: readonly SimTopologyTerm[];
  /** Topology spread constraints with `whenUnsatisfiable: DoNotSchedule`. */
  readonly spread?: readonly (SimTopologyTerm & { readonly maxSkew: number })[];
}

export interface SimTopologyTerm {
  readonly topologyKey: 'kubernetes.io/hostname' | 'topology.kubernetes.io/zone';
  readonly matchLabels: Readonly<Record<string, string>>;
}

export interface SimNodeSpec {
  readonly name: string;
  readonly instanceId?: string;
  readonly zone?: string;
  readonly instanceType?: string;
  /** EKS managed node group (`eks.amazonaws.com/nodegroup`). */
  readonly nodeGroup?: string;
  /** Karpenter NodePool (`karpenter.sh/nodepool`). */
  readonly nodePool?: string;
  readonly capacityType?: 'on-demand' | 'spot' | 'fargate';
  readonly capacity: {
    readonly cpuMilli: number;
    readonly memoryBytes: number;
    readonly ephemeralStorageBytes: number;
    readonly pods: number;
  };
  /** @default capacity minus EKS-like reservations */
  readonly allocatable?: {
    readonly cpuMilli: number;
    readonly memoryBytes: number;
    readonly ephemeralStorageBytes: number;
    readonly pods: number;
  };
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly SimTaint[];
  readonly unschedulable?: boolean;
  /** @default 127.0.0.1 (the loopback kubelet) */
  readonly internalIp?: string;
  readonly createdAt?: EpochMs;
  readonly kubeletVersion?: string;
  /** nodefs. @default 80 GiB, 20 % used */
  readonly disk?: SimDisk;
  /** imagefs. @default the same figures as nodefs (one disk, as on EKS AMIs) */
  readonly imageDisk?: SimDisk;
  /** @default 4194304 */
  readonly maxPid?: number;
  /** The kubelet's `evictionHard` where it differs from the defaults, e.g. `{ "memory.available": "500Mi" }`. */
  readonly evictionHard?: Readonly<Record<string, string>>;
  readonly evictionSoft?: Readonly<Record<string, string>>;
  /** Memory the node uses outside pods (kubelet, containerd, OS). @default 600 MiB */
  readonly systemMemoryBytes?: number;
  /** CPU the node uses outside pods. @default 120 m */
  readonly systemCpuMilli?: number;
}

/** A container's usage; the simulated kubelet integrates CPU over the cluster's clock. */
export interface SimUsage {
  /** CPU the container wants; above its CPU limit it gets the limit and is throttled. */
  readonly cpuMilli?: number;
  readonly memoryWorkingSetBytes?: number;
  readonly memoryRssBytes?: number;
  readonly rootfsUsedBytes?: number;
  readonly logsUsedBytes?: number;
}

export interface SimContainerStatus {
  readonly restarts?: number;
  readonly startedAt?: EpochMs;
  readonly lastTermination?: { readonly reason: string; readonly exitCode: number; readonly finishedAt?: EpochMs };
}

export interface SimContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly requests?: SimResources;
  readonly limits?: SimResources;
  readonly usage?: SimUsage;
  /** History to start from (restarts so far, last termination). */
  readonly status?: SimContainerStatus;
}

export type SimWorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job';

export interface SimOwner {
  readonly kind: SimWorkloadKind | 'CronJob' | 'Node';
  readonly name: string;
}

export interface SimPodSpec {
  readonly namespace: string;
  /** @default derived from the owner the way its controller names pods */
  readonly name?: string;
  readonly uid?: string;
  /** A node to bind to; absent = the simulated scheduler places it (or leaves it Pending). */
  readonly node?: string;
  /** The controller; a Deployment/StatefulSet/DaemonSet/Job not added yet is created on the way. */
  readonly owner?: SimOwner;
  readonly labels?: Readonly<Record<string, string>>;
  readonly containers: readonly SimContainerSpec[];
  readonly hostNetwork?: boolean;
  readonly createdAt?: EpochMs;
  readonly startedAt?: EpochMs;
  /** @default the workload's */
  readonly placement?: SimPlacement;
}

export interface SimWorkloadSpec {
  readonly kind: SimWorkloadKind;
  readonly namespace: string;
  readonly name: string;
  /** Deployments, StatefulSets, Jobs. @default 1 */
  readonly replicas?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly containers: readonly SimContainerSpec[];
  readonly hostNetwork?: boolean;
  /** Jobs created by a CronJob. */
  readonly cronJob?: string;
  readonly createdAt?: EpochMs;
  readonly placement?: SimPlacement;
}

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

export interface SimEventSpec {
  readonly involvedObject: { readonly kind: string; readonly name: string; readonly namespace?: string; readonly uid?: string };
  readonly reason: string;
  readonly type: 'Normal' | 'Warning';
  readonly message: string;
  readonly source?: { readonly component: string; readonly host?: string };
}
