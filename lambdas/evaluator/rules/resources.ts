/**
 * Node memory, disk and PIDs approaching the kubelet's eviction thresholds (node-pressure-eviction: hard
 * defaults `memory.available<100Mi`, `nodefs.available<10%`, `imagefs.available<15%`,
 * `nodefs.inodesFree<5%`), by level and by trend, so the alert comes before the kubelet starts evicting.
 */
import type { Severity, Subject } from '../../../model/domain';
import { nodeSubject, watchedNodes, type EvaluationContext, type NodeView } from '../context';
import { evictionPoint } from '../eviction';
import { hoursUntil, readSignal, SIGNAL_FIGURES, type Signal, type SignalReading } from '../trend';
import { round1 } from './common';
import { defineRule, param, type Draft, type Evidence } from './types';

/** Stats-based rules know nothing about a node whose newest node-minute has no kubelet figures. */
export function statsBlind(ctx: EvaluationContext, s: Subject): boolean {
  const n = s.node === undefined ? undefined : ctx.nodeByName.get(s.node);
  return n !== undefined && n.kube?.stats === undefined;
}

/**
 * An alert on a node reading (`signalsOf` its evidence) is held while a figure it is read from is unknown:
 * a Windows kubelet reports no PIDs or inodes, any kubelet may leave a stat out. Unknown is not recovered.
 */
function readingBlind(signalsOf: (evidence: Evidence | undefined) => readonly Signal[]) {
  return (ctx: EvaluationContext, s: Subject, evidence?: Evidence): boolean => {
    if (statsBlind(ctx, s)) return true;
    const stats = s.node === undefined ? undefined : ctx.nodeByName.get(s.node)?.kube?.stats;
    return stats !== undefined && signalsOf(evidence).some((signal) => SIGNAL_FIGURES[signal].some((f) => stats[f] === undefined));
  };
}

/** The pods using the most memory on a node, for evidence: `ns/pod 1.2 GiB, …`. */
function topMemoryPods(n: NodeView, count = 3): string {
  return (n.kube?.pods ?? [])
    .map((p) => ({ p, ws: p.containers.reduce((a, c) => a + (c.usage?.memoryWorkingSetBytes ?? 0), 0) }))
    .filter((x) => x.ws > 0)
    .sort((a, b) => b.ws - a.ws)
    .slice(0, count)
    .map(({ p, ws }) => `${p.namespace}/${p.name} ${round1(ws / 1024 ** 3)} GiB`)
    .join(', ');
}

interface Level {
  readonly n: NodeView;
  readonly r: SignalReading;
  readonly freePct: number;
}

function levels(ctx: EvaluationContext, signal: Signal): Level[] {
  const out: Level[] = [];
  for (const n of watchedNodes(ctx)) {
    const r = n.kube ? readSignal(signal, n.kube) : undefined;
    if (r && r.capacity > 0) out.push({ n, r, freePct: (r.available / r.capacity) * 100 });
  }
  return out;
}

const hoursText = (h: number) => (h < 1 ? `${Math.max(1, Math.round(h * 60))} min` : `${round1(h)} h`);

