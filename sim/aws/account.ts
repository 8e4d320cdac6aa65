/**
 * A simulated AWS account for local mode and tests: EKS clusters with managed, self-managed and Karpenter
 * node groups, Auto Scaling groups whose desired capacity and instances change over time, scaling
 * activities (failed ones included), EC2 instances, and CloudWatch data points that arrive late. It is
 * driven by a `Clock`: state is advanced minute by minute up to `clock.now()` whenever it is read or changed,
 * so an accelerated clock gives the same history as a real one.
 *
 * It implements the collector's AWS interfaces (`apis()`), counting calls page by page with the SDK adapters'
 * page sizes, so call counts from a simulated run are those a real account would see.
 */
import type { AwsAccount } from '../../lambdas/aws/account';
import {
  ACTIVITIES_PER_PAGE,
  GROUP_NAMES_PER_CALL,
  GROUPS_PER_PAGE,
  isFinalActivity,
  MAX_ACTIVITY_PAGES,
  type AutoScalingApi,
  type DescribedGroup,
  type GroupQuery,
} from '../../lambdas/aws/autoscaling';
import type { CallCounter } from '../../lambdas/aws/calls';
import {
  DATAPOINTS_PER_PAGE,
  LISTED_METRICS_PER_PAGE,
  MAX_QUERIES_PER_CALL,
  type CloudWatchApi,
} from '../../lambdas/aws/cloudwatch';
import { INSTANCES_PER_PAGE, type ClusterInstance, type Ec2Api } from '../../lambdas/aws/ec2';
import { NODEGROUPS_PER_PAGE, type EksApi } from '../../lambdas/aws/eks';
import type { CapacityType, ClusterInfo, ClusterStatus, HealthIssue, Host, InstanceState, NodeGroup, ScalingActivity } from '../../model/domain';
import { HOUR_MS, MINUTE_MS, minuteOf, type Clock, type EpochMs } from '../../model/time';
import { rng } from '../synthetic';
import { eventBridge, type EventBridgeEvent } from './eventbridge';
import { metricSeries, type MetricSource } from './cloudwatch';
import type { SimMetric } from './metrics';
import type { Activity, Cluster, Group, Instance, ScalingCause, SimNodeGroupKind, SimNodeGroupSpec } from './state';

export type { ScalingCause, SimNodeGroupKind, SimNodeGroupSpec } from './state';

export interface SimClusterSpec {
  readonly name: string;
  /** @default 1.33 */
  readonly version?: string;
  readonly nodeGroups: readonly SimNodeGroupSpec[];
}

export interface SimAccountOptions {
  readonly clock: Clock;
  /** @default eu-west-1 */
  readonly region?: string;
  /** @default 1 */
  readonly seed?: number;
  /** When CloudWatch points become readable. */
  readonly cloudWatch?: {
    /** Minutes after its period ends, for detailed and basic monitoring. @default { detailed: 2, basic: 5 } */
    readonly delayMinutes?: { readonly detailed: number; readonly basic: number };
    /** Share of points that arrive later still, and how much later. @default 0.1 and 7 minutes */
    readonly lateShare?: number;
    readonly lateMinutes?: number;
  };
}

export interface SimError extends Error {
  readonly $metadata: { readonly httpStatusCode: number };
}

