/** Realistic alert changes for the message tests: the domino, a resolution, a container leak. */
import type { SNSEvent } from 'aws-lambda';
import type { AlertChange } from '../../../model/notification';

export const AT = Date.UTC(2026, 10, 23, 12, 14, 30);

export const domino: AlertChange = {
  kind: 'firing',
  id: 'scale-in-under-pressure|autoScalingGroup=eks-general-5ec8a1b2-1|cluster=prod-eu-1|nodeGroup=general',
  rule: 'scale-in-under-pressure',
  title: 'Scale-in under pressure (domino)',
  severity: 'critical',
  subject: { cluster: 'prod-eu-1', nodeGroup: 'general', autoScalingGroup: 'eks-general-5ec8a1b2-1' },
  summary:
    'eks-general-5ec8a1b2-1 lowered desired capacity 3 → 2 at 2026-11-23 12:03 UTC (alarm TargetTracking-eks-general-AlarmLow-7f3c, policy cpu50-target-tracking) while the cluster cannot afford it: MemoryPressure on node ip-10-0-0-5.eu-west-1.compute.internal (2 nodes under pressure), …',
  evidence: {
    desiredFrom: 3,
    desiredTo: 2,
    scaledInAt: '2026-11-23 12:03 UTC',
    trigger: 'alarm TargetTracking-eks-general-AlarmLow-7f3c, policy cpu50-target-tracking',
    pendingPodsBefore: 0,
    pendingPodsNow: 4,
    findings: 'node-pressure ×2, pods-pending ×1',
  },
  since: Date.UTC(2026, 10, 23, 12, 3),
  firingSince: Date.UTC(2026, 10, 23, 12, 4, 30),
  runbook: "Raise the group's desired/min capacity now; then stop the scale-in trigger.",
  includes: [
    { rule: 'node-pressure', summary: 'MemoryPressure on node ip-10-0-0-5.eu-west-1.compute.internal (2 nodes under pressure)' },
    { rule: 'pods-pending', summary: '4 pods of orders/Deployment/checkout are Pending: 0/5 nodes are available: 3 Insufficient memory.' },
  ],
};

export const resolvedNode: AlertChange = {
  kind: 'resolved',
  id: 'node-not-ready|cluster=prod-eu-1|node=ip-10-0-0-9.eu-west-1.compute.internal|nodeGroup=general',
  rule: 'node-not-ready',
  title: 'Node not ready',
  severity: 'warning',
  subject: { cluster: 'prod-eu-1', nodeGroup: 'general', node: 'ip-10-0-0-9.eu-west-1.compute.internal' },
  summary: 'Node ip-10-0-0-9.eu-west-1.compute.internal is NotReady: PLEG is not healthy: pleg was last seen active 3m0s ago',
  evidence: { ready: 'False', reason: 'KubeletNotReady', nodesNotReady: 1, pods: 27 },
  since: Date.UTC(2026, 10, 23, 11, 40),
  firingSince: Date.UTC(2026, 10, 23, 11, 45),
  resolvedAt: Date.UTC(2026, 10, 23, 12, 14),
  runbook: 'Check the instance and the kubelet.',
};

/** A change whose text comes from the cluster and carries Slack's control characters. */
export const hostile: AlertChange = {
  kind: 'firing',
  id: 'warning-events|cluster=prod-eu-1|detail=FailedMount|namespace=a&b|pod=<p>',
  rule: 'warning-events',
  title: 'Warning events',
  severity: 'info',
  subject: { cluster: 'prod-eu-1', namespace: 'a&b', pod: '<p>', detail: 'FailedMount' },
  summary: 'FailedMount on Pod a&b/<p>: <!channel> secret "db&pass" not found > retry',
  evidence: { message: '<@U123> & friends > all', count: 3 },
  runbook: 'Read the event & fix <it>.',
};

export function leak(i: number): AlertChange {
  return {
    kind: 'firing',
    id: `container-oom-killed|cluster=prod-eu-1|container=app|namespace=shop|workload=Deployment/svc-${i}`,
    rule: 'container-oom-killed',
    title: 'Container OOM-killed',
    severity: 'warning',
    subject: { cluster: 'prod-eu-1', namespace: 'shop', workload: `Deployment/svc-${i}`, container: 'app' },
    summary: `Container app of shop/Deployment/svc-${i} was OOM-killed (pod svc-${i}-6d4b8-x2k9q on ip-10-0-1-${i}.eu-west-1.compute.internal); 2 OOM kills in 24 h`,
    evidence: {
      oomKills: 1,
      oomKills24h: 2,
      pod: `svc-${i}-6d4b8-x2k9q`,
      killedAt: '2026-11-23 12:13 UTC',
      memoryLimitMiB: 512,
      workingSetMiB: 30,
    },
    since: Date.UTC(2026, 10, 23, 12, 13),
    firingSince: Date.UTC(2026, 10, 23, 12, 14),
    runbook: 'Check the memory against the limit.',
  };
}

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:vigil-alerts';

/** What SNS hands a subscribed Lambda for a JSON-structured publish: the `lambda` key's value as Message. */
let messages = 0;
export function snsEvent(
  message: string,
  subject?: string,
  messageId = `95df01b4-ee98-5cb9-9903-${String(++messages).padStart(12, '0')}`,
): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: TOPIC,
          Subject: subject,
          Message: message,
          Timestamp: '2026-11-23T12:14:31.000Z',
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
          UnsubscribeUrl: `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:2bcfbf39`,
          MessageAttributes: {
            severity: { Type: 'String', Value: 'critical' },
            cluster: { Type: 'String', Value: 'prod-eu-1' },
            rule: { Type: 'String', Value: 'multiple' },
          },
        },
      },
    ],
  };
}