export const nodeMemoryLow = defineRule({
  id: 'node-memory-low',
  title: 'Node memory low',
  meaning:
    "A node's available memory (as the kubelet counts it: capacity minus working set) is low, or falling fast enough to reach the eviction threshold soon. When it reaches the threshold the kubelet evicts pods, BestEffort ones and those above their requests first. On kubelets reporting pressure stall information (1.34+, cgroup v2), a node already tight on memory whose tasks all stall on it (reclaim, thrashing) is reported before the level is reached.",
  action:
    'See which pods use the memory (evidence lists the top ones); set memory requests/limits on them, move them, or add a node before the kubelet evicts.',
  sources: { agent: true, resources: ['nodes'] },
  defaults: {
    severity: 'warning',
    for: '5m',
    warningAvailablePct: 10,
    criticalAvailablePct: 5,
    criticalAvailableMiB: 500,
    evictionMiB: 100,
    fillWithinHours: 2,
    trendBelowPct: 30,
    stallFullPct: 10,
  },
  params: {
    warningAvailablePct: param.pct(),
    criticalAvailablePct: param.pct(),
    criticalAvailableMiB: param.count(0, 10_000_000),
    evictionMiB: param.count(0, 10_000_000),
    fillWithinHours: param.number(0, 720),
    trendBelowPct: param.pct(),
    stallFullPct: param.pct(),
  },
  threshold: (p) =>
    `available < ${p.warningAvailablePct}% (critical < max(${p.criticalAvailableMiB} MiB, ${p.criticalAvailablePct}%)), or < ${p.trendBelowPct}% and reaching ${p.evictionMiB} MiB within ${p.fillWithinHours} h` +
    (p.stallFullPct > 0 ? ` or with every task stalled on memory ≥ ${p.stallFullPct}% of the last 10 s (PSI full, kubelet 1.34+)` : ''),
  // A node whose memory runs low then gets the kubelet's pressure and evictions: the same story.
  inhibits: [
    { target: { rule: 'node-pressure', detail: 'MemoryPressure' }, equal: ['node'], story: true, tells: 'worse' },
    { target: { rule: 'pod-evictions' }, equal: ['node'], story: true, tells: 'always' },
  ],
  evaluate(ctx, s) {
    const p = s.params;
    const out: Draft[] = [];
    for (const { n, r, freePct: reported } of levels(ctx, 'memory.available')) {
      // The levels are set for the default threshold: a kubelet that evicts earlier leaves that much less room.
      const eviction = evictionPoint(n, 'memory.available', r, p.evictionMiB);
      const earlier = Math.max(0, eviction.at - p.evictionMiB);
      const freePct = ((r.available - earlier) / r.capacity) * 100;
      const critical = r.available - earlier < Math.max(p.criticalAvailableMiB, (r.capacity * p.criticalAvailablePct) / 100);
      const hours =
        freePct < p.trendBelowPct && p.fillWithinHours > 0
          ? hoursUntil(ctx.trend, n.name, 'memory.available', r.available, ctx.now, eviction.at)
          : undefined;
      const trending = hours !== undefined && hours <= p.fillWithinHours;
      // PSI full: the whole node waited on memory (reclaim, thrashing). Below the trend level it comes
      // before the level or the trend does; above it, memory is not what the node is short of.
      const st = n.kube?.stats;
      const full = st?.psiMemoryFullAvg10;
      const stalled = p.stallFullPct > 0 && full !== undefined && full >= p.stallFullPct && freePct < p.trendBelowPct;
      if (!critical && freePct >= p.warningAvailablePct && !trending && !stalled) continue;
      const severity: Severity = critical ? 'critical' : s.severity;
      out.push({
        subject: nodeSubject(ctx, n),
        severity,
        summary:
          `Node ${n.name} has ${Math.round(r.available)} MiB of memory available (${round1(reported)}%${earlier > 0 ? `; its kubelet evicts at ${Math.round(eviction.at)} MiB` : ''})` +
          (trending ? `, falling: ${Math.round(eviction.at)} MiB (eviction) in about ${hoursText(hours)}` : '') +
          (stalled ? `; every task stalled on memory ${round1(full)}% of the last 10 s` : '') +
          (topMemoryPods(n) ? `; top pods: ${topMemoryPods(n)}` : ''),
        evidence: {
          memoryAvailableMiB: Math.round(r.available),
          memoryAvailablePct: round1(reported),
          memoryCapacityMiB: Math.round(r.capacity),
          evictionThresholdMiB: Math.round(eviction.at),
          evictionThresholdFrom: eviction.source,
          ...(hours !== undefined ? { hoursToEviction: round1(hours) } : {}),
          ...(st?.psiMemorySomeAvg10 !== undefined ? { memoryStallSomePct: st.psiMemorySomeAvg10 } : {}),
          ...(full !== undefined ? { memoryStallFullPct: full } : {}),
        },
        nodes: [n.name],
      });
    }
    return out;
  },
  blind: readingBlind(() => ['memory.available']),
});

const DISK_SIGNALS = [
  { signal: 'nodefs.available', eviction: 'nodefsEvictionPct', label: 'node filesystem' },
  { signal: 'imagefs.available', eviction: 'imagefsEvictionPct', label: 'image filesystem' },
  { signal: 'containerfs.available', eviction: 'containerfsEvictionPct', label: 'container filesystem' },
  { signal: 'nodefs.inodesFree', eviction: 'inodesEvictionPct', label: 'node filesystem inodes' },
] as const;