/** An error shaped like the SDK's (name, message, HTTP status). */
export function simError(name: string, message: string, httpStatusCode = 400): SimError {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

/** The simulated account's id, in the events it sends. */
const SIM_ACCOUNT_ID = '000000000000';
/** EC2 keeps terminated instances listed about an hour. */
const TERMINATED_VISIBLE_MS = HOUR_MS;
const SHUTDOWN_MS = 2 * MINUTE_MS;
const RELAUNCH_AFTER_FAILURE_MS = 5 * MINUTE_MS;

export class SimulatedAccount {
  readonly region: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly seed: number;
  private readonly clusters = new Map<string, Cluster>();
  private readonly instances: Instance[] = [];
  private readonly activities: Activity[] = [];
  private readonly faults = new Map<string, { left: number; error: () => Error }>();
  private readonly cwDelays: { from: EpochMs; to: EpochMs; delayMs: number }[] = [];
  /** What CloudWatch's data is generated from (`cloudwatch.ts`). */
  private readonly metricSource: MetricSource;
  /** Events announced ahead of what they announce (Spot warnings, AWS Health scheduled changes). */
  private readonly notices: EventBridgeEvent[] = [];
  private advancedTo: EpochMs;
  private ipSeq = 0;

  constructor(opts: SimAccountOptions) {
    this.clock = opts.clock;
    this.region = opts.region ?? 'eu-west-1';
    this.seed = opts.seed ?? 1;
    this.random = rng(this.seed);
    const d = opts.cloudWatch?.delayMinutes ?? { detailed: 2, basic: 5 };
    const cw = { ...d, lateShare: opts.cloudWatch?.lateShare ?? 0.1, lateMinutes: opts.cloudWatch?.lateMinutes ?? 7 };
    this.metricSource = { clock: this.clock, seed: this.seed, instances: this.instances, cw, cwDelays: this.cwDelays };
    this.advancedTo = minuteOf(this.clock.now());
  }

  // ---------------------------------------------------------------------------------------------------
  // Building and changing the account (scenarios drive these)
  // ---------------------------------------------------------------------------------------------------

  /** Adds a cluster whose node groups are already at their desired size, launched days ago. */
  addCluster(spec: SimClusterSpec): void {
    if (this.clusters.has(spec.name)) throw new Error(`cluster ${spec.name} already exists`);
    const cluster: Cluster = { name: spec.name, version: spec.version ?? '1.33', status: 'ACTIVE', healthIssues: [], groups: new Map() };
    this.clusters.set(spec.name, cluster);
    const now = this.clock.now();
    for (const g of spec.nodeGroups) {
      if (cluster.groups.has(g.name)) throw new Error(`cluster ${spec.name}: node group ${g.name} listed twice`);
      if (!(g.size.min <= g.size.desired && g.size.desired <= g.size.max)) throw new Error(`node group ${g.name}: expected min <= desired <= max`);
      const kind = g.kind ?? 'managed';
      const group: Group = {
        cluster: spec.name,
        spec: {
          name: g.name,
          kind,
          instanceType: g.instanceType,
          capacityType: g.capacityType ?? 'on-demand',
          zones: g.zones ?? ['a', 'b', 'c'].map((z) => `${this.region}${z}`),
          detailedMonitoring: g.detailedMonitoring ?? false,
          cloudWatchAgent: g.cloudWatchAgent ?? false,
          bootMinutes: g.bootMinutes ?? 2,
        },
        asgName: kind === 'managed' ? `eks-${g.name}-${this.hex(8)}-${this.hex(4)}-${this.hex(4)}-${this.hex(4)}-${this.hex(12)}` : kind === 'self-managed' ? `eksctl-${spec.name}-nodegroup-${g.name}-NodeGroup-${this.hex(12).toUpperCase()}` : undefined,
        min: g.size.min,
        max: g.size.max,
        desired: g.size.desired,
        healthIssues: [],
      };
      cluster.groups.set(g.name, group);
      for (let i = 0; i < g.size.desired; i++) this.launch(group, now - Math.floor((2 + this.random() * 18) * 86_400_000), false);
    }
  }

  /**
   * Sets a group's desired capacity now. Scaling in terminates `terminate` (instance ids) first, then the
   * newest instances; scaling out launches instances that are InService after the group's boot time.
   */
  setDesired(cluster: string, group: string, desired: number, opts: { readonly cause?: ScalingCause; readonly terminate?: string | readonly string[] } = {}): void {
    this.advance();
    const g = this.group(cluster, group);
    if (desired < g.min || desired > g.max) throw new Error(`node group ${group}: desired ${desired} is outside ${g.min}-${g.max}`);
    g.cause = { cause: opts.cause ?? { kind: 'user' }, from: g.desired, at: this.clock.now(), terminate: typeof opts.terminate === 'string' ? [opts.terminate] : (opts.terminate ?? []) };
    g.desired = desired;
    this.reconcile(g, this.clock.now());
  }

  /**
   * An EKS managed node group update, as the EKS User Guide ("Understand each phase of node updates")
   * describes it: desired and max rise by one (the surge); once the new instances are InService, each old
   * instance is terminated without lowering desired, so the group replaces it; when none is left, desired
   * and max go back down by one. The node group is UPDATING until the last termination is over.
   */
  updateNodeGroup(cluster: string, group: string): void {
    this.advance();
    const g = this.group(cluster, group);
    if (g.spec.kind !== 'managed') throw new Error(`node group ${group}: only managed node groups are updated by EKS`);
    const now = this.clock.now();
    g.update = { old: new Set(this.instances.filter((i) => i.group === g && i.terminateAt === undefined).map((i) => i.id)), scaledDown: false };
    g.cause = { cause: { kind: 'user' }, from: g.desired, at: now, terminate: [] };
    g.max += 1;
    g.desired += 1;
    this.reconcile(g, now);
  }

  /** From now on, launches in the group fail with `statusMessage` (AWS retries, failing again, every few minutes). */
  failLaunches(cluster: string, group: string, statusMessage: string | undefined): void {
    this.advance();
    const g = this.group(cluster, group);
    g.launchFailure = statusMessage;
    g.lastFailedAt = undefined;
  }

  /** Takes an instance out: the group (if any) marks it Unhealthy and launches a replacement. */
  terminateInstance(instanceId: string, reason: 'health' | 'spot-interruption' | 'user' = 'user'): void {
    this.advance();
    const i = this.instance(instanceId);
    if (i.terminateAt !== undefined) return;
    const now = this.clock.now();
    i.unhealthy = reason !== 'user';
    this.terminate(i, now, {
      health: `At ${iso(now)} an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.`,
      'spot-interruption': `At ${iso(now)} an instance was taken out of service in response to a Spot Instance interruption notice.`,
      user: `At ${iso(now)} instance ${i.id} was taken out of service in response to a user request.`,
    }[reason]);
  }

  /** EC2's Spot Instance Interruption Warning for the instance, now; the interruption itself follows two minutes later. */
  warnSpotInterruption(instanceId: string): void {
    this.instance(instanceId);
    const now = this.clock.now();
    this.notices.push(eventBridge.spotInterruption(this.origin(`spot-${instanceId}-${now}`, now), instanceId));
  }

  /** AWS Health announces now a scheduled change to the instance (e.g. `AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED`) from `start`. */
  scheduleHealthEvent(instanceId: string, eventTypeCode: string, start: EpochMs, description: string): void {
    this.instance(instanceId);
    const now = this.clock.now();
    const eventArn = `arn:aws:health:${this.region}::event/EC2/${eventTypeCode}/${eventTypeCode}_${this.hex(8)}`;
    this.notices.push(eventBridge.healthScheduled(this.origin(`health-${instanceId}-${now}`, now), { eventArn, eventTypeCode, status: 'upcoming', instanceIds: [instanceId], start, description }));
  }

  /**
   * The EventBridge events of (from, to], oldest first, as AWS sends them: instance state changes, Auto Scaling
   * launches and terminations (failed launches included) when their activity ends, and the notices above.
   */
  eventsBetween(from: EpochMs, to: EpochMs): EventBridgeEvent[] {
    this.advance();
    const within = (t: EpochMs | undefined): t is EpochMs => t !== undefined && t > from && t <= to;
    const out: EventBridgeEvent[] = this.notices.filter((e) => within(Date.parse(e.time)));
    for (const i of this.instances) {
      const states: [EpochMs | undefined, InstanceState][] = [[i.launchAt, 'pending'], [i.runningAt, 'running'], [i.terminateAt, 'shutting-down'], [i.terminatedAt, 'terminated']];
      for (const [t, state] of states) {
        if (within(t) && !(state === 'pending' && i.runningAt === i.launchAt)) out.push(eventBridge.stateChange(this.origin(`state-${i.id}-${state}`, t), i.id, state));
      }
    }
    for (const a of this.activities.filter((x) => within(x.finishAt))) {
      const instanceId = /: (i-[0-9a-f]+)$/.exec(a.description)?.[1];
      const what = a.description.startsWith('Terminating') ? 'Terminate' : 'Launch';
      out.push(
        eventBridge.scaling(this.origin(`asg-${a.id}`, a.finishAt), {
          what,
          successful: a.finalStatus === 'Successful',
          group: a.asg,
          ...(instanceId ? { instanceId } : {}),
          activityId: a.id,
          cause: a.cause,
          ...(a.statusMessage ? { statusMessage: a.statusMessage } : {}),
          zone: this.instances.find((x) => x.id === instanceId)?.zone ?? `${this.region}a`,
          start: a.startTime,
        }),
      );
    }
    return out.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  }

  /** EC2 status check failures (`StatusCheckFailed_Instance` or `_System`) from now, for `forMs` or for good. */
  failStatusCheck(instanceId: string, kind: 'instance' | 'system', forMs = Number.POSITIVE_INFINITY): void {
    const now = this.clock.now();
    this.instance(instanceId).statusFailures.push({ kind, from: minuteOf(now), to: now + forMs });
  }

  /** Overrides one metric of an instance (per minute; Sum metrics add up over longer periods). */
  setMetric(instanceId: string, metric: SimMetric, value: number | ((t: EpochMs) => number)): void {
    this.instance(instanceId).overrides.set(metric, value);
  }

  /** CloudWatch points for periods ending in the next `forMs` become readable only `delayMs` later still. */
  delayCloudWatch(forMs: number, delayMs: number): void {
    const now = this.clock.now();
    this.cwDelays.push({ from: now, to: now + forMs, delayMs });
  }

  setClusterStatus(cluster: string, status: ClusterStatus, healthIssues: readonly HealthIssue[] = []): void {
    const c = this.cluster(cluster);
    c.status = status;
    c.healthIssues = [...healthIssues];
  }

  /** EKS health issues of a managed node group (none: healthy again). */
  setNodeGroupHealth(cluster: string, group: string, issues: readonly HealthIssue[]): void {
    this.group(cluster, group).healthIssues = [...issues];
  }

  /** The next `times` calls of `operation` (an IAM action name, e.g. `eks:DescribeCluster`) fail. */
  failNext(operation: string, times = 1, error: () => Error = () => simError('ThrottlingException', 'Rate exceeded')): void {
    this.faults.set(operation, { left: times, error });
  }

  /** The group's instances in launch order (scenarios name nodes `<group>/<index>`, index from 1). */
  instancesOf(cluster: string, group: string): Host[] {
    this.advance();
    const g = this.group(cluster, group);
    return this.instances.filter((i) => i.group === g && i.launchAt <= this.clock.now()).map((i) => this.host(i));
  }

  /** Every visible instance of the cluster, as EC2 describes it now (for the simulated Kubernetes side). */
  hosts(cluster: string): Host[] {
    this.advance();
    return this.visible(cluster).map((i) => this.host(i));
  }

  // ---------------------------------------------------------------------------------------------------
  // The collector's interfaces
  // ---------------------------------------------------------------------------------------------------

  /** The four APIs, counting their calls into `calls`. */
  apis(calls: CallCounter): AwsAccount {
    const call = (operation: string, pages = 1) => {
      this.advance();
      for (let p = 0; p < pages; p++) calls.count(operation);
      const f = this.faults.get(operation);
      if (f && f.left > 0) {
        f.left--;
        throw f.error();
      }
    };
    const eks: EksApi = {
      describeCluster: async (name) => {
        call('eks:DescribeCluster');
        const c = this.clusters.get(name);
        if (!c) throw simError('ResourceNotFoundException', `No cluster found for name: ${name}.`, 404);
        return this.clusterInfo(c);
      },
      listNodegroups: async (name) => {
        const managed = [...(this.clusters.get(name)?.groups.values() ?? [])].filter((g) => g.spec.kind === 'managed');
        call('eks:ListNodegroups', pages(managed.length, NODEGROUPS_PER_PAGE));
        if (!this.clusters.has(name)) throw simError('ResourceNotFoundException', `No cluster found for name: ${name}.`, 404);
        return managed.map((g) => g.spec.name);
      },
      describeNodegroup: async (cluster, name) => {
        call('eks:DescribeNodegroup');
        const g = this.clusters.get(cluster)?.groups.get(name);
        if (!g || g.spec.kind !== 'managed') throw simError('ResourceNotFoundException', `No node group found for name: ${name}.`, 404);
        return this.nodeGroup(g);
      },
    };
    const ec2: Ec2Api = {
      describeClusterInstances: async (cluster) => {
        const all = this.visible(cluster);
        // Three tag filters (see lambdas/aws/ec2.ts): every instance but Auto Mode's, the managed groups' again, Auto Mode's.
        const count = (p: (k: SimNodeGroupKind) => boolean) => pages(all.filter((i) => p(i.group.spec.kind)).length, INSTANCES_PER_PAGE);
        call('ec2:DescribeInstances', count((k) => k !== 'auto-mode') + count((k) => k === 'managed') + count((k) => k === 'auto-mode'));
        return all.map((i) => this.clusterInstance(i));
      },
    };
    const autoScaling: AutoScalingApi = {
      describeGroups: async (query: GroupQuery) => {
        const all = [...this.clusters.values()].flatMap((c) => [...c.groups.values()]).filter((g) => g.asgName);
        let found: Group[];
        let n: number;
        if ('names' in query) {
          const wanted = new Set(query.names);
          found = all.filter((g) => wanted.has(g.asgName!));
          n = 0;
          for (let i = 0; i < query.names.length; i += GROUP_NAMES_PER_CALL) {
            const chunk = new Set(query.names.slice(i, i + GROUP_NAMES_PER_CALL));
            n += pages(found.filter((g) => chunk.has(g.asgName!)).length, GROUPS_PER_PAGE);
          }
        } else {
          found = all.filter((g) => g.cluster === query.clusterTag);
          n = pages(found.length, GROUPS_PER_PAGE);
        }
        call('autoscaling:DescribeAutoScalingGroups', n);
        return found.map((g) => this.describedGroup(g));
      },
      describeScalingActivities: async (group, since) => {
        const now = this.clock.now();
        // As AWS lists them: activities still in progress first, then the others newest first.
        const all = this.activities
          .filter((a) => a.asg === group && a.startTime <= now)
          .map((a) => this.activity(a, now))
          .sort((a, b) => Number(isFinalActivity(a.status)) - Number(isFinalActivity(b.status)) || b.startTime - a.startTime);
        const older = all.findIndex((a) => isFinalActivity(a.status) && a.startTime < since);
        const needed = older === -1 ? all.length : older + 1;
        call('autoscaling:DescribeScalingActivities', Math.min(MAX_ACTIVITY_PAGES, pages(needed, ACTIVITIES_PER_PAGE)));
        return all.slice(0, Math.min(needed, MAX_ACTIVITY_PAGES * ACTIVITIES_PER_PAGE)).filter((a) => a.startTime >= since || !isFinalActivity(a.status));
      },
    };
    const cloudWatch: CloudWatchApi = {
      getMetricData: async (queries, from, to) => {
        if (queries.length > MAX_QUERIES_PER_CALL) throw new RangeError(`GetMetricData takes at most ${MAX_QUERIES_PER_CALL} queries a request, got ${queries.length}`);
        if (queries.length === 0) return [];
        this.advance();
        const series = queries.map((q) => metricSeries(this.metricSource, q, from, to));
        // Pages by data points; each page is billed for every query.
        const n = pages(series.reduce((a, s) => a + s.points.length, 0), DATAPOINTS_PER_PAGE);
        call('cloudwatch:GetMetricData', n);
        calls.countMetrics(queries.length * n);
        return series;
      },
      listMetrics: async (namespace, metricName) => {
        const now = this.clock.now();
        const agents =
          namespace === 'CWAgent' && (metricName === 'mem_used_percent' || metricName === 'disk_used_percent')
            ? this.instances.filter((i) => i.group.spec.cloudWatchAgent && i.runningAt <= now && (i.terminatedAt === undefined || now - i.terminatedAt < 3 * HOUR_MS))
            : [];
        call('cloudwatch:ListMetrics', pages(agents.length, LISTED_METRICS_PER_PAGE));
        return agents.map((i) => ({
          InstanceId: i.id,
          ImageId: 'ami-0c2b8ca1dad447f8a',
          InstanceType: i.group.spec.instanceType,
          ...(i.group.asgName ? { AutoScalingGroupName: i.group.asgName } : {}),
          ...(metricName === 'disk_used_percent' ? { path: '/', device: 'nvme0n1p1', fstype: 'xfs' } : {}),
        }));
      },
    };
    return { eks, ec2, autoScaling, cloudWatch };
  }

  // ---------------------------------------------------------------------------------------------------
  // Time
  // ---------------------------------------------------------------------------------------------------

  /** Applies every minute from the last one applied up to now: launches, replacements, failed retries. */
  private advance(): void {
    const target = minuteOf(this.clock.now());
    while (this.advancedTo < target) {
      this.advancedTo += MINUTE_MS;
      for (const c of this.clusters.values()) for (const g of c.groups.values()) this.reconcile(g, this.advancedTo);
    }
  }

  /** What an Auto Scaling group (or Karpenter) does at time `t` when its capacity differs from desired. */
  private reconcile(g: Group, t: EpochMs): void {
    if (g.update) this.stepUpdate(g, g.update, t);
    const live = this.instances.filter((i) => i.group === g && i.launchAt <= t && i.terminateAt === undefined);
    const cause = g.cause;
    if (live.length < g.desired) {
      const why = this.causeText(g, cause, t, live.length, 'increasing');
      if (g.launchFailure !== undefined) {
        if (g.lastFailedAt !== undefined && t - g.lastFailedAt < RELAUNCH_AFTER_FAILURE_MS) return;
        g.lastFailedAt = t;
        if (g.asgName) {
          this.activities.push({
            id: this.uuid(),
            asg: g.asgName,
            startTime: t,
            finishAt: t + 10_000,
            finalStatus: 'Failed',
            cause: why,
            description: 'Launching a new EC2 instance.  Status Reason: ' + g.launchFailure,
            statusMessage: g.launchFailure,
          });
        }
        return;
      }
      for (let n = live.length; n < g.desired; n++) {
        const i = this.launch(g, t, true);
        if (g.asgName) this.activities.push({ id: this.uuid(), asg: g.asgName, startTime: t, finishAt: i.inServiceAt, finalStatus: 'Successful', cause: why, description: `Launching a new EC2 instance: ${i.id}` });
      }
    } else if (live.length > g.desired) {
      const why = this.causeText(g, cause, t, live.length, 'shrinking');
      const chosen = live.filter((i) => cause?.terminate.includes(i.id));
      const rest = live.filter((i) => !chosen.includes(i)).sort((a, b) => b.launchAt - a.launchAt);
      let current = live.length;
      for (const i of [...chosen, ...rest].slice(0, live.length - g.desired)) {
        // A termination request names its instance: its activity's cause is that request, one capacity step at a time.
        const requested = cause?.cause.kind === 'terminate-request' && chosen.includes(i) && t - cause.at <= MINUTE_MS;
        this.terminate(i, t, requested ? `At ${iso(cause.at)} instance ${i.id} was taken out of service in response to a user request, shrinking the capacity from ${current} to ${current - 1}.` : `${why}  At ${iso(t)} instance ${i.id} was selected for termination.`);
        current--;
      }
    }
  }

  /** One step of a managed node group update (see {@link updateNodeGroup}). */
  private stepUpdate(g: Group, update: NonNullable<Group['update']>, t: EpochMs): void {
    const mine = this.instances.filter((i) => i.group === g && i.launchAt <= t);
    const live = mine.filter((i) => i.terminateAt === undefined);
    if (live.some((i) => t < i.inServiceAt)) return;
    const old = live.find((i) => update.old.has(i.id));
    if (old) {
      this.terminate(old, t, `At ${iso(t)} instance ${old.id} was taken out of service in response to a user request.`);
      return;
    }
    if (!update.scaledDown) {
      update.scaledDown = true;
      g.cause = { cause: { kind: 'user' }, from: g.desired, at: t, terminate: [] };
      g.desired -= 1;
      g.max -= 1;
      return;
    }
    if (mine.every((i) => i.terminatedAt === undefined || i.terminatedAt <= t) && live.length === g.desired) g.update = undefined;
  }

  private causeText(g: Group, cause: Group['cause'], t: EpochMs, current: number, direction: 'increasing' | 'shrinking'): string {
    const change = `At ${iso(t)} an instance was ${direction === 'increasing' ? 'started' : 'taken out of service'} in response to a difference between desired and actual capacity, ${direction} the capacity from ${current} to ${g.desired}.`;
    if (!cause || t - cause.at > MINUTE_MS) return change;
    const at = iso(cause.at);
    const head =
      cause.cause.kind === 'alarm'
        ? `At ${at} a monitor alarm ${cause.cause.alarm} in state ALARM triggered policy ${cause.cause.policy} changing the desired capacity from ${cause.from} to ${g.desired}.`
        : cause.cause.kind === 'scheduled'
          ? `At ${at} a scheduled action ${cause.cause.action} was executed, changing the desired capacity from ${cause.from} to ${g.desired}.`
          : `At ${at} a user request update of AutoScalingGroup constraints to min: ${g.min}, max: ${g.max}, desired: ${g.desired} changing the desired capacity from ${cause.from} to ${g.desired}.`;
    return `${head}  ${change}`;
  }

  private launch(g: Group, t: EpochMs, booting: boolean): Instance {
    const n = this.ipSeq++;
    const zone = g.spec.zones[this.instances.filter((i) => i.group === g).length % g.spec.zones.length];
    const i: Instance = {
      id: `i-0${this.hex(16)}`,
      cluster: g.cluster,
      group: g,
      zone,
      ip: `10.0.${Math.floor(n / 250)}.${(n % 250) + 4}`,
      launchAt: t,
      runningAt: booting ? t + MINUTE_MS : t,
      inServiceAt: booting ? t + g.spec.bootMinutes * MINUTE_MS : t,
      unhealthy: false,
      statusFailures: [],
      overrides: new Map(),
    };
    this.instances.push(i);
    return i;
  }

  private terminate(i: Instance, t: EpochMs, cause: string): void {
    i.terminateAt = t;
    i.terminatedAt = t + SHUTDOWN_MS;
    if (i.group.asgName) {
      this.activities.push({ id: this.uuid(), asg: i.group.asgName, startTime: t, finishAt: i.terminatedAt, finalStatus: 'Successful', cause, description: `Terminating EC2 instance: ${i.id}` });
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Views, as the APIs describe things at `clock.now()`
  // ---------------------------------------------------------------------------------------------------

  private visible(cluster: string): Instance[] {
    const now = this.clock.now();
    return this.instances.filter((i) => i.cluster === cluster && i.launchAt <= now && (i.terminatedAt === undefined || now < i.terminatedAt + TERMINATED_VISIBLE_MS));
  }

  private state(i: Instance, t: EpochMs): InstanceState {
    if (t < i.runningAt) return 'pending';
    if (i.terminateAt === undefined || t < i.terminateAt) return 'running';
    return t < i.terminatedAt! ? 'shutting-down' : 'terminated';
  }

  private host(i: Instance): Host {
    const now = this.clock.now();
    const state = this.state(i, now);
    return {
      instanceId: i.id,
      instanceType: i.group.spec.instanceType,
      zone: i.zone,
      capacityType: i.group.spec.capacityType as CapacityType,
      state,
      launchTime: i.launchAt,
      privateDnsName: state === 'terminated' ? undefined : `ip-${i.ip.replace(/\./g, '-')}.${this.region}.compute.internal`,
      privateIp: state === 'terminated' ? undefined : i.ip,
      autoScalingGroup: i.group.asgName,
      nodeGroup: i.group.spec.name,
    };
  }

  private clusterInstance(i: Instance): ClusterInstance {
    return { host: this.host(i), detailedMonitoring: i.group.spec.detailedMonitoring, nodePool: i.group.spec.kind === 'karpenter' || i.group.spec.kind === 'auto-mode' ? i.group.spec.name : undefined };
  }

  private clusterInfo(c: Cluster): ClusterInfo {
    return { name: c.name, status: c.status, version: c.version, platformVersion: 'eks.12', healthIssues: c.healthIssues };
  }

  private nodeGroup(g: Group): NodeGroup {
    return {
      name: g.spec.name,
      kind: 'managed',
      status: g.update ? 'UPDATING' : g.healthIssues.length ? 'DEGRADED' : 'ACTIVE',
      scaling: { min: g.min, max: g.max, desired: g.desired },
      autoScalingGroups: g.asgName ? [g.asgName] : [],
      instanceTypes: [g.spec.instanceType],
      capacityType: g.spec.capacityType,
      healthIssues: g.healthIssues,
    };
  }

  private describedGroup(g: Group): DescribedGroup {
    const now = this.clock.now();
    const members = this.instances.filter((i) => i.group === g && i.launchAt <= now && (i.terminatedAt === undefined || now < i.terminatedAt));
    const instances = members.map((i) => ({
      instanceId: i.id,
      lifecycleState: i.terminateAt !== undefined && now >= i.terminateAt ? 'Terminating' : now < i.inServiceAt ? 'Pending' : 'InService',
      healthStatus: i.unhealthy ? ('Unhealthy' as const) : ('Healthy' as const),
      zone: i.zone,
      instanceType: g.spec.instanceType,
    }));
    const count = (s: string) => instances.filter((i) => i.lifecycleState === s).length;
    const managed = g.spec.kind === 'managed';
    return {
      name: g.asgName!,
      nodeGroup: g.spec.name,
      min: g.min,
      max: g.max,
      desired: g.desired,
      inService: count('InService'),
      pending: count('Pending'),
      terminating: count('Terminating'),
      standby: 0,
      instances,
      eksNodeGroup: managed ? g.spec.name : undefined,
    };
  }

  private activity(a: Activity, now: EpochMs): ScalingActivity {
    const done = now >= a.finishAt;
    return {
      activityId: a.id,
      autoScalingGroup: a.asg,
      status: done ? a.finalStatus : 'InProgress',
      cause: a.cause,
      description: a.description,
      statusMessage: done ? a.statusMessage : undefined,
      startTime: a.startTime,
      endTime: done ? a.finishAt : undefined,
    };
  }

  private cluster(name: string): Cluster {
    const c = this.clusters.get(name);
    if (!c) throw new Error(`no cluster ${name}`);
    return c;
  }

  private group(cluster: string, name: string): Group {
    const g = this.cluster(cluster).groups.get(name);
    if (!g) throw new Error(`cluster ${cluster}: no node group ${name}`);
    return g;
  }

  private instance(id: string): Instance {
    const i = this.instances.find((x) => x.id === id);
    if (!i) throw new Error(`no instance ${id}`);
    return i;
  }

  private origin(id: string, time: EpochMs) {
    return { id, time, account: SIM_ACCOUNT_ID, region: this.region };
  }

  private hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.random() * 16).toString(16);
    return s;
  }

  private uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-${this.hex(4)}-${this.hex(4)}-${this.hex(12)}`;
  }
}

/** Pages a listing of `n` items takes (an empty listing is still one call). */
function pages(n: number, size: number): number {
  return Math.max(1, Math.ceil(n / size));
}

function iso(t: EpochMs): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
