/** `vigil query nodes`: every node's latest figures from the cluster rollup; with `--node`, one node minute by minute. */
import { shortNode } from '../../model/display';
import type { NodeMinute } from '../../model/domain';
import { formatDuration } from '../../model/quantity';
import { MINUTE_MS, utc, type EpochMs } from '../../model/time';
import { pctText, table, utcCell } from '../table';
import { bucket, iso, maxOf, nothingFound, pct, stepFor, windowText, type Context, type QueryResult } from './context';

export async function queryNodes(c: Context): Promise<QueryResult> {
  return c.opts.node ? nodeHistory(c, c.opts.node) : latestNodes(c);
}

async function latestNodes(c: Context): Promise<QueryResult> {
  const rollups = await c.store.rollups(c.cluster, c.from, c.to);
  const latest = [...rollups].reverse().find((r) => r.kube?.nodes.length);
  if (!latest) return nothingFound(c, 'no node');
  const cloud = [...rollups].reverse().find((r) => r.cloud)?.cloud;
  const hosts = new Map((cloud?.hosts ?? []).map((h) => [h.instanceId, h]));
  const nodes = [...latest.kube!.nodes]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((n) => {
      const host = n.instanceId ? hosts.get(n.instanceId) : undefined;
      return {
        name: n.name,
        instanceId: n.instanceId,
        nodeGroup: n.nodeGroup,
        zone: n.zone,
        ready: n.ready,
        problems: n.problems,
        unschedulable: n.unschedulable,
        cpuPct: pct(n.cpuMilli, n.allocatable.cpuMilli),
        memoryPct: pct(n.memoryWorkingSetBytes, n.allocatable.memoryBytes),
        memoryRequestedPct: pct(n.requested.memoryBytes, n.allocatable.memoryBytes),
        diskPct:
          n.fsCapacityBytes && n.fsAvailableBytes !== undefined
            ? pct(n.fsCapacityBytes - n.fsAvailableBytes, n.fsCapacityBytes)
            : undefined,
        pods: n.pods,
        ec2: host ? (host.lifecycleState ?? host.state) : undefined,
        scrapeError: n.scrapeError,
      };
    });
  const rows = nodes.map((n) => [
    shortNode(n.name),
    n.nodeGroup ?? '-',
    n.zone ?? '-',
    n.instanceId ?? '-',
    n.ec2 ?? '-',
    n.ready === 'True' ? 'Ready' : `NotReady${n.ready === 'Unknown' ? ' (Unknown)' : ''}`,
    [...n.problems, ...(n.unschedulable ? ['cordoned'] : []), ...(n.scrapeError ? [`stats: ${n.scrapeError}`] : [])].join(', ') || '-',
    pctText(n.cpuPct),
    pctText(n.memoryPct),
    pctText(n.memoryRequestedPct),
    pctText(n.diskPct),
    String(n.pods),
  ]);
  const notReady = nodes.filter((n) => n.ready !== 'True').length;
  const text = [
    `Nodes of cluster ${c.cluster} at ${utc(latest.minute)} (the newest minute of ${windowText(c)})`,
    "CPU and MEMORY are kubelet usage and MEM REQ the pods' memory requests, as % of allocatable; DISK is the node filesystem used.",
    '',
    table(
      ['NODE', 'GROUP', 'ZONE', 'INSTANCE', 'EC2', 'READY', 'CONDITIONS', 'CPU', 'MEMORY', 'MEM REQ', 'DISK', 'PODS'],
      rows,
      new Set([7, 8, 9, 10, 11]),
    ),
    '',
    `${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${notReady} not Ready · read ${c.store.capacity.readUnits} read units from ${c.source.description}`,
  ].join('\n');
  return { text, json: { cluster: c.cluster, at: iso(latest.minute), from: iso(c.from), to: iso(c.to), nodes } };
}

interface NodeRow {
  minute: EpochMs;
  key: string;
  ready: string;
  conditions: string[];
  cpuPct?: number;
  ec2CpuPct?: number;
  memoryPct?: number;
  diskPct?: number;
  pods?: number;
}

