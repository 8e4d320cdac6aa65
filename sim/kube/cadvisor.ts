/**
 * A simulated node's `GET /metrics/cadvisor`, shaped like a real kubelet's (Prometheus text, `# HELP` and
 * `# TYPE` per family, labels in order `container`, `id`, `image`, `name`, `namespace`, `pod`, a value and
 * a millisecond timestamp; a pod-level cgroup with empty `container`, `image` and `name`). Reference: the
 * sample a live kubelet served in turbonomic/kubeturbo `pkg/discovery/monitoring/kubelet/kubelet_monitor_test.go`
 * (Apache-2.0), with cgroup v2 systemd paths as containerd on Amazon Linux 2023 names them.
 *
 * The CFS families appear only for cgroups with a CPU quota (a limit), as cAdvisor writes them, among
 * some thirty other families for every cgroup, in name order: a reader must skip most of the body.
 */
import type { EpochMs } from '../../model/time';
import { createHash } from 'crypto';
import { qosOf, type ContainerModel, type PodModel, type SimCluster } from './cluster';
import type { CfsCounts } from './counter';

interface Cgroup {
  readonly labels: string;
  readonly usageSeconds: number;
  readonly workingSetBytes: number;
  readonly cfs?: CfsCounts;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<'container' | 'id' | 'image' | 'name' | 'namespace' | 'pod', string>) =>
  (['container', 'id', 'image', 'name', 'namespace', 'pod'] as const).map((k) => `${k}="${escapeLabel(l[k])}"`).join(',');

/** The cgroup v2 slice of a pod, as the kubelet's systemd cgroup driver names it. */
function podSlice(p: PodModel): string {
  const uid = p.uid.replace(/-/g, '_');
  const qos = qosOf(p);
  return qos === 'Guaranteed'
    ? `/kubepods.slice/kubepods-pod${uid}.slice`
    : `/kubepods.slice/kubepods-${qos.toLowerCase()}.slice/kubepods-${qos.toLowerCase()}-pod${uid}.slice`;
}

/** A container's runtime id: new at each restart, as its cgroup is. */
const containerId = (p: PodModel, c: ContainerModel) => createHash('sha256').update(`${p.uid}/${c.spec.name}/${c.restarts}`).digest('hex');

function cgroupsOf(p: PodModel, t: EpochMs): Cgroup[] {
  const running = p.containers.filter((c) => c.state === 'running');
  const slice = podSlice(p);
  const containers = running.map((c): Cgroup => {
    const id = containerId(p, c);
    return {
      labels: labels({
        container: c.spec.name,
        id: `${slice}/cri-containerd-${id}.scope`,
        image: c.spec.image,
        name: id,
        namespace: p.namespace,
        pod: p.name,
      }),
      usageSeconds: c.cpu.valueAt(t) / 1e9,
      workingSetBytes: c.usage.memoryWorkingSetBytes,
      cfs: c.cpu.cfs(t),
    };
  });
  // The pod cgroup sums its containers, and has a quota only when every container has a limit.
  const limited = containers.length > 0 && containers.every((c) => c.cfs);
  const sum = (f: (c: CfsCounts) => number) => containers.reduce((a, c) => a + (c.cfs ? f(c.cfs) : 0), 0);
  const pod: Cgroup = {
    labels: labels({ container: '', id: slice, image: '', name: '', namespace: p.namespace, pod: p.name }),
    usageSeconds: containers.reduce((a, c) => a + c.usageSeconds, 0),
    workingSetBytes: containers.reduce((a, c) => a + c.workingSetBytes, 0),
    ...(limited
      ? {
          cfs: {
            periods: Math.max(...containers.map((c) => c.cfs!.periods)),
            throttledPeriods: Math.max(...containers.map((c) => c.cfs!.throttledPeriods)),
            throttledSeconds: sum((c) => c.throttledSeconds),
          },
        }
      : {}),
  };
  return [pod, ...containers];
}

type Family = {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly value: (c: Cgroup) => number | undefined;
};

/** The CFS families, which cAdvisor writes only for a cgroup with a quota. */
const CFS: readonly Family[] = [
  {
    name: 'container_cpu_cfs_periods_total',
    help: 'Number of elapsed enforcement period intervals.',
    type: 'counter',
    value: (c) => c.cfs && Math.floor(c.cfs.periods),
  },
  {
    name: 'container_cpu_cfs_throttled_periods_total',
    help: 'Number of throttled period intervals.',
    type: 'counter',
    value: (c) => c.cfs && Math.floor(c.cfs.throttledPeriods),
  },
  {
    name: 'container_cpu_cfs_throttled_seconds_total',
    help: 'Total time duration the container has been throttled.',
    type: 'counter',
    value: (c) => c.cfs?.throttledSeconds,
  },
];

/**
 * The other per-cgroup families a kubelet's cAdvisor writes (its `cpu`, `memory`, `cpuLoad`, `diskIO`,
 * `process` and `oom_event` metric sets), with plausible figures: they give the body its real size, which
 * is what the agent's reader must skip.
 */
