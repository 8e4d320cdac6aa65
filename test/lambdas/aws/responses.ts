/**
 * Builders of AWS API response objects in the real APIs' shapes (typed by the SDK's own output types; field
 * names and values as in the EC2 `DescribeInstances` and Auto Scaling `DescribeAutoScalingGroups` reference
 * examples, docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Instance.html and
 * docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AutoScalingGroup.html).
 */
import type { AutoScalingGroup as SdkGroup, LifecycleState } from '@aws-sdk/client-auto-scaling';
import type { Instance, InstanceStateName } from '@aws-sdk/client-ec2';

export interface InstanceSpec {
  readonly id: string;
  readonly cluster?: string;
  readonly nodeGroup?: string;
  readonly asg?: string;
  readonly nodePool?: string;
  /** Launched by EKS Auto Mode into this node pool: only Auto Mode's tags (AmazonEKSComputePolicy). */
  readonly autoModePool?: string;
  readonly spot?: boolean;
  readonly state?: InstanceStateName;
  readonly detailed?: boolean;
  readonly zone?: string;
  readonly ip?: string;
  readonly launch?: number;
  readonly type?: string;
}

const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export function instanceOf(s: InstanceSpec): Instance {
  const cluster = s.cluster ?? 'prod';
  const state = s.state ?? 'running';
  const ip = s.ip ?? '10.0.1.17';
  const terminated = state === 'terminated';
  return {
    InstanceId: s.id,
    ImageId: 'ami-0c2b8ca1dad447f8a',
    InstanceType: (s.type ?? 'm6i.xlarge') as Instance['InstanceType'],
    LaunchTime: new Date(s.launch ?? Date.UTC(2026, 10, 20, 9, 0)),
    Placement: { AvailabilityZone: s.zone ?? 'eu-west-1a', Tenancy: 'default' },
    PrivateDnsName: terminated ? '' : `ip-${ip.replace(/\./g, '-')}.eu-west-1.compute.internal`,
    PrivateIpAddress: terminated ? undefined : ip,
    State: { Code: STATE_CODES[state], Name: state },
    Monitoring: { State: s.detailed ? 'enabled' : 'disabled' },
    Architecture: 'x86_64',
    ...(s.spot ? { InstanceLifecycle: 'spot' as const, SpotInstanceRequestId: 'sir-0a1b2c3d' } : {}),
    Tags: s.autoModePool
      ? [
          { Key: 'eks:eks-cluster-name', Value: cluster },
          { Key: 'eks:kubernetes-node-pool-name', Value: s.autoModePool },
          { Key: 'eks:kubernetes-node-class-name', Value: 'default' },
        ]
      : [
          { Key: `kubernetes.io/cluster/${cluster}`, Value: 'owned' },
          ...(s.nodeGroup && !s.nodePool
            ? [
                { Key: 'eks:cluster-name', Value: cluster },
                { Key: 'eks:nodegroup-name', Value: s.nodeGroup },
              ]
            : []),
          ...(s.asg ? [{ Key: 'aws:autoscaling:groupName', Value: s.asg }] : []),
          ...(s.nodePool
            ? [
                { Key: 'karpenter.sh/nodepool', Value: s.nodePool },
                { Key: 'karpenter.k8s.aws/ec2nodeclass', Value: 'default' },
              ]
            : []),
          { Key: 'Name', Value: `${cluster}-${s.nodeGroup ?? s.nodePool ?? 'node'}` },
        ],
  };
}

export interface GroupSpec {
  readonly name: string;
  readonly cluster?: string;
  /** `eks:nodegroup-name` (managed). */
  readonly nodeGroup?: string;
  /** `alpha.eksctl.io/nodegroup-name` (self-managed, eksctl). */
  readonly eksctl?: string;
  readonly min?: number;
  readonly max?: number;
  readonly desired: number;
  readonly instances: readonly (readonly [id: string, lifecycle: string, health?: 'Healthy' | 'Unhealthy'])[];
  /** Tagged only for Cluster Autoscaler's auto-discovery (`k8s.io/cluster-autoscaler/<name>`, `…/enabled`). */
  readonly autoscalerTagsOnly?: boolean;
}

export function asgOf(g: GroupSpec): SdkGroup {
  const cluster = g.cluster ?? 'prod';
  const tag = (Key: string, Value: string) => ({
    ResourceId: g.name,
    ResourceType: 'auto-scaling-group',
    Key,
    Value,
    PropagateAtLaunch: true,
  });
  return {
    AutoScalingGroupName: g.name,
    AutoScalingGroupARN: `arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:5ec8a1b2-0000-4000-8000-000000000000:autoScalingGroupName/${g.name}`,
    MinSize: g.min ?? 1,
    MaxSize: g.max ?? 10,
    DesiredCapacity: g.desired,
    DefaultCooldown: 300,
    AvailabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 15,
    CreatedTime: new Date(Date.UTC(2026, 5, 1)),
    Instances: g.instances.map(([InstanceId, LifecycleState, health]) => ({
      InstanceId,
      InstanceType: 'm6i.xlarge',
      AvailabilityZone: 'eu-west-1a',
      LifecycleState: LifecycleState as LifecycleState,
      HealthStatus: health ?? 'Healthy',
      ProtectedFromScaleIn: false,
    })),
    Tags: [
      ...(g.autoscalerTagsOnly ? [] : [tag(`kubernetes.io/cluster/${cluster}`, 'owned')]),
      tag(`k8s.io/cluster-autoscaler/${cluster}`, 'owned'),
      tag('k8s.io/cluster-autoscaler/enabled', 'true'),
      ...(g.nodeGroup ? [tag('eks:cluster-name', cluster), tag('eks:nodegroup-name', g.nodeGroup)] : []),
      ...(g.eksctl ? [tag('alpha.eksctl.io/cluster-name', cluster), tag('alpha.eksctl.io/nodegroup-name', g.eksctl)] : []),
    ],
    TerminationPolicies: ['AllocationStrategy', 'OldestLaunchTemplate', 'OldestInstance'],
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN: 'arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
  };
}
