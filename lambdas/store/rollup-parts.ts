/**
 * A cluster-minute's Kubernetes rollup is written in parts when the agent splits a full batch: one part per
 * batch part, keyed by collection cycle. Reads merge the parts back into one rollup.
 */
import type { KubeRollup, WorkloadMinute } from '../../model/domain';
import type { EpochMs } from '../../model/time';

/** Which part of a split full batch a rollup part comes from. */
export interface RollupPart {
  readonly index: number;
  readonly count: number;
}
export const WHOLE: RollupPart = { index: 0, count: 1 };

/** A rollup part as stored: which part of its batch, which shard of a sharded agent, and its fields. */
export interface StoredRollupPart {
  readonly part: RollupPart;
  readonly shard?: RollupPart;
  readonly rollup: KubeRollup;
}

/**
 * One minute's kube rollup from the parts stored for it. Parts of one collection cycle merge; the newest
 * cycle with every part wins, so a late older batch or a newer cycle still arriving never hides a complete
 * one. With no complete cycle, the newest is returned marked `partial`. A sharded agent's shards are the
 * parts of the minute: each shard's newest complete cycle, merged; a shard missing makes it `partial`. The
 * shard count of the newest part decides (a replica count being changed leaves the old layout's parts out).
 */
export function mergeKubeRollupParts(parts: readonly StoredRollupPart[]): KubeRollup | undefined {
  if (parts.length === 0) return undefined;
  const newest = parts.reduce((a, b) => (b.rollup.collectedAt > a.rollup.collectedAt ? b : a));
  return newest.shard ? mergeShards(parts, newest.shard.count) : mergeNewestCycle(parts.filter((p) => !p.shard));
}

function mergeShards(parts: readonly StoredRollupPart[], count: number): KubeRollup {
  const shards = Array.from({ length: count }, (_, index) =>
    mergeNewestCycle(parts.filter((p) => p.shard?.count === count && p.shard.index === index)),
  );
  const present = shards.flatMap((rollup, index) => (rollup ? [{ part: { index, count }, rollup }] : []));
  const merged = mergeCycle(present);
  const complete = present.filter((p) => !p.rollup.partial).length;
  return complete === count ? merged : { ...merged, partial: { parts: complete, count } };
}

function mergeNewestCycle(parts: readonly { part: RollupPart; rollup: KubeRollup }[]): KubeRollup | undefined {
  if (parts.length === 0) return undefined;
  const cycles = new Map<EpochMs, Map<number, { part: RollupPart; rollup: KubeRollup }>>();
  for (const p of parts) {
    const cycle = cycles.get(p.rollup.collectedAt) ?? new Map();
    cycle.set(p.part.index, p);
    cycles.set(p.rollup.collectedAt, cycle);
  }
  const newestFirst = [...cycles.entries()]
    .sort(([a], [b]) => b - a)
    .map(([, c]) => [...c.values()].sort((a, b) => a.part.index - b.part.index));
  const complete = newestFirst.find((c) => c.length === c[0].part.count);
  const current = complete ?? newestFirst[0];
  const merged = mergeCycle(current);
  return complete ? merged : { ...merged, partial: { parts: current.length, count: current[0].part.count } };
}

function mergeCycle(current: readonly { part: RollupPart; rollup: KubeRollup }[]): KubeRollup {
  if (current.length === 1) return current[0].rollup;
  const head = current.find((p) => p.part.index === 0)?.rollup ?? current[0].rollup;
  const workloads = new Map<string, WorkloadMinute>();
  for (const { rollup } of current) {
    for (const w of rollup.workloads) {
      const id = `${w.namespace}/${w.kind}/${w.name}`;
      const acc = workloads.get(id);
      workloads.set(
        id,
        acc
          ? {
              ...acc,
              pods: acc.pods + w.pods,
              readyPods: acc.readyPods + w.readyPods,
              restarts: acc.restarts + w.restarts,
              oomKilled: acc.oomKilled + w.oomKilled,
              cpuMilli: acc.cpuMilli + w.cpuMilli,
              memoryWorkingSetBytes: acc.memoryWorkingSetBytes + w.memoryWorkingSetBytes,
              desired: acc.desired ?? w.desired,
              available: acc.available ?? w.available,
            }
          : w,
      );
    }
  }
  return {
    ...head,
    nodes: current.flatMap((p) => p.rollup.nodes),
    workloads: [...workloads.values()],
    pendingPods: current.flatMap((p) => p.rollup.pendingPods),
    events: current.flatMap((p) => p.rollup.events),
    scrapeErrors: current.flatMap((p) => p.rollup.scrapeErrors),
  };
}
