import { asciiSubject, emailSubject, emailText, MAX_SUBJECT } from '../../../lambdas/message/email';
import { buildNotification } from '../../../model/notification';
import { AT, domino, hostile, leak, resolvedNode } from '../notify/fixtures';

const active = { firing: 3, critical: 1, muted: 2 };

test('the subject: severity, cluster, the most important change, how many more; ASCII and under 100 characters', () => {
  const n = buildNotification('prod-eu-1', AT, [resolvedNode, domino, leak(1)], active);
  expect(emailSubject(n)).toBe('[CRITICAL] prod-eu-1: Scale-in under pressure (domino) (eks-general-5ec8a1b2-1) +2 more');
  const long = buildNotification(
    'a-cluster-with-a-rather-long-name-for-production-workloads',
    AT,
    [{ ...leak(1), title: 'Container OOM-killed', subject: { ...leak(1).subject, workload: `Deployment/${'x'.repeat(200)}` } }, leak(2)],
    active,
  );
  const subject = emailSubject(long);
  expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT);
  expect(subject).toBe('[WARNING] a-cluster-with-a-rather-long-name-for-production-workloads: Container OOM-kill... +1 more');
  expect(emailSubject(buildNotification('prod-eu-1', AT, [resolvedNode], active))).toBe(
    '[RESOLVED] prod-eu-1: Node not ready (ip-10-0-0-9.eu-west-1.compute.internal)',
  );
});

test('SNS subject rules: ASCII only, no control characters, starts with a letter, number or punctuation', () => {
  expect(asciiSubject('3 → 2 … “quoted” é\tend\u0007')).toBe('3 -> 2 ... ?quoted? ? end?');
  expect(asciiSubject(' hello')).toBe('hello');
  for (const c of [domino, resolvedNode, hostile, leak(3)]) {
    const s = emailSubject(buildNotification('prod-eu-1', AT, [c], active));
    expect(s).toMatch(/^[\x21-\x7e][\x20-\x7e]*$/);
    expect(s.length).toBeLessThan(100);
  }
});

test('the body reads as plain text: what, where, since when, evidence, what to do', () => {
  const text = emailText(buildNotification('prod-eu-1', AT, [domino, resolvedNode], active));
  expect(text).toBe(
    [
      'Vigil - cluster prod-eu-1: 1 firing, 1 resolved',
      'Evaluated at 2026-11-23 12:14 UTC. Highest severity: critical.',
      '',
      '== FIRING (critical) Scale-in under pressure (domino) ==',
      domino.summary,
      '',
      '  Where:      cluster prod-eu-1 / node group general / auto scaling group eks-general-5ec8a1b2-1',
      '  When:       since 2026-11-23 12:03 UTC (11 min)',
      '  Evidence:   desired from: 3',
      '              desired to: 2',
      '              scaled in at: 2026-11-23 12:03 UTC',
      '              trigger: alarm TargetTracking-eks-general-AlarmLow-7f3c, policy cpu50-target-tracking',
      '              pending pods before: 0',
      '              pending pods now: 4',
      '              findings: node-pressure ×2, pods-pending ×1',
      '  Includes:   - node-pressure: MemoryPressure on node ip-10-0-0-5.eu-west-1.compute.internal (2 nodes under pressure)',
      '              - pods-pending: 4 pods of orders/Deployment/checkout are Pending: 0/5 nodes are available: 3 Insufficient memory.',
      "  What to do: Raise the group's desired/min capacity now; then stop the scale-in trigger.",
      '  Rule:       scale-in-under-pressure',
      '',
      '== RESOLVED (warning) Node not ready ==',
      resolvedNode.summary,
      '',
      '  Where:      cluster prod-eu-1 / node group general / node ip-10-0-0-9.eu-west-1.compute.internal',
      '  Lasted:     2026-11-23 11:40 UTC to 2026-11-23 12:14 UTC (34 min)',
      '  Evidence:   ready: False',
      '              reason: KubeletNotReady',
      '              nodes not ready: 1',
      '              pods: 27',
      '  Rule:       node-not-ready',
      '',
      'Now firing: 3 alerts (1 critical); 2 more muted by inhibition.',
      '--',
      'Sent by Vigil. The SNS message attributes severities, cluster and rule let subscriptions filter these messages.',
    ].join('\n'),
  );
});

test('a storm lists what it could not detail, per rule', () => {
  const text = emailText(
    buildNotification(
      'prod-eu-1',
      AT,
      Array.from({ length: 60 }, (_, i) => leak(i)),
      active,
    ),
  );
  expect(text).toContain('...and 10 more changes not listed here:\n  - Container OOM-killed (container-oom-killed): 10');
});
