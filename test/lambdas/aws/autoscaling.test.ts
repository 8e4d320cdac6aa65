/** The Auto Scaling adapter against `aws-sdk-client-mock`, responses shaped like the real API's (typed by the SDK's output types). */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_ACTIVITY_PAGES, SdkAutoScaling } from '../../../lambdas/aws/autoscaling';
import { CallCounter } from '../../../lambdas/aws/calls';
import { asgOf } from './responses';

const asg = mockClient(AutoScalingClient);
const region = 'eu-west-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let calls: CallCounter;

beforeEach(() => {
  asg.reset();
  calls = new CallCounter();
});

describe('Auto Scaling', () => {
  const api = () => new SdkAutoScaling(new AutoScalingClient({ region, credentials }), calls);

  test('groups tagged for the cluster, paginated, with lifecycle counts and the node group tag', async () => {
    asg
      .on(DescribeAutoScalingGroupsCommand, {
        Filters: [{ Name: 'tag-key', Values: ['kubernetes.io/cluster/prod', 'k8s.io/cluster-autoscaler/prod'] }],
      })
      .resolvesOnce({
        AutoScalingGroups: [
          asgOf({
            name: 'eks-general-1',
            nodeGroup: 'general',
            desired: 3,
            instances: [
              ['i-01', 'InService'],
              ['i-02', 'Pending:Wait'],
              ['i-03', 'Terminating'],
            ],
          }),
        ],
        NextToken: 'n',
      })
      .resolvesOnce({
        AutoScalingGroups: [asgOf({ name: 'self-1', eksctl: 'legacy', desired: 1, instances: [['i-04', 'InService', 'Unhealthy']] })],
      });
    const groups = await api().describeGroups({ clusterTag: 'prod' });
    expect(calls.snapshot()).toEqual({ 'autoscaling:DescribeAutoScalingGroups': 2 });
    expect(groups[0]).toMatchObject({
      name: 'eks-general-1',
      nodeGroup: 'general',
      eksNodeGroup: 'general',
      min: 1,
      max: 10,
      desired: 3,
      inService: 1,
      pending: 1,
      terminating: 1,
      standby: 0,
    });
    expect(groups[1]).toMatchObject({
      name: 'self-1',
      nodeGroup: 'legacy',
      eksNodeGroup: undefined,
      instances: [{ instanceId: 'i-04', healthStatus: 'Unhealthy', lifecycleState: 'InService' }],
    });
  });

  test('groups by name are asked 50 names at a time', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    const names = Array.from({ length: 120 }, (_, i) => `g-${i}`);
    await api().describeGroups({ names });
    expect(asg.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input.AutoScalingGroupNames?.length)).toEqual([
      50, 50, 20,
    ]);
  });

  test('activities: pages until one reaches past `since`, keeps only those at or after it', async () => {
    const t = (m: number) => new Date(Date.UTC(2026, 10, 23, 12, m));
    const act = (id: string, m: number, StatusCode: 'Successful' | 'Failed' | 'InProgress') => ({
      ActivityId: id,
      AutoScalingGroupName: 'eks-general-1',
      Cause: `At 2026-11-23T12:${String(m).padStart(2, '0')}:00Z a monitor alarm TargetTracking-eks-general-1-AlarmLow-5e3b in state ALARM triggered policy cpu40 changing the desired capacity from 4 to 3.`,
      Description: 'Terminating EC2 instance: i-0aaaaaaaaaaaaaaa1',
      StartTime: t(m),
      EndTime: StatusCode === 'InProgress' ? undefined : t(m + 1),
      StatusCode,
      Progress: StatusCode === 'InProgress' ? 50 : 100,
      ...(StatusCode === 'Failed'
        ? { StatusMessage: 'We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested (eu-west-1a).' }
        : {}),
    });
    asg
      .on(DescribeScalingActivitiesCommand, { AutoScalingGroupName: 'eks-general-1' })
      .resolvesOnce({ Activities: [act('a5', 50, 'InProgress'), act('a4', 40, 'Failed')], NextToken: 'x' })
      .resolvesOnce({ Activities: [act('a3', 30, 'Successful'), act('a2', 20, 'Successful')], NextToken: 'y' })
      .resolvesOnce({ Activities: [act('a1', 10, 'Successful')] });
    const got = await api().describeScalingActivities('eks-general-1', t(25).getTime());
    expect(got.map((a) => a.activityId)).toEqual(['a5', 'a4', 'a3']);
    expect(calls.snapshot()).toEqual({ 'autoscaling:DescribeScalingActivities': 2 });
    expect(got[1]).toEqual({
      activityId: 'a4',
      autoScalingGroup: 'eks-general-1',
      status: 'Failed',
      cause: expect.stringContaining('changing the desired capacity from 4 to 3'),
      description: 'Terminating EC2 instance: i-0aaaaaaaaaaaaaaa1',
      statusMessage: expect.stringContaining('sufficient m6i.xlarge capacity'),
      startTime: t(40).getTime(),
      endTime: t(41).getTime(),
    });
    expect(got[0].endTime).toBeUndefined();
  });

  test('activities: an old activity still in progress, listed first, does not stop the paging', async () => {
    const t = (h: number, m: number) => new Date(Date.UTC(2026, 10, 23, h, m));
    const act = (id: string, start: Date, StatusCode: 'Successful' | 'InProgress' | 'WaitingForInstanceWarmup') => ({
      ActivityId: id,
      AutoScalingGroupName: 'eks-general-1',
      Cause: `At ${start.toISOString()} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 2 to 3.`,
      Description: 'Launching a new EC2 instance: i-0aaaaaaaaaaaaaaa1',
      StartTime: start,
      StatusCode,
      Progress: StatusCode === 'Successful' ? 100 : 40,
    });
    // In progress first (a launch held by a lifecycle hook since 09:00), then the finished ones newest first.
    asg
      .on(DescribeScalingActivitiesCommand, { AutoScalingGroupName: 'eks-general-1' })
      .resolvesOnce({ Activities: [act('stuck', t(9, 0), 'WaitingForInstanceWarmup')], NextToken: 'x' })
      .resolvesOnce({ Activities: [act('new', t(12, 5), 'Successful'), act('old', t(11, 0), 'Successful')], NextToken: 'y' })
      .resolvesOnce({ Activities: [act('older', t(10, 0), 'Successful')] });
    const got = await api().describeScalingActivities('eks-general-1', t(12, 0).getTime());
    expect(got.map((a) => a.activityId)).toEqual(['stuck', 'new']);
    expect(calls.snapshot()).toEqual({ 'autoscaling:DescribeScalingActivities': 2 });
  });

  test('activities: a group that scaled wildly is read at most MAX_ACTIVITY_PAGES pages a run', async () => {
    const recent = new Date(Date.UTC(2026, 10, 23, 12, 30));
    asg.on(DescribeScalingActivitiesCommand, { AutoScalingGroupName: 'eks-general-1' }).resolves({
      Activities: [
        {
          ActivityId: 'a',
          AutoScalingGroupName: 'eks-general-1',
          Cause: 'At 2026-11-23T12:30:00Z a user request update of AutoScalingGroup constraints changed the desired capacity.',
          StartTime: recent,
          StatusCode: 'Successful',
          Progress: 100,
        },
      ],
      NextToken: 'more',
    });
    const got = await api().describeScalingActivities('eks-general-1', Date.UTC(2026, 10, 23, 12, 0));
    expect(got).toHaveLength(MAX_ACTIVITY_PAGES);
    expect(calls.snapshot()).toEqual({ 'autoscaling:DescribeScalingActivities': MAX_ACTIVITY_PAGES });
  });
});
