/**
 * AWS events as they happen (EventBridge), in Vigil's form: what the events function stores on a cluster's
 * timeline and the evaluator reads. Shapes of the AWS events they come from: docs/ingest-and-collector.md,
 * "AWS events".
 */
import type { CloudRollup } from './domain';
import type { EpochMs } from './time';

interface AwsEventBase {
  /** Unique per occurrence: the EventBridge event id (a Health event: its ARN and the instance). */
  readonly id: string;
  /** When it happened (EventBridge `time`). */
  readonly time: EpochMs;
  readonly instanceId?: string;
}

/** EC2 Spot Instance Interruption Warning: the instance goes in two minutes (hibernation: at once). */
export interface SpotInterruption extends AwsEventBase {
  readonly kind: 'spot-interruption';
  readonly instanceId: string;
  /** `terminate`, `stop` or `hibernate`. */
  readonly action: string;
}

/** EC2 Instance Rebalance Recommendation: the Spot instance is at elevated risk of interruption. */
export interface RebalanceRecommendation extends AwsEventBase {
  readonly kind: 'rebalance-recommendation';
  readonly instanceId: string;
}

/** EC2 Instance State-change Notification. */
export interface InstanceStateChange extends AwsEventBase {
  readonly kind: 'instance-state';
  readonly instanceId: string;
  readonly state: string;
}

/** Auto Scaling EC2 Instance Launch/Terminate Successful/Unsuccessful. */
export interface ScalingEvent extends AwsEventBase {
  readonly kind: 'asg-launch' | 'asg-terminate';
  readonly autoScalingGroup: string;
  readonly successful: boolean;
  readonly activityId?: string;
  readonly statusMessage?: string;
  readonly cause?: string;
}

/** An AWS Health scheduled change for one EC2 instance (retirement, maintenance reboot, …). */
export interface ScheduledEvent extends AwsEventBase {
  readonly kind: 'scheduled-event';
  readonly instanceId: string;
  readonly eventArn: string;
  /** e.g. `AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED`. */
  readonly eventTypeCode: string;
  /** `upcoming`, `open` or `closed`. */
  readonly status: string;
  readonly startTime?: EpochMs;
  readonly endTime?: EpochMs;
  readonly description?: string;
}

export type AwsEvent = SpotInterruption | RebalanceRecommendation | InstanceStateChange | ScalingEvent | ScheduledEvent;
export type AwsEventKind = AwsEvent['kind'];

/**
 * The time an event is filed under on the timeline: when it happened, except a scheduled change, which is
 * filed under the end (or start) of its window, so a read of the recent timeline still finds it until then.
 */
export function timelineTime(e: AwsEvent): EpochMs {
  return e.kind === 'scheduled-event' ? Math.max(e.time, e.endTime ?? e.startTime ?? e.time) : e.time;
}

/** What the event is about: its instance, else its Auto Scaling group. */
export function awsEventSubject(e: AwsEvent): string {
  return e.instanceId ?? ('autoScalingGroup' in e ? e.autoScalingGroup : '');
}

/** The event in words, for the cluster's timeline (`vigil query events`, the HTML report). */
export function awsEventText(e: AwsEvent): string {
  switch (e.kind) {
    case 'spot-interruption':
      return `Spot interruption warning (${e.action})`;
    case 'rebalance-recommendation':
      return 'Spot rebalance recommendation';
    case 'instance-state':
      return `instance ${e.state}`;
    case 'asg-launch':
    case 'asg-terminate':
      return `Auto Scaling ${e.autoScalingGroup}: ${e.kind === 'asg-launch' ? 'launch' : 'termination'} ${e.successful ? 'successful' : 'failed'}${e.statusMessage ? `: ${e.statusMessage}` : ''}`;
    case 'scheduled-event':
      return `AWS Health ${e.eventTypeCode} (${e.status})${e.startTime !== undefined ? ` from ${new Date(e.startTime).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}`;
  }
}

/** What a cluster is made of, for routing events: its instances and Auto Scaling groups. */
export interface ClusterMembers {
  readonly cluster: string;
  readonly instances: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
}

export function membersOf(cluster: string, cloud: CloudRollup | undefined): ClusterMembers {
  const groups = cloud?.autoScalingGroups ?? [];
  return {
    cluster,
    instances: new Set([...(cloud?.hosts ?? []).map((h) => h.instanceId), ...groups.flatMap((g) => g.instances.map((i) => i.instanceId))]),
    groups: new Set([...groups.map((g) => g.name), ...(cloud?.hosts ?? []).flatMap((h) => h.autoScalingGroup ?? [])]),
  };
}

/** Each event to the clusters it concerns (its instance, else its Auto Scaling group); the rest unmatched. */
export function routeEvents(
  events: readonly AwsEvent[],
  clusters: readonly ClusterMembers[],
): { byCluster: Map<string, AwsEvent[]>; unmatched: AwsEvent[] } {
  const byCluster = new Map<string, AwsEvent[]>();
  const unmatched: AwsEvent[] = [];
  for (const e of events) {
    const group = 'autoScalingGroup' in e ? e.autoScalingGroup : undefined;
    const owners = clusters.filter(
      (c) => (e.instanceId !== undefined && c.instances.has(e.instanceId)) || (group !== undefined && c.groups.has(group)),
    );
    if (owners.length === 0) unmatched.push(e);
    for (const c of owners) byCluster.set(c.cluster, [...(byCluster.get(c.cluster) ?? []), e]);
  }
  return { byCluster, unmatched };
}
