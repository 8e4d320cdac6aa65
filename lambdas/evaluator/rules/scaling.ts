/** Rules about Auto Scaling groups, EKS node groups and the EKS cluster itself (the collector's data). */
import type { AutoScalingGroup, ScalingActivity, Subject } from '../../../model/domain';
import { activityOfEvent, AWS_EVENTS_LOOKBACK_MS, failedLaunches, FRESH_EVENT_MS } from '../aws-events';
import { watchedNodes, type EvaluationContext } from '../context';
import { utc as at } from '../../../model/time';
import { escalated, listSome, pct, truncate } from './common';
import { defineRule, param, type Draft } from './types';

function groupSubject(ctx: EvaluationContext, g: AutoScalingGroup): Subject {
  return { cluster: ctx.cluster, nodeGroup: g.nodeGroup, autoScalingGroup: g.name };
}

/**
 * A group's failed or cancelled activities the memory holds (the last 2 h), and the failed launches its
 * Auto Scaling events told before the collector read them (same activity id: counted once), newest first.
 */
function failures(ctx: EvaluationContext, group: string): ScalingActivity[] {
  const known = Object.values(ctx.memory.activities).filter((a) => a.autoScalingGroup === group);
  const ids = new Set(known.map((a) => a.activityId));
  const told = (failedLaunches(ctx, ctx.now - AWS_EVENTS_LOOKBACK_MS).get(group) ?? []).filter((e) => !ids.has(e.activityId ?? e.id));
  return [...known, ...told.map((e) => activityOfEvent(e))].sort((a, b) => b.startTime - a.startTime);
}

/** The newest failed or cancelled activity of a group, for evidence ("why is it short?"). */
function lastFailure(ctx: EvaluationContext, group: string): ScalingActivity | undefined {
  return failures(ctx, group)[0];
}

export const asgCapacityShortfall = defineRule({
  id: 'asg-capacity-shortfall',
  title: 'Auto Scaling group short of capacity',
  meaning:
    'An Auto Scaling group has fewer InService instances than its desired capacity for longer than a launch takes: launches fail (capacity, quota, launch template, subnet IPs) or instances fail health checks.',
  action:
    "Read the group's scaling activities (evidence shows the last failure); fix the cause (instance type availability, service quota, launch template, subnet) or add instance types or zones.",
  sources: { cloud: ['autoscaling'] },
  defaults: { severity: 'warning', for: '15m', criticalShortfall: 2, criticalShortfallPct: 20 },
  params: { criticalShortfall: param.count(0, 100_000), criticalShortfallPct: param.pct() },
  threshold: (p) => `InService < desired; critical when short by ${p.criticalShortfall}+ or ${p.criticalShortfallPct}%`,
  // A group short of capacity tells why (its last failure, how many): the failures are its story.
  inhibits: [{ target: { rule: 'asg-activity-failed' }, equal: ['autoScalingGroup'], story: true }],
  evaluate(ctx, s) {
    const out: Draft[] = [];
    for (const g of ctx.cloud?.autoScalingGroups ?? []) {
      const short = g.desired - g.inService;
      if (short <= 0) continue;
      const fail = lastFailure(ctx, g.name);
      const critical =
        (s.params.criticalShortfall > 0 && short >= s.params.criticalShortfall) ||
        (s.params.criticalShortfallPct > 0 && pct(short, g.desired) >= s.params.criticalShortfallPct);
      out.push({
        subject: groupSubject(ctx, g),
        severity: escalated(s.severity, critical),
        summary: `Auto Scaling group ${g.name} has ${g.inService} of ${g.desired} desired instances in service${fail ? `; last failure: ${truncate(fail.statusMessage ?? fail.description, 160)}` : ''}`,
        evidence: {
          desired: g.desired,
          inService: g.inService,
          pending: g.pending,
          terminating: g.terminating,
          shortfall: short,
          ...(fail
            ? { lastFailure: truncate(fail.statusMessage ?? fail.description, 200), failedActivities: failures(ctx, g.name).length }
            : {}),
        },
      });
    }
    return out;
  },
});

