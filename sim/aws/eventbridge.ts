/**
 * EventBridge events as AWS sends them (shapes from the EC2, Auto Scaling and AWS Health documentation,
 * cited in docs/ingest-and-collector.md, "AWS events"): what the simulated account emits and the tests feed
 * to the AWS events function.
 */
import type { EpochMs } from '../../model/time';

export interface EventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

export interface EventOrigin {
  readonly id: string;
  readonly time: EpochMs;
  readonly account: string;
  readonly region: string;
}

/** EventBridge's `time`: ISO 8601 to the second. */
const isoTime = (t: EpochMs) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const instanceArn = (o: EventOrigin, instanceId: string) => `arn:aws:ec2:${o.region}:${o.account}:instance/${instanceId}`;

function envelope(
  o: EventOrigin,
  source: string,
  detailType: string,
  resources: readonly string[],
  detail: Record<string, unknown>,
): EventBridgeEvent {
  return {
    version: '0',
    id: o.id,
    'detail-type': detailType,
    source,
    account: o.account,
    time: isoTime(o.time),
    region: o.region,
    resources,
    detail,
  };
}

export const eventBridge = {
  spotInterruption: (o: EventOrigin, instanceId: string, action: 'terminate' | 'stop' | 'hibernate' = 'terminate') =>
    envelope(o, 'aws.ec2', 'EC2 Spot Instance Interruption Warning', [instanceArn(o, instanceId)], {
      'instance-id': instanceId,
      'instance-action': action,
    }),
  rebalanceRecommendation: (o: EventOrigin, instanceId: string) =>
    envelope(o, 'aws.ec2', 'EC2 Instance Rebalance Recommendation', [instanceArn(o, instanceId)], { 'instance-id': instanceId }),
  stateChange: (o: EventOrigin, instanceId: string, state: string) =>
    envelope(o, 'aws.ec2', 'EC2 Instance State-change Notification', [instanceArn(o, instanceId)], { 'instance-id': instanceId, state }),
  scaling: (
    o: EventOrigin,
    a: {
      readonly what: 'Launch' | 'Terminate';
      readonly successful: boolean;
      readonly group: string;
      readonly instanceId?: string;
      readonly activityId: string;
      readonly cause: string;
      readonly statusMessage?: string;
      readonly zone: string;
      readonly start: EpochMs;
    },
  ) =>
    envelope(
      o,
      'aws.autoscaling',
      `EC2 Instance ${a.what} ${a.successful ? 'Successful' : 'Unsuccessful'}`,
      [
        `arn:aws:autoscaling:${o.region}:${o.account}:autoScalingGroup:${a.activityId}:autoScalingGroupName/${a.group}`,
        ...(a.instanceId ? [instanceArn(o, a.instanceId)] : []),
      ],
      {
        StatusCode: a.successful ? 'InProgress' : 'Failed',
        AutoScalingGroupName: a.group,
        ActivityId: a.activityId,
        Details: { 'Availability Zone': a.zone },
        RequestId: a.activityId,
        StatusMessage: a.statusMessage ?? '',
        EndTime: isoTime(o.time),
        EC2InstanceId: a.instanceId ?? '',
        StartTime: isoTime(a.start),
        Cause: a.cause,
      },
    ),
  /** An AWS Health scheduled change for EC2 instances: `startTime`/`endTime` in the RFC 1123 form Health uses. */
  healthScheduled: (
    o: EventOrigin,
    h: {
      readonly eventArn: string;
      readonly eventTypeCode: string;
      readonly status: 'upcoming' | 'open' | 'closed';
      readonly instanceIds: readonly string[];
      readonly start: EpochMs;
      readonly end?: EpochMs;
      readonly description: string;
    },
  ) =>
    envelope(
      o,
      'aws.health',
      'AWS Health Event',
      h.instanceIds.map((i) => instanceArn(o, i)),
      {
        eventArn: h.eventArn,
        service: 'EC2',
        eventTypeCode: h.eventTypeCode,
        eventTypeCategory: 'scheduledChange',
        eventScopeCode: 'ACCOUNT_SPECIFIC',
        communicationId: `${o.id}-1`,
        startTime: new Date(h.start).toUTCString(),
        ...(h.end !== undefined ? { endTime: new Date(h.end).toUTCString() } : {}),
        lastUpdatedTime: new Date(o.time).toUTCString(),
        statusCode: h.status,
        eventRegion: o.region,
        eventDescription: [{ language: 'en_US', latestDescription: h.description }],
        affectedEntities: h.instanceIds.map((i) => ({ entityValue: i })),
      },
    ),
};
