/**
 * The Kubernetes API objects as they arrive on the wire (JSON), reduced to the fields the agent reads.
 * The agent never deserializes into client-node's model classes: lists and watch events are projected
 * straight into Vigil's domain model (`project.ts`), so the cache holds a few hundred bytes per pod
 * instead of a whole object.
 */
export interface OwnerReference {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly name: string;
  readonly uid?: string;
  readonly controller?: boolean;
}

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
}

export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
}

export type Quantities = Readonly<Record<string, string | number>>;

/** A status condition: a node's, or a Karpenter object's (operatorpkg's `status.Condition`). */
export interface ConditionObject {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

export interface NodeObject extends KubeObject {
  readonly spec?: {
    readonly providerID?: string;
    readonly unschedulable?: boolean;
    readonly taints?: readonly { readonly key: string; readonly value?: string; readonly effect: string }[];
  };
  readonly status?: {
    readonly capacity?: Quantities;
    readonly allocatable?: Quantities;
    readonly conditions?: readonly ConditionObject[];
    readonly addresses?: readonly { readonly type: string; readonly address: string }[];
    readonly daemonEndpoints?: { readonly kubeletEndpoint?: { readonly Port?: number } };
    readonly nodeInfo?: { readonly kubeletVersion?: string };
  };
}

export interface ContainerSpec {
  readonly name: string;
  readonly image?: string;
  readonly resources?: { readonly requests?: Quantities; readonly limits?: Quantities };
  /** `Always` on an init container makes it a sidecar (Kubernetes 1.29+). */
  readonly restartPolicy?: string;
}

export interface ContainerState {
  readonly running?: { readonly startedAt?: string };
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly terminated?: {
    readonly reason?: string;
    readonly exitCode?: number;
    readonly startedAt?: string;
    readonly finishedAt?: string;
  };
}

export interface ContainerStatus {
  readonly name: string;
  readonly image?: string;
  readonly ready?: boolean;
  readonly restartCount?: number;
  readonly state?: ContainerState;
  readonly lastState?: ContainerState;
}

export interface SelectorRequirementObject {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface LabelSelectorObject {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly SelectorRequirementObject[];
}

/** `nodeSelectorTerms` are ORed; `matchFields` (only `metadata.name`) is not modelled. */
export interface NodeSelectorObject {
  readonly nodeSelectorTerms?: readonly { readonly matchExpressions?: readonly SelectorRequirementObject[] }[];
}

export interface PodAffinityTermObject {
  readonly topologyKey: string;
  readonly labelSelector?: LabelSelectorObject;
}

export interface PersistentVolumeClaimObject extends KubeObject {
  readonly spec?: { readonly volumeName?: string };
}

export interface PersistentVolumeObject extends KubeObject {
  readonly spec?: { readonly nodeAffinity?: { readonly required?: NodeSelectorObject } };
}

export interface PodObject extends KubeObject {
  readonly spec?: {
    readonly nodeName?: string;
    readonly containers?: readonly ContainerSpec[];
    readonly initContainers?: readonly ContainerSpec[];
    /** `kubectl debug` containers: added to a running pod, never restarted. */
    readonly ephemeralContainers?: readonly ContainerSpec[];
    readonly nodeSelector?: Readonly<Record<string, string>>;
    readonly affinity?: {
      readonly nodeAffinity?: { readonly requiredDuringSchedulingIgnoredDuringExecution?: NodeSelectorObject };
      readonly podAntiAffinity?: { readonly requiredDuringSchedulingIgnoredDuringExecution?: readonly PodAffinityTermObject[] };
    };
    readonly tolerations?: readonly {
      readonly key?: string;
      readonly operator?: string;
      readonly value?: string;
      readonly effect?: string;
    }[];
    readonly topologySpreadConstraints?: readonly {
      readonly maxSkew: number;
      readonly topologyKey: string;
      readonly whenUnsatisfiable: string;
      readonly labelSelector?: LabelSelectorObject;
    }[];
    readonly volumes?: readonly { readonly name: string; readonly persistentVolumeClaim?: { readonly claimName: string } }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly qosClass?: string;
    readonly startTime?: string;
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly reason?: string;
      readonly message?: string;
      readonly lastTransitionTime?: string;
    }[];
    readonly containerStatuses?: readonly ContainerStatus[];
    readonly initContainerStatuses?: readonly ContainerStatus[];
    readonly ephemeralContainerStatuses?: readonly ContainerStatus[];
  };
}

/** Deployment and StatefulSet share these status fields. */
export interface ReplicatedObject extends KubeObject {
  readonly spec?: { readonly replicas?: number };
  readonly status?: {
    readonly replicas?: number;
    readonly readyReplicas?: number;
    readonly availableReplicas?: number;
    readonly updatedReplicas?: number;
  };
}

export interface DaemonSetObject extends KubeObject {
  readonly status?: {
    readonly desiredNumberScheduled?: number;
    readonly numberReady?: number;
    readonly numberAvailable?: number;
    readonly updatedNumberScheduled?: number;
  };
}

export interface EventObject extends KubeObject {
  readonly involvedObject?: {
    readonly kind?: string;
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
  };
  readonly reason?: string;
  readonly message?: string;
  readonly type?: string;
  readonly count?: number;
  readonly firstTimestamp?: string | null;
  readonly lastTimestamp?: string | null;
  /** Set by `events.k8s.io` writers instead of first/lastTimestamp. */
  readonly eventTime?: string | null;
  readonly series?: { readonly count?: number; readonly lastObservedTime?: string };
  readonly source?: { readonly component?: string; readonly host?: string };
  readonly reportingComponent?: string;
}

export interface ListObject<T> {
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: readonly T[];
}

/** The API server's error body. */
export interface StatusObject {
  readonly kind?: 'Status';
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly details?: { readonly retryAfterSeconds?: number };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** RFC 3339 → epoch ms; undefined when absent or unreadable. */
export function epochMs(t: string | null | undefined): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}