export const asgActivityFailed = defineRule({
  id: 'asg-activity-failed',
  title: 'Scaling activity failed',
  meaning:
    'Auto Scaling activities of a group (launches or terminations) ended Failed or Cancelled; one alert per group, whatever the number of activities, with the newest status message and the count of the window. A failed launch is known from its Auto Scaling event (EventBridge) as it happens, before the collector reads the activity. Once the group stays short of its desired capacity, asg-capacity-shortfall tells the story and this alert goes under it.',
  action:
    'Read the status message (evidence): insufficient capacity → add instance types or zones; quota → request an increase; launch template or IAM errors → fix the node group configuration.',
  sources: { cloud: ['autoscaling'] },
  event: true,
  defaults: { severity: 'warning', for: '0', resolveAfter: '1h', renotifyEvery: '0', window: '30m' },
  params: { window: param.duration() },
  threshold: (p) => `status Failed or Cancelled, per group (counted over ${Math.round(p.window / 60_000)} min)`,
  evaluate(ctx, s) {
    // A failed launch's Auto Scaling event is an occurrence as soon as it is filed, minutes before the collector reads the activity.
    const groups = new Set([
      ...ctx.fresh.activities.flatMap((id) => ctx.memory.activities[id]?.autoScalingGroup ?? []),
      ...failedLaunches(ctx, ctx.now - FRESH_EVENT_MS).keys(),
    ]);
    return [...groups].map((group): Draft => {
      const [a, ...older] = failures(ctx, group);
      const recent = [a, ...older.filter((x) => x.startTime >= ctx.now - s.params.window)];
      return {
        subject: { cluster: ctx.cluster, nodeGroup: ctx.groups.get(group)?.nodeGroup, autoScalingGroup: group },
        severity: s.severity,
        summary: `Scaling activity ${a.status} in ${group}${recent.length > 1 ? ` (${recent.length} in ${Math.round(s.params.window / 60_000)} min)` : ''}: ${truncate(a.statusMessage ?? a.description, 200)}`,
        evidence: {
          status: a.status,
          description: truncate(a.description, 200),
          ...(a.statusMessage ? { statusMessage: truncate(a.statusMessage, 300) } : {}),
          cause: truncate(a.cause, 300),
          started: at(a.startTime),
          failedInWindow: recent.length,
        },
        since: Math.min(...recent.map((x) => x.startTime), a.startTime),
      };
    });
  },
});

export const asgMaxPodsPending = defineRule({
  id: 'asg-max-pods-pending',
  title: 'Auto Scaling group at max size with pods pending',
  meaning:
    'Pods cannot be scheduled and an Auto Scaling group of the cluster is already at its maximum size, so no autoscaler can add the capacity they wait for.',
  action: "Raise the group's max size (or the node group's scaling config), add a node group, or reduce the pending pods' requests.",
  sources: { agent: true, resources: ['pods'], cloud: ['autoscaling'] },
  defaults: { severity: 'warning', for: '10m', minPendingPods: 1 },
  params: { minPendingPods: param.count(1, 1_000_000) },
  threshold: (p) => `desired = max and ${p.minPendingPods}+ pods Pending`,
  evaluate(ctx, s) {
    const pending = ctx.kube?.pendingPods ?? [];
    if (pending.length < s.params.minPendingPods) return [];
    const first = pending[0];
    return (ctx.cloud?.autoScalingGroups ?? [])
      .filter((g) => g.max > 0 && g.desired >= g.max)
      .map((g) => ({
        subject: groupSubject(ctx, g),
        severity: s.severity,
        summary: `Auto Scaling group ${g.name} is at its max size (${g.max}) while ${pending.length} pods are Pending${first.message ? ` (${first.namespace}/${first.name}: ${truncate(first.message, 140)})` : ''}`,
        evidence: {
          max: g.max,
          desired: g.desired,
          inService: g.inService,
          pendingPods: pending.length,
          firstPending: `${first.namespace}/${first.name}`,
        },
      }));
  },
});

export const instanceWithoutNode = defineRule({
  id: 'instance-without-node',
  title: 'Instance in service without a node',
  meaning:
    "An InService instance of a cluster Auto Scaling group has no Kubernetes node (it never joined, or its node object was deleted). The group counts it as healthy, so it will not replace it, but it runs no pods. A node that exists but is not Ready is node-not-ready's story, told with what EC2 says of the instance.",
  action:
    "Check the instance's bootstrap (user data, cloud-init log), its IAM role mapping to the cluster (aws-auth or access entries) and the kubelet; terminate it so the group launches a new one.",
  sources: { agent: true, resources: ['nodes'], cloud: ['autoscaling'] },
  defaults: { severity: 'warning', for: '10m' },
  params: {},
  threshold: () => 'InService instance with no node (or only a cordoned one that is not Ready)',
  evaluate(ctx, s) {
    const byInstance = new Map((ctx.kube?.nodes ?? []).filter((n) => n.instanceId).map((n) => [n.instanceId!, n]));
    const watched = new Set(watchedNodes(ctx).map((n) => n.name));
    const launched = new Map((ctx.cloud?.hosts ?? []).map((h) => [h.instanceId, h.launchTime]));
    const out: Draft[] = [];
    for (const g of ctx.cloud?.autoScalingGroups ?? []) {
      for (const inst of g.instances) {
        if (inst.lifecycleState !== 'InService') continue;
        const node = byInstance.get(inst.instanceId);
        // A watched node that is not Ready is told once, by node-not-ready.
        if (node && (node.ready === 'True' || watched.has(node.name))) continue;
        out.push({
          subject: { ...groupSubject(ctx, g), instanceId: inst.instanceId },
          severity: s.severity,
          summary: node
            ? `Instance ${inst.instanceId} of ${g.name} is InService but its node ${node.name} is not Ready (${node.ready})`
            : `Instance ${inst.instanceId} of ${g.name} is InService but no Kubernetes node runs on it`,
          evidence: {
            lifecycleState: inst.lifecycleState,
            healthStatus: inst.healthStatus,
            zone: inst.zone,
            ...(inst.instanceType ? { instanceType: inst.instanceType } : {}),
            node: node?.name ?? 'none',
          },
          since: node ? undefined : launched.get(inst.instanceId),
          nodes: node ? [node.name] : undefined,
        });
      }
    }
    return out;
  },
});

