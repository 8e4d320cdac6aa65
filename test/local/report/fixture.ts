/**
 * Run records for the report's tests: the domino effect on a small cluster (four nodes, the Auto Scaling
 * group scales one in at onset, memory then climbs on the three left until one goes NotReady), and a
 * generated cluster of any size. Shapes and alert texts follow what the evaluator's rules send.
 */
import type { AlertMark, HostSeries, NodeSeries, RunRecord, WorkloadSeries } from '../../../local/report/run-record';
import { MINUTE_MS } from '../../../model/time';

export const START = Date.UTC(2026, 10, 23, 8, 0);
export const ONSET = START + 30 * MINUTE_MS;
export const END = START + 75 * MINUTE_MS;
const at = (minutesFromOnset: number) => ONSET + minutesFromOnset * MINUTE_MS;
const minutes = (from: number, to: number) => Array.from({ length: (to - from) / MINUTE_MS + 1 }, (_, i) => from + i * MINUTE_MS);
/** Deterministic small wobble in [-1, 1]. */
const wobble = (i: number, seed: number) => Math.sin(i * 0.7 + seed * 1.3) * 0.6 + Math.sin(i * 0.23 + seed) * 0.4;
const MiB = 2 ** 20;

export const CLUSTER = 'shop-prod';
export const NODES = [1, 2, 3, 4].map((i) => `ip-10-0-1-1${i}.eu-west-1.compute.internal`);
export const INSTANCES = ['i-0a1b2c3d4e5f60011', 'i-0a1b2c3d4e5f60012', 'i-0a1b2c3d4e5f60013', 'i-0a1b2c3d4e5f60014'];
const ASG = 'eks-general-5ec8a1b2-0';

/** Node 1 takes the brunt: pressure at +8m, NotReady from +14m to +22m. Node 4 is scaled in at onset. */
function nodeSeries(n: number): NodeSeries {
  const gone = n === 3 ? at(0) : END;
  const points = minutes(START, gone).map((t, i) => {
    const after = Math.max(0, (t - ONSET) / MINUTE_MS);
    const climb = [2.6, 1.7, 1.2, 0][n] * Math.min(after, 12);
    const memoryPct = Math.min(99, [72, 68, 64, 60][n] + climb + wobble(i, n));
    const notReady = n === 0 && t >= at(14) && t < at(22);
    const pressure = [...(memoryPct > 90 ? ['MemoryPressure'] : []), ...(n === 0 && t >= at(12) ? ['DiskPressure'] : [])];
    return {
      t,
      cpuPct: notReady ? undefined : 35 + 10 * n + 8 * wobble(i, n + 7) + (after > 0 && n < 3 ? 15 : 0),
      memoryPct: notReady ? undefined : memoryPct,
      diskPct: notReady ? undefined : [70, 55, 52, 48][n] + (n === 0 ? Math.min(after, 14) * 1.4 : 0) + wobble(i, n + 3),
      ready: !notReady,
      pressure,
      pods: 9 + (after > 0 && n < 3 ? 3 : 0),
    };
  });
  return { name: NODES[n], nodeGroup: 'general', points };
}

function hostSeries(n: number): HostSeries {
  const gone = n === 3 ? at(1) : END;
  return {
    instanceId: INSTANCES[n],
    node: NODES[n],
    nodeGroup: 'general',
    points: minutes(START, gone).map((t, i) => ({
      t,
      cpuPct: 30 + 10 * n + 6 * wobble(i, n + 11) + (t > ONSET && n < 3 ? 18 : 0),
      statusCheckFailed: n === 0 && t >= at(18) && t < at(20) ? 1 : 0,
    })),
  };
}

function workload(
  name: string,
  desired: number,
  opts: { leak?: boolean; unready?: (t: number) => number; memMiB: number },
): WorkloadSeries {
  let restarts = 2;
  let oom = 0;
  return {
    name,
    points: minutes(START, END).map((t, i) => {
      const sinceLeak = (t - (ONSET - 20 * MINUTE_MS)) / MINUTE_MS;
      let mem = opts.memMiB * (1 + 0.03 * wobble(i, name.length));
      if (opts.leak && sinceLeak > 0) {
        const cycle = sinceLeak % 12; // OOM-killed every 12 minutes, then it starts again.
        mem += cycle * 40;
        if (cycle === 0) {
          restarts++;
          oom++;
        }
      }
      return {
        t,
        readyPods: desired - (opts.unready?.(t) ?? 0),
        desired,
        restarts,
        oomKilled: oom,
        memoryWorkingSetBytes: Math.round(mem * MiB),
      };
    }),
  };
}

function alert(
  minutesFromOnset: number,
  rule: string,
  severity: AlertMark['severity'],
  phase: AlertMark['phase'],
  subject: Record<string, string>,
  summary: string,
): AlertMark {
  return { t: at(minutesFromOnset), rule, severity, phase, subject: { cluster: CLUSTER, ...subject }, summary };
}

