/** Rules on the cluster's AWS events (EventBridge): AWS Health scheduled changes to its instances. */
import type { ScheduledEvent } from '../../../model/aws-event';
import { openScheduledEvents } from '../aws-events';
import { utc as at } from '../../../model/time';
import { truncate } from './common';
import { defineRule, type Draft } from './types';

/** `AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED` → "instance retirement". */
export function scheduledEventName(code: string): string {
  return code
    .replace(/^AWS_EC2_/, '')
    .replace(/_SCHEDULED$/, '')
    .toLowerCase()
    .replace(/_/g, ' ');
}

export const instanceScheduledEvent = defineRule({
  id: 'instance-scheduled-event',
  title: 'Instance scheduled event',
  meaning:
    'AWS Health scheduled a change to an instance of the cluster (retirement, stop, reboot or network maintenance): the node will go down at the start time. One alert per instance and event; it resolves when the event is closed or the instance is gone (replaced).',
  action:
    'Drain the node ahead of the start time (kubectl drain) and let its node group or NodePool replace it; a reboot can instead be done earlier, at your time, or rescheduled in the EC2 console.',
  sources: { cloud: ['ec2'] },
  defaults: { severity: 'warning', for: '0', renotifyEvery: '0' },
  params: {},
  threshold: () => 'an open AWS Health scheduledChange for a running instance of the cluster',
  evaluate(ctx, s) {
    const live = new Map(
      (ctx.cloud?.hosts ?? []).filter((h) => h.state !== 'terminated' && h.state !== 'shutting-down').map((h) => [h.instanceId, h]),
    );
    return openScheduledEvents(ctx).flatMap((e: ScheduledEvent): Draft[] => {
      const host = live.get(e.instanceId);
      if (!host) return [];
      const node = ctx.nodeOfInstance.get(e.instanceId);
      const what = scheduledEventName(e.eventTypeCode);
      const start = e.startTime !== undefined ? at(e.startTime) : undefined;
      return [
        {
          subject: {
            cluster: ctx.cluster,
            nodeGroup: host.nodeGroup,
            ...(node ? { node } : {}),
            instanceId: e.instanceId,
            detail: e.eventTypeCode,
          },
          severity: s.severity,
          summary: `AWS scheduled ${what} of ${node ? `node ${node} (${e.instanceId})` : e.instanceId}${start ? ` from ${start}` : ''}`,
          evidence: {
            eventType: e.eventTypeCode,
            status: e.status,
            ...(start ? { start } : {}),
            ...(e.endTime !== undefined ? { end: at(e.endTime) } : {}),
            ...(e.description ? { description: truncate(e.description, 300) } : {}),
            instanceType: host.instanceType,
          },
          since: e.time,
          nodes: node ? [node] : undefined,
        },
      ];
    });
  },
});