export const clusterNotActive = defineRule({
  id: 'cluster-not-active',
  title: 'EKS cluster not active',
  meaning:
    'EKS reports the cluster in a state other than ACTIVE: FAILED (critical), CREATING/DELETING/PENDING, or UPDATING for longer than an upgrade should take. The control plane may reject or delay changes.',
  action: 'Check the cluster in the EKS console (update history, health issues); an update stuck for hours needs an AWS support case.',
  sources: { cloud: ['eks'] },
  defaults: { severity: 'warning', for: '5m', updatingFor: '90m' },
  params: { updatingFor: param.duration() },
  threshold: (p) => `status ≠ ACTIVE (UPDATING only after ${Math.round(p.updatingFor / 60_000)} min); FAILED is critical`,
  evaluate(ctx, s) {
    const c = ctx.cloud?.cluster;
    if (!c || c.status === 'ACTIVE') return [];
    const since = ctx.memory.clusterStatus?.status === c.status ? ctx.memory.clusterStatus.since : undefined;
    if (c.status === 'UPDATING' && (since === undefined || ctx.now - since < s.params.updatingFor)) return [];
    return [
      {
        subject: { cluster: ctx.cluster },
        severity: escalated(s.severity, c.status === 'FAILED'),
        summary: `EKS cluster ${c.name} is ${c.status}${since ? ` since ${at(since)}` : ''}`,
        evidence: {
          status: c.status,
          ...(c.version ? { version: c.version } : {}),
          ...(c.platformVersion ? { platformVersion: c.platformVersion } : {}),
        },
        since,
      },
    ];
  },
});

export const clusterHealthIssue = defineRule({
  id: 'cluster-health-issue',
  title: 'EKS cluster health issue',
  meaning:
    'EKS reports a health issue on the cluster (e.g. subnets out of IP addresses, a deleted security group or KMS key): the control plane cannot do part of its work.',
  action: "Read the issue code and message (evidence) and fix the named resource; the EKS documentation lists each code's remedy.",
  sources: { cloud: ['eks'] },
  defaults: { severity: 'warning', for: '5m' },
  params: {},
  threshold: () => 'any issue, per code',
  evaluate(ctx, s) {
    return (ctx.cloud?.cluster?.healthIssues ?? []).map((i) => ({
      subject: { cluster: ctx.cluster, detail: i.code },
      severity: s.severity,
      summary: `EKS cluster health issue ${i.code}: ${truncate(i.message, 200)}`,
      evidence: {
        code: i.code,
        message: truncate(i.message, 300),
        ...(i.resourceIds?.length ? { resources: listSome(i.resourceIds) } : {}),
      },
    }));
  },
});

/** States that are no health problem: DELETING is an operator's action (EKS `Nodegroup.status`). */
const HEALTHY_GROUP = ['ACTIVE', 'UPDATING', 'CREATING', 'DELETING'];

export const nodeGroupHealthIssue = defineRule({
  id: 'node-group-health-issue',
  title: 'Node group health issue',
  meaning:
    'EKS reports a health issue on a managed node group (e.g. AsgInstanceLaunchFailures, Ec2LaunchTemplateNotFound, IamInstanceProfileNotFound) or the group is DEGRADED: it cannot launch or manage its nodes.',
  action:
    'Read the issue code and message (evidence); fix the launch template, IAM role, subnet or capacity problem it names, then check that the group returns to ACTIVE.',
  sources: { cloud: ['eks'] },
  defaults: { severity: 'warning', for: '5m' },
  params: {},
  threshold: () => 'any issue, per code; or status not ACTIVE/UPDATING/CREATING/DELETING',
  evaluate(ctx, s) {
    const out: Draft[] = [];
    for (const ng of ctx.cloud?.nodeGroups ?? []) {
      for (const i of ng.healthIssues) {
        out.push({
          subject: { cluster: ctx.cluster, nodeGroup: ng.name, detail: i.code },
          severity: s.severity,
          summary: `Node group ${ng.name}: ${i.code}: ${truncate(i.message, 200)}`,
          evidence: {
            code: i.code,
            message: truncate(i.message, 300),
            ...(ng.status ? { status: ng.status } : {}),
            ...(i.resourceIds?.length ? { resources: listSome(i.resourceIds) } : {}),
          },
        });
      }
      if (ng.healthIssues.length === 0 && ng.status && !HEALTHY_GROUP.includes(ng.status)) {
        // One alert whatever the status (DEGRADED, then CREATE_FAILED…): a value is evidence, never identity.
        out.push({
          subject: { cluster: ctx.cluster, nodeGroup: ng.name, detail: 'status' },
          severity: s.severity,
          summary: `Node group ${ng.name} is ${ng.status}`,
          evidence: { status: ng.status },
        });
      }
    }
    return out;
  },
});