/** The filesystems a node-disk-low alert names (its evidence's `signals`, or its one `signal`). */
function diskSignalsOf(evidence: Evidence | undefined): Signal[] {
  const named = String(evidence?.signals ?? evidence?.signal ?? '').split(', ');
  return DISK_SIGNALS.map((d) => d.signal).filter((signal) => named.includes(signal));
}

export const nodeDiskLow = defineRule({
  id: 'node-disk-low',
  title: 'Node disk low',
  meaning:
    "A node's filesystem (nodefs), image filesystem (imagefs), container filesystem (containerfs, kubelet 1.31+ when split from images) or inodes are close to the kubelet's eviction threshold, or will reach it within hours at the current rate. At the threshold the node gets DiskPressure, garbage-collects images and evicts pods. One alert per node names each filesystem concerned (the image filesystem on the root volume, as on EKS, is the same one); the pressure and evictions that follow are part of its story.",
  action:
    'Find what fills the disk (container logs, emptyDir volumes, images: `crictl images`, `du` on /var/lib); clean up or grow the volume; fix the writer if the trend is steady.',
  sources: { agent: true, resources: ['nodes'] },
  defaults: {
    severity: 'warning',
    for: '15m',
    nodefsEvictionPct: 10,
    imagefsEvictionPct: 15,
    // The split layout keeps writable layers on the node filesystem: the kubelet's nodefs threshold.
    containerfsEvictionPct: 10,
    inodesEvictionPct: 5,
    warningMarginPct: 5,
    criticalMarginPct: 2,
    fillWithinHours: 24,
    criticalFillWithinHours: 4,
    trendBelowPct: 25,
  },
  params: {
    nodefsEvictionPct: param.pct(),
    imagefsEvictionPct: param.pct(),
    containerfsEvictionPct: param.pct(),
    inodesEvictionPct: param.pct(),
    warningMarginPct: param.pct(),
    criticalMarginPct: param.pct(),
    fillWithinHours: param.number(0, 720),
    criticalFillWithinHours: param.number(0, 720),
    trendBelowPct: param.pct(),
  },
  threshold: (p) =>
    `free < eviction + ${p.warningMarginPct} pts (critical + ${p.criticalMarginPct}), or < ${p.trendBelowPct}% and reaching eviction within ${p.fillWithinHours} h (critical ${p.criticalFillWithinHours} h); eviction nodefs ${p.nodefsEvictionPct}%, imagefs ${p.imagefsEvictionPct}%, containerfs ${p.containerfsEvictionPct}%, inodes ${p.inodesEvictionPct}%`,
  // A node whose disk runs low then gets the kubelet's pressure and evictions: the same story.
  inhibits: [
    { target: { rule: 'node-pressure', detail: 'DiskPressure' }, equal: ['node'], story: true, tells: 'worse' },
    { target: { rule: 'pod-evictions' }, equal: ['node'], story: true, tells: 'always' },
  ],
  evaluate(ctx, s) {
    const p = s.params;
    // One alert per node naming each filesystem concerned: a disk filling is one story, whichever signals show it.
    const byNode = new Map<string, { n: Level['n']; concerns: { critical: boolean; text: string; evidence: Draft['evidence'] }[] }>();
    for (const d of DISK_SIGNALS) {
      for (const { n, r, freePct } of levels(ctx, d.signal)) {
        const eviction = evictionPoint(n, d.signal, r, (r.capacity * p[d.eviction]) / 100);
        const thresholdAbs = eviction.at;
        const evictionPct = round1((thresholdAbs / r.capacity) * 100);
        const hours = freePct < p.trendBelowPct ? hoursUntil(ctx.trend, n.name, d.signal, r.available, ctx.now, thresholdAbs) : undefined;
        const critical =
          freePct < evictionPct + p.criticalMarginPct ||
          (hours !== undefined && p.criticalFillWithinHours > 0 && hours <= p.criticalFillWithinHours);
        const warning =
          freePct < evictionPct + p.warningMarginPct || (hours !== undefined && p.fillWithinHours > 0 && hours <= p.fillWithinHours);
        if (!critical && !warning) continue;
        const amount = r.unit === 'MiB' ? `${round1(r.available / 1024)} GiB` : `${Math.round(r.available)} ${r.unit}`;
        const entry = byNode.get(n.name) ?? { n, concerns: [] };
        entry.concerns.push({
          critical,
          text:
            `${d.label} has ${amount} free (${round1(freePct)}%; eviction at ${evictionPct}%)` +
            (hours !== undefined && hours <= Math.max(p.fillWithinHours, p.criticalFillWithinHours)
              ? `, reaching it in about ${hoursText(hours)}`
              : ''),
          evidence: {
            signal: d.signal,
            freePct: round1(freePct),
            ...(r.unit === 'MiB'
              ? { freeGiB: round1(r.available / 1024), capacityGiB: round1(r.capacity / 1024) }
              : { free: Math.round(r.available) }),
            evictionThresholdPct: evictionPct,
            evictionThresholdFrom: eviction.source,
            ...(hours !== undefined ? { hoursToEviction: round1(hours) } : {}),
          },
        });
        byNode.set(n.name, entry);
      }
    }
    return [...byNode.values()].map(({ n, concerns }): Draft => {
      // The evidence is the worst filesystem's; the summary names them all.
      const worst = concerns.find((c) => c.critical) ?? concerns[0];
      return {
        subject: nodeSubject(ctx, n),
        severity: worst.critical ? 'critical' : s.severity,
        summary: `Node ${n.name}: ${concerns.map((c) => c.text).join('; ')}`,
        evidence: { ...worst.evidence, ...(concerns.length > 1 ? { signals: concerns.map((c) => c.evidence.signal).join(', ') } : {}) },
        nodes: [n.name],
      };
    });
  },
  blind: readingBlind(diskSignalsOf),
});

