/** Rules about the EC2 instances under the nodes, from the collector's CloudWatch figures. */
import type { HostMetrics, HostNodeMinute, Subject } from '../../../model/domain';
import type { EvaluationContext } from '../context';
import { round1 } from './common';
import { defineRule, param, type Draft } from './types';

/**
 * No metrics for this instance in this evaluation: host metrics are read once per CloudWatch period and
 * arrive minutes late. An instance that no longer exists is not "unknown", it is gone (its alert resolves).
 */
function hostBlind(ctx: EvaluationContext, s: Subject): boolean {
  if (!ctx.hosts) return true;
  if (s.instanceId === undefined || ctx.hosts.has(s.instanceId)) return false;
  return ctx.cloud?.hosts.some((h) => h.instanceId === s.instanceId) ?? true;
}

/**
 * Blind for one metric too: an instance whose metric no period read holds yet (basic-monitoring CPU comes
 * in 5-minute points, after the status checks) is unknown, so a pending alert keeps its `for`.
 */
function metricBlind(field: keyof HostMetrics): (ctx: EvaluationContext, s: Subject) => boolean {
  return (ctx, s) => {
    const h = s.instanceId === undefined ? undefined : ctx.hosts?.get(s.instanceId);
    return hostBlind(ctx, s) || (h !== undefined && h.metrics[field] === undefined);
  };
}

function hostSubject(ctx: EvaluationContext, h: HostNodeMinute): Subject {
  return { cluster: ctx.cluster, nodeGroup: h.host.nodeGroup, autoScalingGroup: h.host.autoScalingGroup, instanceId: h.host.instanceId };
}

function nodeOf(ctx: EvaluationContext, h: HostNodeMinute): string | undefined {
  return ctx.nodeOfInstance.get(h.host.instanceId);
}

export const hostStatusCheckFailed = defineRule({
  id: 'host-status-check-failed',
  title: 'EC2 status check failed',
  meaning:
    'CloudWatch reports a failed EC2 status check for an instance of the cluster: the instance check (its OS: kernel, memory exhaustion, network config) or the system check (AWS hardware or network; critical). Auto Scaling replaces an impaired instance only after a few minutes, if at all.',
  action:
    "Look at the instance's system log and status checks in the EC2 console; reboot or terminate it (its Auto Scaling group launches a replacement); system check failures need a stop/start to move hosts.",
  sources: { cloud: ['cloudwatch', 'ec2'] },
  defaults: { severity: 'warning', for: '2m', systemCritical: true },
  params: { systemCritical: param.bool() },
  threshold: (p) => `StatusCheckFailed ≥ 1${p.systemCritical ? '; critical when the system check failed' : ''}`,
  // Its instance's node stops being Ready: news to this story (see node-not-ready's).
  inhibits: [{ target: { rule: 'node-not-ready' }, equal: ['node'], story: true, tells: 'always' }],
  evaluate(ctx, s) {
    const out: Draft[] = [];
    for (const h of ctx.hosts?.values() ?? []) {
      const m = h.metrics;
      if (!((m.statusCheckFailed ?? 0) >= 1 || (m.statusCheckFailedInstance ?? 0) >= 1 || (m.statusCheckFailedSystem ?? 0) >= 1)) continue;
      const system = (m.statusCheckFailedSystem ?? 0) >= 1;
      const node = nodeOf(ctx, h);
      out.push({
        subject: hostSubject(ctx, h),
        severity: s.params.systemCritical && system ? 'critical' : s.severity,
        summary: `EC2 ${system ? 'system' : 'instance'} status check failed for ${h.host.instanceId}${node ? ` (node ${node})` : ''}`,
        evidence: {
          statusCheckFailedSystem: m.statusCheckFailedSystem ?? 0,
          statusCheckFailedInstance: m.statusCheckFailedInstance ?? 0,
          instanceType: h.host.instanceType,
          zone: h.host.zone,
          state: h.host.state,
          ...(node ? { node } : {}),
        },
        nodes: node ? [node] : undefined,
      });
    }
    return out;
  },
  blind: hostBlind,
});

export const hostCpuHigh = defineRule({
  id: 'host-cpu-high',
  title: 'Host CPU high',
  meaning:
    "An instance's CPU (CloudWatch CPUUtilization) stayed above the threshold for a long time: its pods are starved or throttled, and on burstable instances the CPU credits run out.",
  action:
    'Find the busy pods on the node (`kubectl top pods -A --sort-by=cpu`); set CPU requests that reflect their use so the scheduler spreads them, or use a larger instance type.',
  sources: { cloud: ['cloudwatch', 'ec2'] },
  defaults: { severity: 'warning', for: '30m', cpuPct: 90 },
  params: { cpuPct: param.pct() },
  threshold: (p) => `CPUUtilization > ${p.cpuPct}%`,
  evaluate(ctx, s) {
    const out: Draft[] = [];
    for (const h of ctx.hosts?.values() ?? []) {
      const cpu = h.metrics.cpuPct;
      if (cpu === undefined || cpu <= s.params.cpuPct) continue;
      const node = nodeOf(ctx, h);
      out.push({
        subject: hostSubject(ctx, h),
        severity: s.severity,
        summary: `Instance ${h.host.instanceId}${node ? ` (node ${node})` : ''} runs at ${round1(cpu)}% CPU`,
        evidence: { cpuPct: round1(cpu), instanceType: h.host.instanceType, zone: h.host.zone, ...(node ? { node } : {}) },
        nodes: node ? [node] : undefined,
      });
    }
    return out;
  },
  blind: metricBlind('cpuPct'),
});
