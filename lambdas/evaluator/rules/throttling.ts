/**
 * CPU throttling: a container held at its CPU limit by the CFS quota, told once per workload container. The
 * agent reads the share of CFS periods that ended throttled from each kubelet's cAdvisor metrics; it exists
 * only for containers with a CPU limit (no limit, no quota).
 */
import { workloadName } from '../../../model/domain';
import { isActive, type EvaluationContext } from '../context';
import type { ContainerHit } from '../scan';
import { byContainer, containerSubject } from './containers';
import { distinct, namespaceAllowed, pct } from './common';
import { defineRule, param } from './types';

type ThrottledHit = ContainerHit & { readonly throttledPct: number; readonly limitMilli: number };

/** Running containers with a CPU limit and a throttled share of at least `minPct`. */
function throttled(ctx: EvaluationContext, minPct: number): ThrottledHit[] {
  const out: ThrottledHit[] = [];
  for (const { pod, node } of ctx.pods) {
    if (!isActive(pod)) continue;
    for (const container of pod.containers) {
      const throttledPct = container.usage?.cpuThrottledPct;
      const limitMilli = container.limits.cpuMilli;
      if (throttledPct === undefined || limitMilli === undefined || throttledPct < minPct) continue;
      out.push({ pod, container, node: node.name, throttledPct, limitMilli });
    }
  }
  return out;
}

/** `500m`, `2` (cores): as the limit is written in the pod spec. */
const cpu = (milli: number) => (milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`);

export const containerCpuThrottled = defineRule({
  id: 'container-cpu-throttled',
  title: 'Container CPU-throttled',
  meaning:
    'A container spends much of its time throttled by the CFS quota of its CPU limit: in a large share of the 100-ms periods it runs in, it uses up its quota and waits for the next period. Requests it serves then take longer (tail latency), health checks can time out, and it looks idle on CPU graphs while it waits. Only containers with a CPU limit can be throttled.',
  action:
    "Raise the container's CPU limit, or remove it and keep a CPU request (the request alone reserves CPU without throttling). Usage at the limit (evidence) means it needs more CPU; throttling with usage well below the limit means bursts of many threads: size its thread pools to the limit (GOMAXPROCS, JVM ActiveProcessorCount).",
  sources: { agent: true },
  defaults: { severity: 'warning', for: '15m', throttledPct: 25 },
  params: { throttledPct: param.pct() },
  threshold: (p) => `${p.throttledPct}%+ of CFS periods throttled (containers with a CPU limit)`,
  evaluate(ctx, s) {
    const groups = byContainer(throttled(ctx, s.params.throttledPct).filter((h) => namespaceAllowed(s, h.pod.namespace)));
    return [...groups].map(([key, hits]) => {
      const top = hits.reduce((a, b) => (b.throttledPct > a.throttledPct ? b : a));
      const usage = top.container.usage;
      const usedMilli = usage?.cpuMilli;
      return {
        subject: containerSubject(ctx, key),
        severity: s.severity,
        summary: `Container ${top.container.name} of ${top.pod.namespace}/${workloadName(top.pod.workload)} is CPU-throttled in ${top.throttledPct}% of its periods at its ${cpu(top.limitMilli)} CPU limit${usedMilli !== undefined ? ` (using ${cpu(Math.round(usedMilli))})` : ''}${hits.length > 1 ? `; ${hits.length} pods throttled` : ` (pod ${top.pod.name})`}`,
        evidence: {
          throttledPct: top.throttledPct,
          cpuLimitMilli: top.limitMilli,
          ...(usedMilli !== undefined ? { cpuUsedMilli: Math.round(usedMilli), cpuUsedPctOfLimit: pct(usedMilli, top.limitMilli) } : {}),
          ...(top.container.requests.cpuMilli !== undefined ? { cpuRequestMilli: top.container.requests.cpuMilli } : {}),
          ...(usage?.cpuThrottledSecondsPerSecond !== undefined ? { throttledSecondsPerSecond: usage.cpuThrottledSecondsPerSecond } : {}),
          podsThrottled: hits.length,
          pod: top.pod.name,
        },
        nodes: distinct(hits.map((h) => h.node)),
      };
    });
  },
});