const gauge = (name: string, help: string, value: (c: Cgroup) => number): Family => ({ name, help, type: 'gauge', value });
const counter = (name: string, help: string, value: (c: Cgroup) => number): Family => ({ name, help, type: 'counter', value });
const OTHERS: readonly Family[] = [
  gauge('container_cpu_load_average_10s', 'Value of container cpu load average over the last 10 seconds.', () => 0),
  counter('container_cpu_system_seconds_total', 'Cumulative system cpu time consumed in seconds.', (c) => c.usageSeconds * 0.2),
  counter('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed in seconds.', (c) => c.usageSeconds),
  counter('container_cpu_user_seconds_total', 'Cumulative user cpu time consumed in seconds.', (c) => c.usageSeconds * 0.8),
  gauge('container_file_descriptors', 'Number of open file descriptors for the container.', () => 23),
  counter('container_fs_reads_bytes_total', 'Cumulative count of bytes read', (c) => Math.floor(c.usageSeconds * 4096)),
  counter('container_fs_reads_total', 'Cumulative count of reads completed', (c) => Math.floor(c.usageSeconds)),
  counter('container_fs_writes_bytes_total', 'Cumulative count of bytes written', (c) => Math.floor(c.usageSeconds * 8192)),
  counter('container_fs_writes_total', 'Cumulative count of writes completed', (c) => Math.floor(c.usageSeconds * 2)),
  gauge('container_last_seen', 'Last time a container was seen by the exporter', () => 0),
  gauge('container_memory_cache', 'Number of bytes of page cache memory.', (c) => Math.floor(c.workingSetBytes * 0.3)),
  gauge('container_memory_failcnt', 'Number of memory usage hits limits', () => 0),
  gauge('container_memory_mapped_file', 'Size of memory mapped files in bytes.', (c) => Math.floor(c.workingSetBytes * 0.05)),
  gauge('container_memory_max_usage_bytes', 'Maximum memory usage recorded in bytes', (c) => Math.floor(c.workingSetBytes * 1.2)),
  gauge('container_memory_rss', 'Size of RSS in bytes.', (c) => Math.floor(c.workingSetBytes * 0.8)),
  gauge('container_memory_swap', 'Container swap usage in bytes.', () => 0),
  gauge('container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed', (c) =>
    Math.floor(c.workingSetBytes * 1.05),
  ),
  gauge('container_memory_working_set_bytes', 'Current working set in bytes.', (c) => c.workingSetBytes),
  counter('container_oom_events_total', 'Count of out of memory events observed for the container', () => 0),
  gauge('container_processes', 'Number of processes running inside the container.', () => 3),
  gauge('container_sockets', 'Number of open sockets for the container.', () => 4),
  gauge('container_spec_cpu_period', 'CPU period of the container.', () => 100_000),
  gauge('container_spec_cpu_shares', 'CPU share of the container.', () => 2),
  gauge('container_spec_memory_limit_bytes', 'Memory limit for the container.', () => 0),
  gauge('container_spec_memory_reservation_limit_bytes', 'Memory reservation limit for the container.', () => 0),
  gauge('container_spec_memory_swap_limit_bytes', 'Memory swap limit for the container.', () => 0),
  gauge('container_start_time_seconds', 'Start time of the container since unix epoch in seconds.', () => 1.7e9),
  gauge('container_threads', 'Number of threads running inside the container', () => 12),
  gauge('container_threads_max', 'Maximum number of threads allowed inside the container, infinity if value is zero', () => 0),
];

/** In the order a kubelet writes them: by name. */
const FAMILIES: readonly Family[] = [...CFS, ...OTHERS].sort((a, b) => a.name.localeCompare(b.name));

/**
 * A float as the Prometheus Go client writes it (`strconv.FormatFloat(v, 'g', -1, 64)`): the shortest
 * digits, in exponent form from 1e6 up (`2.074517e+06`) or below 1e-4.
 */
export function goFloat(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const [mantissa, exp] = v.toExponential().split('e');
  const x = Number(exp);
  if (x >= -4 && x < 6) return String(v);
  return `${mantissa}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
}

/** The body the node's kubelet serves on `/metrics/cadvisor` now; undefined when the node does not exist. */
export function cadvisorBody(cluster: SimCluster, nodeName: string): string | undefined {
  if (!cluster.nodeModels.has(nodeName)) return undefined;
  const t = cluster.clock.now();
  const cgroups = cluster
    .podsOn(nodeName)
    .filter((p) => p.phase === 'Running')
    .flatMap((p) => cgroupsOf(p, t));
  const out: string[] = [];
  for (const f of FAMILIES) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const c of cgroups) {
      const v = f.value(c);
      if (v !== undefined) out.push(`${f.name}{${c.labels}} ${goFloat(v)} ${t}`);
    }
  }
  return out.join('\n') + '\n';
}
