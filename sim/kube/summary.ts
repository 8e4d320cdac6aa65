/**
 * The kubelet Summary API (`GET /stats/summary`) of a simulated node, in the exact shape of a Kubernetes
 * 1.35 kubelet's (`test/fixtures/nri-kubernetes/1_35_kubelet_stats_summary.json`: field names, nesting,
 * the `kubelet` and `pods` system containers, `runtime.containerFs`, `swap`, `psi` and `io`, pod
 * `process_stats`, per-interface network lists with the host's interfaces repeated in hostNetwork pods,
 * volumes, the one-space indent), with figures from the cluster's models. As on a real kubelet, each
 * container's stats carry their own time (cAdvisor housekeeping), a few seconds before the node's, and a
 * static pod is reported under its config hash, not its mirror pod's uid.
 */
import type { EpochMs } from '../../model/time';
import { configHashOf, type ContainerModel, type NodeModel, type PodModel, type SimCluster } from './cluster';

const iso = (t: EpochMs) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const MiB = 1024 ** 2;

type Interface = { name: string; rxBytes: number; rxErrors: number; txBytes: number; txErrors: number };

function fsStats(
  time: string,
  capacityBytes: number,
  usedBytes: number,
  inodes: number,
  inodesUsed: number,
  availableBytes = Math.max(0, capacityBytes - usedBytes),
) {
  return { time, availableBytes, capacityBytes, usedBytes, inodesFree: Math.max(0, inodes - inodesUsed), inodes, inodesUsed };
}

function iface(name: string, seed: number, elapsedMs: number): Interface {
  const rate = 200 + (seed % 800);
  return { name, rxBytes: Math.floor(elapsedMs * rate), rxErrors: 0, txBytes: Math.floor(elapsedMs * rate * 0.7), txErrors: 0 };
}

/** No stall: the simulated nodes model no pressure stall information, only its shape (kubelet 1.34+). */
const PSI = { full: { total: 0, avg10: 0, avg60: 0, avg300: 0 }, some: { total: 0, avg10: 0, avg60: 0, avg300: 0 } };
/** EKS AMIs run without swap: the kubelet reports it, empty. */
const NO_SWAP = { swapAvailableBytes: 0, swapUsageBytes: 0 };

function hashOf(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}

