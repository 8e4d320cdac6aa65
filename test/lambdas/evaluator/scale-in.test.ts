import { removalActor, UNREAD_ACTOR } from '../../../lambdas/evaluator/scale-in';

// Cause texts as Auto Scaling writes them on DescribeScalingActivities `Cause`.
test.each([
  [
    'At 2026-11-23T12:03:00Z a monitor alarm TargetTracking-eks-general-AlarmLow-7f3c in state ALARM triggered policy cpu50-target-tracking changing the desired capacity from 3 to 2.',
    'alarm TargetTracking-eks-general-AlarmLow-7f3c, policy cpu50-target-tracking',
  ],
  [
    'At 2026-11-23T12:03:00Z instance i-0abc was taken out of service in response to a user request, shrinking the capacity from 4 to 3.',
    'a terminate request (Cluster Autoscaler scale-down, or a person)',
  ],
  [
    'At 2026-11-23T12:03:00Z a user request update of AutoScalingGroup constraints to min: 1, max: 6, desired: 2 changing the desired capacity from 3 to 2.',
    'a user request (API, console, or an autoscaler)',
  ],
  [
    'At 2015-06-16T14:59:01Z an instance was taken out of service in response to a EC2 health check indicating it has been terminated or stopped.',
    'EC2 health check',
  ],
  ['At 2026-11-23T12:03:00Z a scheduled action nightly was executed, changing the desired capacity from 3 to 2.', 'a scheduled action'],
  ['', UNREAD_ACTOR],
])('removalActor(%j)', (cause, actor) => {
  expect(removalActor(cause)).toBe(actor);
});
