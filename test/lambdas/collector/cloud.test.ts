import type { DescribedGroup } from '../../../lambdas/aws/autoscaling';
import type { ClusterInstance } from '../../../lambdas/aws/ec2';
import { nodeGroupsOf } from '../../../lambdas/collector/cloud';
import type { NodeGroup } from '../../../model/domain';

const group = (name: string, over: Partial<DescribedGroup> = {}): DescribedGroup => ({
  name,
  min: 1,
  max: 4,
  desired: 2,
  inService: 2,
  pending: 0,
  terminating: 0,
  standby: 0,
  instances: [],
  ...over,
});
const instance = (id: string, over: Partial<ClusterInstance['host']> = {}, nodePool?: string): ClusterInstance => ({
  host: {
    instanceId: id,
    instanceType: 'm6i.xlarge',
    zone: 'eu-west-1a',
    capacityType: 'on-demand',
    state: 'running',
    launchTime: 0,
    ...over,
  },
  detailedMonitoring: false,
  nodePool,
});
const managed: NodeGroup = {
  name: 'general',
  kind: 'managed',
  status: 'ACTIVE',
  scaling: { min: 1, max: 4, desired: 2 },
  autoScalingGroups: ['eks-general-1'],
  healthIssues: [],
};

test('managed from EKS, self-managed from the other groups (one per eksctl name), Karpenter from instance tags', () => {
  const groups = [
    group('eks-general-1', { eksNodeGroup: 'general', nodeGroup: 'general' }),
    group('legacy-a', { nodeGroup: 'legacy' }),
    group('legacy-b', { nodeGroup: 'legacy' }),
    group('bare-asg'),
  ];
  const instances = [
    instance('i-01', { autoScalingGroup: 'legacy-a', instanceType: 'm5.large' }),
    instance('i-02', { autoScalingGroup: 'legacy-b', instanceType: 'm5.xlarge' }),
    instance('i-03', { instanceType: 'c6i.large', capacityType: 'spot' }, 'burst'),
    instance('i-04', { instanceType: 'c6i.xlarge', capacityType: 'on-demand' }, 'burst'),
  ];
  expect(nodeGroupsOf([managed], groups, instances)).toEqual([
    {
      name: 'bare-asg',
      kind: 'self-managed',
      scaling: { min: 1, max: 4, desired: 2 },
      autoScalingGroups: ['bare-asg'],
      instanceTypes: undefined,
      capacityType: undefined,
      healthIssues: [],
    },
    {
      name: 'burst',
      kind: 'karpenter',
      autoScalingGroups: [],
      instanceTypes: ['c6i.large', 'c6i.xlarge'],
      capacityType: undefined,
      healthIssues: [],
    },
    managed,
    {
      name: 'legacy',
      kind: 'self-managed',
      scaling: { min: 2, max: 8, desired: 4 },
      autoScalingGroups: ['legacy-a', 'legacy-b'],
      instanceTypes: ['m5.large', 'm5.xlarge'],
      capacityType: 'on-demand',
      healthIssues: [],
    },
  ]);
});

test('without EKS, a managed group is known from its tagged Auto Scaling group', () => {
  expect(nodeGroupsOf([], [group('eks-general-1', { eksNodeGroup: 'general', nodeGroup: 'general', desired: 3 })], [])).toEqual([
    {
      name: 'general',
      kind: 'managed',
      scaling: { min: 1, max: 4, desired: 3 },
      autoScalingGroups: ['eks-general-1'],
      instanceTypes: undefined,
      capacityType: undefined,
      healthIssues: [],
    },
  ]);
});
