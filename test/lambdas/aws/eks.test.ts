/** The EKS adapter against `aws-sdk-client-mock`, responses shaped like the real API's (typed by the SDK's output types). */
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListNodegroupsCommand,
  ResourceNotFoundException,
  type ListNodegroupsCommandInput,
  type ListNodegroupsCommandOutput,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { CallCounter } from '../../../lambdas/aws/calls';
import { SdkEks } from '../../../lambdas/aws/eks';

const eks = mockClient(EKSClient);
const region = 'eu-west-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let calls: CallCounter;

beforeEach(() => {
  eks.reset();
  calls = new CallCounter();
});

describe('EKS', () => {
  const api = () => new SdkEks(new EKSClient({ region, credentials }), calls);

  test('DescribeCluster maps status, versions and health issues', async () => {
    eks.on(DescribeClusterCommand, { name: 'prod' }).resolves({
      cluster: {
        name: 'prod',
        arn: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod',
        version: '1.33',
        platformVersion: 'eks.12',
        status: 'ACTIVE',
        health: {
          issues: [
            {
              code: 'InsufficientFreeAddresses',
              message: 'One or more of the subnets has insufficient free IP addresses',
              resourceIds: ['subnet-0a1b2c3d'],
            },
          ],
        },
      },
    });
    expect(await api().describeCluster('prod')).toEqual({
      name: 'prod',
      status: 'ACTIVE',
      version: '1.33',
      platformVersion: 'eks.12',
      healthIssues: [
        {
          code: 'InsufficientFreeAddresses',
          message: 'One or more of the subnets has insufficient free IP addresses',
          resourceIds: ['subnet-0a1b2c3d'],
        },
      ],
    });
    expect(calls.snapshot()).toEqual({ 'eks:DescribeCluster': 1 });
  });

  test('a missing cluster is the SDK error, not a made-up value', async () => {
    eks.on(DescribeClusterCommand).rejects(new ResourceNotFoundException({ message: 'No cluster found for name: gone.', $metadata: {} }));
    await expect(api().describeCluster('gone')).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  test('ListNodegroups follows nextToken across pages', async () => {
    // Each page answers the token as sent (the SDK's paginator reuses one input object for every page).
    const pages: Record<string, ListNodegroupsCommandOutput> = {
      '': { nodegroups: ['a', 'b'], nextToken: 't1', $metadata: {} },
      t1: { nodegroups: ['c'], nextToken: 't2', $metadata: {} },
      t2: { nodegroups: [], $metadata: {} },
    };
    const sent: (string | undefined)[] = [];
    eks.on(ListNodegroupsCommand, { clusterName: 'prod' }).callsFake((input: ListNodegroupsCommandInput) => {
      sent.push(input.nextToken);
      return pages[input.nextToken ?? ''];
    });
    expect(await api().listNodegroups('prod')).toEqual(['a', 'b', 'c']);
    expect(sent).toEqual([undefined, 't1', 't2']);
    expect(calls.snapshot()).toEqual({ 'eks:ListNodegroups': 3 });
  });

  test('DescribeNodegroup maps scaling, Auto Scaling groups, capacity type and issues', async () => {
    eks.on(DescribeNodegroupCommand, { clusterName: 'prod', nodegroupName: 'spot' }).resolves({
      nodegroup: {
        nodegroupName: 'spot',
        clusterName: 'prod',
        status: 'DEGRADED',
        capacityType: 'SPOT',
        scalingConfig: { minSize: 1, maxSize: 10, desiredSize: 4 },
        instanceTypes: ['m6i.xlarge', 'm6a.xlarge'],
        resources: { autoScalingGroups: [{ name: 'eks-spot-aec8a1b2-1234-5678-9abc-def012345678' }] },
        health: {
          issues: [
            {
              code: 'AsgInstanceLaunchFailures',
              message: 'Could not launch Spot Instances.',
              resourceIds: ['eks-spot-aec8a1b2-1234-5678-9abc-def012345678'],
            },
          ],
        },
      },
    });
    expect(await api().describeNodegroup('prod', 'spot')).toEqual({
      name: 'spot',
      kind: 'managed',
      status: 'DEGRADED',
      scaling: { min: 1, max: 10, desired: 4 },
      autoScalingGroups: ['eks-spot-aec8a1b2-1234-5678-9abc-def012345678'],
      instanceTypes: ['m6i.xlarge', 'm6a.xlarge'],
      capacityType: 'spot',
      healthIssues: [
        {
          code: 'AsgInstanceLaunchFailures',
          message: 'Could not launch Spot Instances.',
          resourceIds: ['eks-spot-aec8a1b2-1234-5678-9abc-def012345678'],
        },
      ],
    });
  });
});