export const nodePidsLow = defineRule({
  id: 'node-pids-low',
  title: 'Node PIDs running out',
  meaning:
    'The processes on a node approach its PID limit (kubelet `pid.available`): new processes and containers will fail to start and the kubelet sets PIDPressure.',
  action:
    'Find the pod spawning processes or threads (`ps -eLf | wc -l` per container); set a pod PID limit (`podPidsLimit`) and fix the leak.',
  sources: { agent: true, resources: ['nodes'] },
  defaults: { severity: 'warning', for: '5m', warningUsedPct: 90, criticalUsedPct: 95, fillWithinHours: 2 },
  params: { warningUsedPct: param.pct(), criticalUsedPct: param.pct(), fillWithinHours: param.number(0, 720) },
  threshold: (p) =>
    `PIDs used > ${p.warningUsedPct}% (critical > ${p.criticalUsedPct}%), or reaching ${p.criticalUsedPct}% within ${p.fillWithinHours} h`,
  evaluate(ctx, s) {
    const p = s.params;
    const out: Draft[] = [];
    for (const { n, r, freePct } of levels(ctx, 'pid.available')) {
      const usedPct = 100 - freePct;
      // A kubelet evicting on `pid.available` (none does by default) sets the critical level where it starts.
      const eviction = evictionPoint(n, 'pid.available', r, (r.capacity * (100 - p.criticalUsedPct)) / 100);
      const criticalPct = Math.min(p.criticalUsedPct, 100 - (eviction.at / r.capacity) * 100);
      const warningPct = Math.min(p.warningUsedPct, criticalPct - (p.criticalUsedPct - p.warningUsedPct));
      const hours =
        p.fillWithinHours > 0
          ? hoursUntil(ctx.trend, n.name, 'pid.available', r.available, ctx.now, (r.capacity * (100 - criticalPct)) / 100)
          : undefined;
      const trending = hours !== undefined && hours <= p.fillWithinHours && usedPct > warningPct / 2;
      if (usedPct <= warningPct && !trending) continue;
      out.push({
        subject: nodeSubject(ctx, n),
        severity: usedPct > criticalPct ? 'critical' : s.severity,
        summary: `Node ${n.name} uses ${round1(usedPct)}% of its PIDs (${Math.round(r.capacity - r.available)} of ${Math.round(r.capacity)})${trending ? `, ${round1(criticalPct)}% in about ${hoursText(hours)}` : ''}`,
        evidence: {
          usedPct: round1(usedPct),
          processes: Math.round(r.capacity - r.available),
          maxPid: Math.round(r.capacity),
          criticalUsedPct: round1(criticalPct),
          evictionThresholdFrom: eviction.source,
          ...(hours !== undefined ? { hoursToLimit: round1(hours) } : {}),
        },
        nodes: [n.name],
      });
    }
    return out;
  },
  blind: readingBlind(() => ['pid.available']),
});