async function nodeHistory(c: Context, node: string): Promise<QueryResult> {
  const minutes: NodeMinute[] = await c.store.nodeHistory(c.cluster, node, c.from, c.to);
  if (minutes.length === 0) {
    const rollups = c.lastSeen === undefined ? [] : await c.store.rollups(c.cluster, c.from, c.to);
    const names = [...new Set(rollups.flatMap((r) => r.kube?.nodes.map((n) => n.name) ?? []))].sort();
    return nothingFound(
      c,
      `no node "${node}"`,
      names.length
        ? ` (nodes in the window: ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, … ${names.length - 12} more` : ''})`
        : '',
    );
  }
  const raw: NodeRow[] = minutes.map((m) => {
    const k = m.kube;
    return {
      minute: m.minute,
      key: m.key,
      ready: k?.node.conditions.find((x) => x.type === 'Ready')?.status ?? '-',
      conditions: k?.node.conditions.filter((x) => x.type !== 'Ready' && x.status === 'True').map((x) => x.type) ?? [],
      cpuPct: pct(k?.stats?.cpuMilli, k?.node.allocatable.cpuMilli),
      ec2CpuPct: m.host?.metrics.cpuPct,
      memoryPct: pct(k?.stats?.memoryWorkingSetBytes, k?.node.allocatable.memoryBytes),
      diskPct:
        k?.stats?.fsCapacityBytes && k.stats.fsAvailableBytes !== undefined
          ? pct(k.stats.fsCapacityBytes - k.stats.fsAvailableBytes, k.stats.fsCapacityBytes)
          : undefined,
      pods: k?.pods.length,
    };
  });
  const step = stepFor(c);
  const worse = (a: string, b: string) =>
    a === 'False' || b === 'False' ? 'False' : a === 'Unknown' || b === 'Unknown' ? 'Unknown' : a === '-' ? b : a;
  const byKey = [...new Set(raw.map((r) => r.key))].map((key) =>
    bucket(
      raw.filter((r) => r.key === key),
      step,
      (a, b) => ({
        ...a,
        ready: worse(a.ready, b.ready),
        conditions: [...new Set([...a.conditions, ...b.conditions])],
        cpuPct: maxOf(a.cpuPct, b.cpuPct),
        ec2CpuPct: maxOf(a.ec2CpuPct, b.ec2CpuPct),
        memoryPct: maxOf(a.memoryPct, b.memoryPct),
        diskPct: maxOf(a.diskPct, b.diskPct),
        pods: maxOf(a.pods, b.pods),
      }),
    ),
  );
  const name = minutes.find((m) => m.kube)?.kube?.node.name ?? node;
  const sections = byKey.map((rows) =>
    [
      `${shortNode(name)} (${rows[0].key})`,
      table(
        ['MINUTE (UTC)', 'READY', 'CONDITIONS', 'CPU', 'EC2 CPU', 'MEMORY', 'DISK', 'PODS'],
        rows.map((r) => [
          utcCell(r.minute),
          r.ready === 'True' ? 'Ready' : r.ready === '-' ? '-' : 'NotReady',
          r.conditions.join(', ') || '-',
          pctText(r.cpuPct),
          pctText(r.ec2CpuPct),
          pctText(r.memoryPct),
          pctText(r.diskPct),
          r.pods === undefined ? '-' : String(r.pods),
        ]),
        new Set([3, 4, 5, 6, 7]),
      ),
    ].join('\n'),
  );
  const text = [
    `Node ${name} of cluster ${c.cluster}, ${windowText(c)}${step > MINUTE_MS ? `, one row per ${formatDuration(step)} (the highest figure of each)` : ''}`,
    'CPU, MEMORY: kubelet usage as % of allocatable; EC2 CPU: CloudWatch CPUUtilization; DISK: node filesystem used.',
    '',
    sections.join('\n\n'),
    '',
    `read ${c.store.capacity.readUnits} read units from ${c.source.description}`,
  ].join('\n');
  return {
    text,
    json: {
      cluster: c.cluster,
      node: name,
      from: iso(c.from),
      to: iso(c.to),
      stepMinutes: step / MINUTE_MS,
      minutes: byKey.flat().map((r) => ({ ...r, minute: iso(r.minute) })),
    },
  };
}