export const DOMINO_ALERTS: readonly AlertMark[] = [
  alert(
    -12,
    'n1-headroom',
    'warning',
    'firing',
    {},
    `If node ${NODES[3]} (general) were lost, 4 of its 9 pods would not fit on the other 3 nodes: shop/worker-7d9f (no memory request), shop/web-5c4b, shop/web-5c4c`,
  ),
  alert(
    2,
    'scale-in-under-pressure',
    'critical',
    'firing',
    { autoScalingGroup: ASG, nodeGroup: 'general' },
    `${ASG} lowered desired capacity 4 → 3 at 08:30 (scale-in) while the cluster cannot afford it`,
  ),
  alert(
    8,
    'node-pressure',
    'critical',
    'firing',
    { node: NODES[0], nodeGroup: 'general' },
    `MemoryPressure on node ${NODES[0]}: kubelet has insufficient memory available`,
  ),
  alert(
    10,
    'container-oom-killed',
    'warning',
    'firing',
    { namespace: 'shop', workload: 'Deployment/worker', container: 'worker' },
    'Container worker of shop/Deployment/worker was OOM-killed (pod worker-7d9f-x2k4); 3 OOM kills in 24 h',
  ),
  alert(
    14,
    'node-not-ready',
    'critical',
    'firing',
    { node: NODES[0], nodeGroup: 'general' },
    `Node ${NODES[0]} is NotReady: Kubelet stopped posting node status.`,
  ),
  alert(15, 'pods-pending', 'warning', 'firing', {}, '7 pods Pending for 5 min: 0/3 nodes are available: 3 Insufficient memory.'),
  alert(22, 'node-not-ready', 'critical', 'resolved', { node: NODES[0], nodeGroup: 'general' }, `Node ${NODES[0]} is Ready again`),
  alert(25, 'n1-headroom', 'warning', 'resolved', {}, 'Every pod of the worst node now fits elsewhere'),
];

/** The domino effect on four nodes. */
export function dominoRecord(): RunRecord {
  const nodes = [0, 1, 2, 3].map(nodeSeries);
  return {
    scenario: {
      name: 'domino',
      description: 'The Auto Scaling group scales a node in; its pods move to nodes already short of memory, which fall one after another.',
    },
    cluster: CLUSTER,
    start: START,
    onset: ONSET,
    end: END,
    hosts: [0, 1, 2, 3].map(hostSeries),
    nodes,
    workloads: [
      workload('shop/Deployment/web', 6, { memMiB: 1400, unready: (t) => (t >= at(14) && t < at(24) ? 2 : 0) }),
      workload('shop/Deployment/cart', 3, { memMiB: 600 }),
      workload('shop/Deployment/worker', 2, { memMiB: 300, leak: true }),
      workload('kube-system/DaemonSet/aws-node', 4, { memMiB: 180, unready: (t) => (t >= at(0) ? 1 : 0) }),
    ],
    totals: minutes(START, END).map((t) => {
      const notReady = t >= at(14) && t < at(22) ? 1 : 0;
      const nodesNow = t >= at(0) ? 3 : 4;
      return {
        t,
        nodesReady: nodesNow - notReady,
        nodesNotReady: notReady,
        podsPending: t >= at(14) && t < at(30) ? 7 : t >= at(2) ? 3 : 0,
        desiredCapacity: t >= at(0) ? 3 : 4,
        inService: t >= at(1) ? 3 : 4,
      };
    }),
    happenings: [
      { t: ONSET - 20 * MINUTE_MS, text: 'shop/worker starts leaking memory (40Mi/m, no memory limit)' },
      { t: ONSET, text: `${ASG} lowers desired capacity 4 → 3: ${NODES[3]} is terminated` },
      { t: at(1), text: `The pods of ${NODES[3]} are rescheduled onto the three remaining nodes` },
    ],
    alerts: DOMINO_ALERTS,
  };
}

/** `count` nodes for 90 minutes; node `hot` climbs to memory pressure and is named by an alert. */
export function manyNodesRecord(count: number, hot = Math.min(7, count - 1)): RunRecord {
  const end = START + 90 * MINUTE_MS;
  const name = (i: number) => `ip-10-0-${Math.floor(i / 250)}-${(i % 250) + 4}.eu-west-1.compute.internal`;
  const nodes: NodeSeries[] = Array.from({ length: count }, (_, n) => ({
    name: name(n),
    nodeGroup: n % 5 === 4 ? 'spot-general' : 'general',
    points: minutes(START, end).map((t, i) => {
      const memoryPct = n === hot ? Math.min(97, 60 + Math.max(0, (t - ONSET) / MINUTE_MS) * 1.5) : 40 + (n % 17) * 2 + 3 * wobble(i, n);
      return {
        t,
        cpuPct: 30 + (n % 11) * 3 + 5 * wobble(i, n + 1),
        memoryPct,
        diskPct: 40 + (n % 13) * 2,
        ready: true,
        pressure: memoryPct > 90 ? ['MemoryPressure'] : [],
        pods: 30,
      };
    }),
  }));
  return {
    scenario: { name: `steady-${count}`, description: `${count} nodes; one climbs into memory pressure.` },
    cluster: 'big',
    start: START,
    onset: ONSET,
    end,
    hosts: nodes.map((n, i) => ({
      instanceId: `i-0${String(i).padStart(16, '0')}`,
      node: n.name,
      nodeGroup: n.nodeGroup,
      points: n.points.map((p) => ({ t: p.t, cpuPct: p.cpuPct })),
    })),
    nodes,
    workloads: Array.from({ length: count * 3 }, (_, w) => ({
      name: `ns-${w % 8}/Deployment/app-${w}`,
      points: minutes(START, end).map((t, i) => ({
        t,
        readyPods: 5,
        desired: 5,
        restarts: 0,
        oomKilled: 0,
        memoryWorkingSetBytes: (200 + (w % 23) * 40 + 10 * wobble(i, w)) * MiB,
      })),
    })),
    totals: minutes(START, end).map((t) => ({
      t,
      nodesReady: count,
      nodesNotReady: 0,
      podsPending: 0,
      desiredCapacity: count,
      inService: count,
    })),
    happenings: [{ t: ONSET, text: 'memory climbs on one node' }],
    alerts: [
      {
        t: ONSET + 20 * MINUTE_MS,
        rule: 'node-pressure',
        severity: 'critical',
        phase: 'firing',
        subject: { cluster: 'big', node: name(hot) },
        summary: `MemoryPressure on node ${name(hot)}`,
      },
    ],
  };
}
