/** The EC2 adapter against `aws-sdk-client-mock`, responses shaped like the real API's (typed by the SDK's output types). */
import { DescribeInstancesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { CallCounter } from '../../../lambdas/aws/calls';
import { SdkEc2 } from '../../../lambdas/aws/ec2';
import { instanceOf } from './responses';

const ec2 = mockClient(EC2Client);
const region = 'eu-west-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let calls: CallCounter;

beforeEach(() => {
  ec2.reset();
  // A filter that matches nothing answers an empty page.
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  calls = new CallCounter();
});

describe('EC2', () => {
  const api = () => new SdkEc2(new EC2Client({ region, credentials }), calls);

  test('finds instances by every cluster tag, every page, once each', async () => {
    const a = instanceOf({ id: 'i-0aaaaaaaaaaaaaaa1', nodeGroup: 'general', asg: 'eks-general-1' });
    const b = instanceOf({ id: 'i-0aaaaaaaaaaaaaaa2', nodeGroup: 'general', asg: 'eks-general-1', spot: true });
    const c = instanceOf({ id: 'i-0aaaaaaaaaaaaaaa3', nodePool: 'default', state: 'terminated' });
    ec2
      .on(DescribeInstancesCommand, { Filters: [{ Name: 'tag:kubernetes.io/cluster/prod', Values: ['owned', 'shared'] }] })
      .resolvesOnce({ Reservations: [{ Instances: [a] }], NextToken: 'p2' })
      .resolvesOnce({ Reservations: [{ Instances: [c] }] });
    ec2
      .on(DescribeInstancesCommand, { Filters: [{ Name: 'tag:eks:cluster-name', Values: ['prod'] }] })
      .resolves({ Reservations: [{ Instances: [a, b] }] });
    const found = await api().describeClusterInstances('prod');
    expect(found.map((i) => i.host.instanceId)).toEqual(['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2', 'i-0aaaaaaaaaaaaaaa3']);
    expect(calls.snapshot()).toEqual({ 'ec2:DescribeInstances': 4 });
    expect(found[0]).toEqual({
      host: {
        instanceId: 'i-0aaaaaaaaaaaaaaa1',
        instanceType: 'm6i.xlarge',
        zone: 'eu-west-1a',
        capacityType: 'on-demand',
        state: 'running',
        launchTime: Date.UTC(2026, 10, 20, 9, 0),
        privateDnsName: 'ip-10-0-1-17.eu-west-1.compute.internal',
        privateIp: '10.0.1.17',
        autoScalingGroup: 'eks-general-1',
        nodeGroup: 'general',
      },
      detailedMonitoring: false,
      nodePool: undefined,
    });
    expect(found[1].host.capacityType).toBe('spot');
    // Karpenter instances belong to their NodePool; terminated ones lose their address.
    expect(found[2]).toMatchObject({
      nodePool: 'default',
      host: { nodeGroup: 'default', state: 'terminated', privateDnsName: undefined, privateIp: undefined },
    });
  });

  test('a page that fails fails the listing, its request counted: a partial list would read as instances gone', async () => {
    const a = instanceOf({ id: 'i-0aaaaaaaaaaaaaaa1', nodeGroup: 'general' });
    ec2
      .on(DescribeInstancesCommand, { Filters: [{ Name: 'tag:kubernetes.io/cluster/prod', Values: ['owned', 'shared'] }] })
      .resolvesOnce({ Reservations: [{ Instances: [a] }], NextToken: 'p2' })
      .rejectsOnce(
        new EC2ServiceException({
          name: 'RequestLimitExceeded',
          $fault: 'client',
          message: 'Request limit exceeded.',
          $metadata: { httpStatusCode: 503 },
        }),
      );
    await expect(api().describeClusterInstances('prod')).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    expect(calls.snapshot()).toEqual({ 'ec2:DescribeInstances': 2 });
  });

  test('finds EKS Auto Mode instances by their own cluster tag and records their node pool', async () => {
    const auto = instanceOf({ id: 'i-0aaaaaaaaaaaaaaa4', autoModePool: 'general-purpose' });
    ec2
      .on(DescribeInstancesCommand, { Filters: [{ Name: 'tag:eks:eks-cluster-name', Values: ['prod'] }] })
      .resolves({ Reservations: [{ Instances: [auto] }] });
    const [found] = await api().describeClusterInstances('prod');
    expect(found).toMatchObject({ nodePool: 'general-purpose', host: { instanceId: 'i-0aaaaaaaaaaaaaaa4', nodeGroup: 'general-purpose' } });
  });
});
