import { projectPod } from '../../../agent/kube/project';
import type { PodObject } from '../../../agent/kube/objects';
import { Shared, sharePod } from '../../../agent/kube/share';
import { ManualClock } from '../../../model/time';
import { SimCluster } from '../../../sim/kube/cluster';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function replicas() {
  const sim = new SimCluster({ clock: new ManualClock(Date.UTC(2026, 11, 5)) });
  for (const n of ['a', 'b'])
    sim.addNode({ name: n, capacity: { cpuMilli: 4000, memoryBytes: 16 * GiB, ephemeralStorageBytes: 80 * GiB, pods: 29 } });
  sim.addWorkload({
    kind: 'Deployment',
    namespace: 'web',
    name: 'api',
    replicas: 3,
    containers: [
      { name: 'api', image: 'api:1.4.2', requests: { cpuMilli: 250, memoryBytes: 256 * MiB }, limits: { memoryBytes: 512 * MiB } },
    ],
  });
  return sim.list('pods').map((o) => projectPod(o as unknown as PodObject)!);
}

describe('sharePod', () => {
  it('gives the pods of one ReplicaSet one copy of their labels, requests, limits and owner, changing nothing', () => {
    const shared = new Shared();
    const own = replicas();
    const kept = own.map((r) => sharePod(r, shared));
    expect(kept).toEqual(own);
    expect(JSON.stringify(kept)).toBe(JSON.stringify(own));
    const [p, q] = kept;
    expect(p.pod.uid).not.toBe(q.pod.uid);
    expect(q.pod.labels).toBe(p.pod.labels);
    expect(q.pod.containers[0].requests).toBe(p.pod.containers[0].requests);
    expect(q.pod.containers[0].limits).toBe(p.pod.containers[0].limits);
    expect(q.controller).toBe(p.controller);
    // Unshared, each pod had its own copies.
    expect(own[1].pod.labels).not.toBe(own[0].pod.labels);
  });
});
