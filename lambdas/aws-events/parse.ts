/**
 * EventBridge events (the ones the stack's rules match, `lib/aws-events.ts`) into Vigil's `AwsEvent`s. The
 * shapes are AWS's, checked against their documentation (docs/ingest-and-collector.md, "AWS events"):
 * EC2 events name the instance in `detail["instance-id"]`, Auto Scaling events in `detail.EC2InstanceId`
 * (empty when a launch failed before an instance existed), AWS Health events in `detail.affectedEntities`.
 */
import { z } from 'zod';
import type { AwsEvent } from '../../model/aws-event';

/** The `source` and `detail-type` of every event Vigil takes, as the stack's rules match them. */
export const AWS_EVENT_TYPES = {
  'aws.ec2': ['EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation', 'EC2 Instance State-change Notification'],
  'aws.autoscaling': [
    'EC2 Instance Launch Successful',
    'EC2 Instance Launch Unsuccessful',
    'EC2 Instance Terminate Successful',
    'EC2 Instance Terminate Unsuccessful',
  ],
  'aws.health': ['AWS Health Event'],
} as const;

export class AwsEventError extends Error {
  override readonly name = 'AwsEventError';
}

const instanceId = z.string().regex(/^i-[0-9a-f]{8,17}$/);
const time = z.string().transform((text, ctx) => {
  const t = Date.parse(text);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: `not a time: "${text}"` });
    return z.NEVER;
  }
  return t;
});
const text = (max: number) => z.string().transform((s) => (s.length > max ? `${s.slice(0, max - 3)}...` : s));

const envelope = z.object({
  id: z.string().min(1).max(200),
  source: z.string(),
  'detail-type': z.string(),
  time,
  detail: z.record(z.string(), z.unknown()),
});

const ec2Detail = z.object({
  'instance-id': instanceId,
  'instance-action': z.string().max(50).optional(),
  state: z.string().max(50).optional(),
});

const scalingDetail = z.object({
  AutoScalingGroupName: z.string().min(1).max(255),
  ActivityId: z.string().max(100).optional(),
  // Empty for a launch that failed before EC2 returned an instance.
  EC2InstanceId: z.union([instanceId, z.literal('')]).optional(),
  StatusMessage: text(500).optional(),
  Cause: text(500).optional(),
});

const healthDetail = z.object({
  eventArn: z.string().min(1).max(1600),
  service: z.string(),
  eventTypeCode: z.string().min(1).max(200),
  eventTypeCategory: z.string(),
  statusCode: z.string().max(20).optional(),
  startTime: time.optional(),
  endTime: time.optional(),
  eventDescription: z.array(z.object({ latestDescription: text(1000) })).optional(),
  affectedEntities: z.array(z.object({ entityValue: z.string() })).optional(),
});

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new AwsEventError(`${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * The Vigil events one EventBridge event stands for: one, or one per affected instance of a Health event
 * (none when it names no instance). Throws `AwsEventError`, naming the field, for an event that is not one
 * of `AWS_EVENT_TYPES` or lacks what Vigil needs.
 */
export function parseAwsEvent(raw: unknown): AwsEvent[] {
  const e = parseWith(envelope, raw, 'EventBridge event');
  const what = `${e.source} "${e['detail-type']}" ${e.id}`;
  switch (e['detail-type']) {
    case 'EC2 Spot Instance Interruption Warning': {
      const d = parseWith(ec2Detail, e.detail, what);
      return [
        { kind: 'spot-interruption', id: e.id, time: e.time, instanceId: d['instance-id'], action: d['instance-action'] ?? 'terminate' },
      ];
    }
    case 'EC2 Instance Rebalance Recommendation': {
      const d = parseWith(ec2Detail, e.detail, what);
      return [{ kind: 'rebalance-recommendation', id: e.id, time: e.time, instanceId: d['instance-id'] }];
    }
    case 'EC2 Instance State-change Notification': {
      const d = parseWith(ec2Detail.required({ state: true }), e.detail, what);
      return [{ kind: 'instance-state', id: e.id, time: e.time, instanceId: d['instance-id'], state: d.state }];
    }
    case 'EC2 Instance Launch Successful':
    case 'EC2 Instance Launch Unsuccessful':
    case 'EC2 Instance Terminate Successful':
    case 'EC2 Instance Terminate Unsuccessful': {
      const d = parseWith(scalingDetail, e.detail, what);
      return [
        {
          kind: e['detail-type'].includes('Launch') ? 'asg-launch' : 'asg-terminate',
          id: e.id,
          time: e.time,
          autoScalingGroup: d.AutoScalingGroupName,
          successful: !e['detail-type'].endsWith('Unsuccessful'),
          ...(d.EC2InstanceId ? { instanceId: d.EC2InstanceId } : {}),
          ...(d.ActivityId ? { activityId: d.ActivityId } : {}),
          ...(d.StatusMessage ? { statusMessage: d.StatusMessage } : {}),
          ...(d.Cause ? { cause: d.Cause } : {}),
        },
      ];
    }
    case 'AWS Health Event': {
      const d = parseWith(healthDetail, e.detail, what);
      const instances = [...new Set((d.affectedEntities ?? []).map((a) => a.entityValue).filter((v) => instanceId.safeParse(v).success))];
      const description = d.eventDescription?.[0]?.latestDescription;
      return instances.map((i) => ({
        kind: 'scheduled-event' as const,
        id: `${d.eventArn}#${i}`,
        time: e.time,
        instanceId: i,
        eventArn: d.eventArn,
        eventTypeCode: d.eventTypeCode,
        status: d.statusCode ?? 'open',
        ...(d.startTime !== undefined ? { startTime: d.startTime } : {}),
        ...(d.endTime !== undefined ? { endTime: d.endTime } : {}),
        ...(description ? { description } : {}),
      }));
    }
    default:
      throw new AwsEventError(`${what}: not an event Vigil takes (${Object.values(AWS_EVENT_TYPES).flat().join(', ')})`);
  }
}
