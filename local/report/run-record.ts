/**
 * What a local run (or a scenario check) records for its report: the timeline of hosts, nodes and
 * workloads, the scenario's happenings, and every notification. Built by local mode from the store and the
 * outbox after the run; rendered by `html.ts` into one self-contained page.
 */
import type { EpochMs } from '../../model/time';

export interface RunRecord {
  readonly scenario: { readonly name: string; readonly description: string };
  readonly cluster: string;
  readonly start: EpochMs;
  /** The incident's onset; alert times are shown relative to it. */
  readonly onset: EpochMs;
  readonly end: EpochMs;
  /** One point per minute per host: EC2's view. */
  readonly hosts: readonly HostSeries[];
  /** One point per minute per node: the kubelet's view. */
  readonly nodes: readonly NodeSeries[];
  readonly workloads: readonly WorkloadSeries[];
  /** Cluster-wide, one point per minute. */
  readonly totals: readonly ClusterPoint[];
  readonly happenings: readonly { readonly t: EpochMs; readonly text: string }[];
  readonly alerts: readonly AlertMark[];
  /** Alerts a silence held quiet: when each was first seen held, and by which silence. */
  readonly silenced?: readonly SilencedMark[];
  /** The cluster's AWS events of the run (Spot warnings, instance state changes, Auto Scaling, AWS Health), oldest first. */
  readonly awsEvents?: readonly AwsEventMark[];
}

export interface AwsEventMark {
  readonly t: EpochMs;
  /** Its instance, else its Auto Scaling group. */
  readonly subject: string;
  /** What happened, in words (`awsEventText`). */
  readonly text: string;
}

export interface SilencedMark {
  readonly t: EpochMs;
  readonly rule: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly summary: string;
  readonly subject: Readonly<Record<string, string>>;
  readonly silence: string;
}

export interface HostSeries {
  readonly instanceId: string;
  readonly node?: string;
  readonly nodeGroup?: string;
  readonly points: readonly { readonly t: EpochMs; readonly cpuPct?: number; readonly statusCheckFailed?: number }[];
}

export interface NodeSeries {
  readonly name: string;
  readonly nodeGroup?: string;
  readonly points: readonly {
    readonly t: EpochMs;
    readonly cpuPct?: number;
    /** Working set as a share of allocatable memory. */
    readonly memoryPct?: number;
    readonly diskPct?: number;
    readonly ready: boolean;
    /** Pressure conditions that are True, e.g. ['MemoryPressure']. */
    readonly pressure: readonly string[];
    readonly pods: number;
  }[];
}

export interface WorkloadSeries {
  /** `namespace/Kind/name`. */
  readonly name: string;
  readonly points: readonly {
    readonly t: EpochMs;
    readonly readyPods: number;
    readonly desired?: number;
    readonly restarts: number;
    readonly oomKilled: number;
    readonly memoryWorkingSetBytes: number;
  }[];
}

export interface ClusterPoint {
  readonly t: EpochMs;
  readonly nodesReady: number;
  readonly nodesNotReady: number;
  readonly podsPending: number;
  readonly desiredCapacity?: number;
  readonly inService?: number;
}

export interface AlertMark {
  readonly t: EpochMs;
  readonly rule: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly phase: 'firing' | 'resolved';
  readonly summary: string;
  readonly subject: Readonly<Record<string, string>>;
}