/** The summary the node's kubelet serves now; undefined when the node does not exist. */
export function summaryOf(cluster: SimCluster, nodeName: string): object | undefined {
  const n: NodeModel | undefined = cluster.nodeModels.get(nodeName);
  if (!n) return undefined;
  // The kubelet's stats carry whole seconds; counters are read at that same instant.
  const t = Math.floor(cluster.clock.now() / 1000) * 1000;
  const time = iso(t);
  const pods = cluster.podsOn(nodeName).filter((p) => p.phase === 'Running');
  const running = (p: PodModel) => p.containers.filter((c) => c.state === 'running');
  const containers = pods.flatMap(running);
  const podWs = containers.reduce((a, c) => a + c.usage.memoryWorkingSetBytes, 0);
  const podRss = containers.reduce((a, c) => a + c.usage.memoryRssBytes, 0);
  const podDisk = pods.reduce((a, p) => a + p.containers.reduce((b, c) => b + c.usage.rootfsUsedBytes + c.usage.logsUsedBytes, 0), 0);
  const memTotal = n.spec.capacity.memoryBytes;
  const ws = n.systemMemoryBytes + podWs;
  const elapsed = t - n.bootedAt;
  const hostInterfaces: Interface[] = [
    iface('eth0', hashOf(nodeName), elapsed),
    iface('eth1', hashOf(nodeName) + 7, elapsed),
    ...pods
      .filter((p) => !p.hostNetwork)
      .map((p) => iface(`eni${p.uid.replace(/-/g, '').slice(0, 11)}`, hashOf(p.uid), t - (p.startedAt ?? t))),
  ];
  // A container's stats are read 2–5 s before the node's (never before it started), its counter at that same instant.
  const containerTime = (p: PodModel, c: ContainerModel) => Math.max(c.startedAt, t - (2 + (hashOf(`${p.uid}/${c.spec.name}`) % 4)) * 1000);
  const cpuOf = (c: ContainerModel, at: EpochMs) => ({
    time: iso(at),
    usageNanoCores: Math.round(c.cpu.rate * 1e6),
    usageCoreNanoSeconds: c.cpu.valueAt(at),
    psi: PSI,
  });
  const sys = (name: string, share: number) => ({
    name,
    startTime: iso(n.bootedAt),
    cpu: {
      time,
      usageNanoCores: Math.round(n.systemCpuMilli * share * 1e6),
      usageCoreNanoSeconds: Math.round(n.systemCpuMilli * share * 1e3 * elapsed),
      psi: PSI,
    },
    memory: {
      time,
      usageBytes: Math.floor(n.systemMemoryBytes * share * 1.1),
      workingSetBytes: Math.floor(n.systemMemoryBytes * share),
      rssBytes: Math.floor(n.systemMemoryBytes * share * 0.8),
      pageFaults: 60_306,
      majorPageFaults: 8,
      psi: PSI,
    },
    io: { time, psi: PSI },
    swap: { time, swapUsageBytes: 0 },
  });
  const imageFs = fsStats(time, n.imageDisk.capacityBytes, n.imageDisk.usedBytes, n.imageDisk.inodes, n.imageDisk.inodesUsed);
  return {
    node: {
      nodeName,
      // Kubelets 1.31+ no longer report a `runtime` system container.
      systemContainers: [
        sys('kubelet', 0.4),
        {
          ...sys('pods', 0),
          memory: {
            time,
            availableBytes: Math.max(0, memTotal - ws),
            usageBytes: Math.floor(podWs * 1.2),
            workingSetBytes: podWs,
            rssBytes: podRss,
            pageFaults: 0,
            majorPageFaults: 0,
            psi: PSI,
          },
        },
      ],
      startTime: iso(n.bootedAt),
      cpu: { time, usageNanoCores: Math.round(n.cpu.rate * 1e6), usageCoreNanoSeconds: n.cpu.valueAt(t), psi: PSI },
      memory: {
        time,
        availableBytes: Math.max(0, memTotal - ws),
        usageBytes: Math.floor(ws * 1.3),
        workingSetBytes: ws,
        rssBytes: Math.floor(podRss + n.systemMemoryBytes * 0.6),
        pageFaults: 8_217_641,
        majorPageFaults: 153,
        psi: PSI,
      },
      io: { time, psi: PSI },
      network: { time, name: 'eth0', ...stripName(hostInterfaces[0]), interfaces: hostInterfaces },
      fs: fsStats(time, n.disk.capacityBytes, n.disk.usedBytes + podDisk, n.disk.inodes, n.disk.inodesUsed),
      // containerd keeps writable layers with its images: the container filesystem is the image one.
      runtime: { imageFs, containerFs: imageFs },
      rlimit: { time, maxpid: n.maxPid, curproc: 300 + containers.length * 12 },
      swap: { time, ...NO_SWAP },
    },
    pods: pods.map((p) => {
      const cs = running(p);
      const podCpu = cs.reduce((a, c) => a + c.cpu.valueAt(t), 0);
      const podWsBytes = cs.reduce((a, c) => a + c.usage.memoryWorkingSetBytes, 0);
      const own = iface('eth0', hashOf(p.uid), t - (p.startedAt ?? t));
      const podDiskUsed = p.containers.reduce((a, c) => a + c.usage.rootfsUsedBytes + c.usage.logsUsedBytes, 0);
      return {
        podRef: { name: p.name, namespace: p.namespace, uid: configHashOf(p) ?? p.uid },
        startTime: iso(p.startedAt ?? p.createdAt),
        containers: cs.map((c) => {
          const at = containerTime(p, c);
          const ctime = iso(at);
          return {
            name: c.spec.name,
            startTime: iso(c.startedAt),
            cpu: cpuOf(c, at),
            memory: {
              time: ctime,
              ...(c.spec.limits?.memoryBytes !== undefined
                ? { availableBytes: Math.max(0, c.spec.limits.memoryBytes - c.usage.memoryWorkingSetBytes) }
                : {}),
              usageBytes: Math.floor(c.usage.memoryWorkingSetBytes * 1.05),
              workingSetBytes: c.usage.memoryWorkingSetBytes,
              rssBytes: c.usage.memoryRssBytes,
              pageFaults: 179_694,
              majorPageFaults: 465,
              psi: PSI,
            },
            io: { time: ctime, psi: PSI },
            rootfs: fsStats(
              ctime,
              n.disk.capacityBytes,
              c.usage.rootfsUsedBytes,
              n.disk.inodes,
              12,
              Math.max(0, n.disk.capacityBytes - n.disk.usedBytes - podDisk),
            ),
            logs: fsStats(
              time,
              n.disk.capacityBytes,
              c.usage.logsUsedBytes,
              n.disk.inodes,
              n.disk.inodesUsed,
              Math.max(0, n.disk.capacityBytes - n.disk.usedBytes - podDisk),
            ),
            swap: { time: ctime, ...NO_SWAP },
          };
        }),
        cpu: { time, usageNanoCores: Math.round(cs.reduce((a, c) => a + c.cpu.rate, 0) * 1e6), usageCoreNanoSeconds: podCpu, psi: PSI },
        memory: {
          time,
          // The pod cgroup has a limit only when every container has one.
          ...(p.containers.every((c) => c.spec.limits?.memoryBytes !== undefined)
            ? { availableBytes: Math.max(0, p.containers.reduce((a, c) => a + (c.spec.limits?.memoryBytes ?? 0), 0) - podWsBytes) }
            : {}),
          usageBytes: Math.floor(podWsBytes * 1.05),
          workingSetBytes: podWsBytes,
          rssBytes: cs.reduce((a, c) => a + c.usage.memoryRssBytes, 0),
          pageFaults: 0,
          majorPageFaults: 0,
          psi: PSI,
        },
        io: { time, psi: PSI },
        network: p.hostNetwork
          ? { time, name: '', interfaces: hostInterfaces }
          : { time, name: 'eth0', ...stripName(own), interfaces: [own] },
        volume: [
          { ...fsStats(time, 4 * 1024 * MiB, 12_288, 1_021_009, 9), name: `kube-api-access-${p.uid.slice(0, 5)}` },
          // A StatefulSet pod's volume claim, as `volumeClaimTemplates` name them.
          ...(p.owner?.kind === 'StatefulSet'
            ? [
                {
                  ...fsStats(time, 20 * 1024 * MiB, 2 * 1024 * MiB, 1_310_720, 3_000),
                  name: 'data',
                  pvcRef: { name: `data-${p.name}`, namespace: p.namespace },
                },
              ]
            : []),
        ],
        'ephemeral-storage': fsStats(
          time,
          n.disk.capacityBytes,
          podDiskUsed,
          n.disk.inodes,
          936,
          Math.max(0, n.disk.capacityBytes - n.disk.usedBytes - podDisk),
        ),
        process_stats: { process_count: cs.length * 3 },
        swap: { time, swapUsageBytes: 0 },
      };
    }),
  };
}

function stripName(i: Interface): Omit<Interface, 'name'> {
  const { name: _name, ...rest } = i;
  return rest;
}

/** The body as a real kubelet serves it: indented with one space. */
export function summaryBody(cluster: SimCluster, nodeName: string): string | undefined {
  const s = summaryOf(cluster, nodeName);
  return s === undefined ? undefined : JSON.stringify(s, null, 1);
}
