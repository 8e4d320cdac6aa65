/**
 * The simulated account's state: its clusters, node groups (with their Auto Scaling groups), instances and
 * scaling activities, as `account.ts` changes them and `apis.ts` and `cloudwatch.ts` describe them.
 */
import type { ClusterStatus, HealthIssue } from '../../model/domain';
import type { EpochMs } from '../../model/time';
import type { SimMetric } from './metrics';

/** `auto-mode`: EKS Auto Mode node pool, its instances tagged only with Auto Mode's `eks:*` tags. */
export type SimNodeGroupKind = 'managed' | 'self-managed' | 'karpenter' | 'auto-mode';

export interface SimNodeGroupSpec {
  readonly name: string;
  /** @default managed */
  readonly kind?: SimNodeGroupKind;
  readonly instanceType: string;
  /** @default on-demand */
  readonly capacityType?: 'on-demand' | 'spot';
  /** @default the region's a, b and c zones */
  readonly zones?: readonly string[];
  readonly size: { readonly min: number; readonly max: number; readonly desired: number };
  /** EC2 detailed monitoring: 1-minute CloudWatch data instead of 5-minute. @default false */
  readonly detailedMonitoring?: boolean;
  /** The CloudWatch agent publishes `mem_used_percent` and `disk_used_percent`. @default false */
  readonly cloudWatchAgent?: boolean;
  /** Minutes from launch to `InService`. @default 2 */
  readonly bootMinutes?: number;
}

/** Why a group's desired capacity changed: the cause text of its activities says so, as AWS's does. */
export type ScalingCause =
  | { readonly kind: 'user' }
  | { readonly kind: 'alarm'; readonly alarm: string; readonly policy: string }
  | { readonly kind: 'scheduled'; readonly action: string }
  /** TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity, as Cluster Autoscaler scales down. */
  | { readonly kind: 'terminate-request' };

export interface Instance {
  readonly id: string;
  readonly cluster: string;
  readonly group: Group;
  readonly zone: string;
  readonly ip: string;
  readonly launchAt: EpochMs;
  readonly runningAt: EpochMs;
  readonly inServiceAt: EpochMs;
  terminateAt?: EpochMs;
  terminatedAt?: EpochMs;
  unhealthy: boolean;
  readonly statusFailures: { kind: 'instance' | 'system'; from: EpochMs; to: EpochMs }[];
  readonly overrides: Map<SimMetric, number | ((t: EpochMs) => number)>;
}

export interface Group {
  readonly cluster: string;
  readonly spec: Required<Omit<SimNodeGroupSpec, 'size'>>;
  readonly asgName?: string;
  min: number;
  max: number;
  desired: number;
  launchFailure?: string;
  lastFailedAt?: EpochMs;
  cause?: { cause: ScalingCause; from: number; at: EpochMs; terminate: readonly string[] };
  healthIssues: HealthIssue[];
  /** A managed node group update under way: the instances still to replace, and whether the surge was undone. */
  update?: { readonly old: Set<string>; scaledDown: boolean };
}

export interface Activity {
  readonly id: string;
  readonly asg: string;
  readonly startTime: EpochMs;
  readonly finishAt: EpochMs;
  readonly finalStatus: 'Successful' | 'Failed';
  readonly cause: string;
  readonly description: string;
  readonly statusMessage?: string;
}

export interface Cluster {
  readonly name: string;
  readonly version: string;
  status: ClusterStatus;
  healthIssues: HealthIssue[];
  readonly groups: Map<string, Group>;
}
