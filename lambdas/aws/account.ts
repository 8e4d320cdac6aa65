/**
 * The AWS APIs the collector uses in one region, as four small interfaces. In Lambda they are the SDK
 * adapters built here; local mode passes the simulated account (`sim/aws/account.ts`); tests use either.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { SdkAutoScaling, type AutoScalingApi } from './autoscaling';
import type { CallCounter } from './calls';
import { SdkCloudWatch, type CloudWatchApi } from './cloudwatch';
import { SdkEc2, type Ec2Api } from './ec2';
import { SdkEks, type EksApi } from './eks';

export interface AwsAccount {
  readonly eks: EksApi;
  readonly ec2: Ec2Api;
  readonly autoScaling: AutoScalingApi;
  readonly cloudWatch: CloudWatchApi;
}

/** The APIs of `region`, counting their calls into `calls`. */
export type AwsAccountFor = (region: string, calls: CallCounter) => AwsAccount;

/**
 * Client settings for the collector's calls. Adaptive retry backs off on throttling (CloudWatch
 * `GetMetricData` and the Describe APIs share account-wide rate limits with the Cluster Autoscaler and the
 * console); the timeouts keep one stuck call from eating the one-minute schedule.
 */
export const SDK_CLIENT_SETTINGS = {
  maxAttempts: 5,
  retryMode: 'adaptive',
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
} as const;

interface Clients {
  readonly eks: EKSClient;
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly cloudWatch: CloudWatchClient;
}

/** SDK adapters; clients are created once per region and reused across invocations of a Lambda instance. */
export function sdkAccounts(): AwsAccountFor {
  const clients = new Map<string, Clients>();
  return (region, calls) => {
    let c = clients.get(region);
    if (!c) {
      const config = { region, ...SDK_CLIENT_SETTINGS };
      c = {
        eks: new EKSClient(config),
        ec2: new EC2Client(config),
        autoScaling: new AutoScalingClient(config),
        cloudWatch: new CloudWatchClient(config),
      };
      clients.set(region, c);
    }
    return {
      eks: new SdkEks(c.eks, calls),
      ec2: new SdkEc2(c.ec2, calls),
      autoScaling: new SdkAutoScaling(c.autoScaling, calls),
      cloudWatch: new SdkCloudWatch(c.cloudWatch, calls),
    };
  };
}

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** A time budget: `expired` rejects with a {@link DeadlineError} once `ms` have passed. */
export interface Deadline {
  readonly expired: Promise<never>;
  clear(): void;
}

export function deadlineIn(ms: number, what: string): Deadline {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeadlineError(`${what}: its ${(ms / 1000).toFixed(1)} s budget was spent before this call answered`)),
      Math.max(0, ms),
    );
  });
  // Nothing may be racing it when it fires.
  expired.catch(() => undefined);
  return { expired, clear: () => clearTimeout(timer) };
}

/**
 * The account with every call bounded by `deadline`: a call still waiting when the budget is spent fails
 * with a {@link DeadlineError} (and any later call at once), so one stalled region or API cannot hold the
 * run. The SDK's own retries (5 attempts of up to 10 s each) would otherwise take most of a minute.
 */
export function boundedAccount(aws: AwsAccount, deadline: Deadline): AwsAccount {
  return {
    eks: bounded(aws.eks, deadline),
    ec2: bounded(aws.ec2, deadline),
    autoScaling: bounded(aws.autoScaling, deadline),
    cloudWatch: bounded(aws.cloudWatch, deadline),
  };
}

function bounded<T extends object>(api: T, deadline: Deadline): T {
  return new Proxy(api, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function'
        ? (...args: unknown[]) => Promise.race([v.apply(target, args) as Promise<unknown>, deadline.expired])
        : v;
    },
  });
}
