import { readFileSync } from 'fs';
import * as path from 'path';
import { CfsParser, CfsTracker, parseCfs, parseLabels, type CfsCounters } from '../../../agent/kubelet/cadvisor';

const SAMPLE = readFileSync(path.join(__dirname, '../../fixtures/kubelet/cadvisor-kubeturbo.txt'), 'utf8');
const byContainer = (m: ReadonlyMap<string, CfsCounters>) =>
  Object.fromEntries([...m.values()].map((c) => [`${c.namespace}/${c.pod}/${c.container}`, c]));

describe('the /metrics/cadvisor reader', () => {
  it("keeps the CFS counters of real containers from a live kubelet's output, not the pod cgroups or other families", () => {
    const got = byContainer(parseCfs(SAMPLE));
    expect(Object.keys(got).sort()).toEqual([
      'ccp/metallb-speaker-m29mf/metallb-speaker',
      'lens-metrics/node-exporter-pmngv/node-exporter',
    ]);
    expect(got['ccp/metallb-speaker-m29mf/metallb-speaker']).toEqual({
      namespace: 'ccp',
      pod: 'metallb-speaker-m29mf',
      container: 'metallb-speaker',
      cgroup: '/kubepods/pod8266a379-dd56-42f8-8af0-19fc0d8ea3af/8e1a2ff0f116c9d086af53cbd7430dced0e70fed104aea79e3891870564aed38',
      periods: 10,
      throttledPeriods: 5,
    });
    expect(got['lens-metrics/node-exporter-pmngv/node-exporter']).toMatchObject({ periods: 20, throttledPeriods: 15 });
  });

  it('gives the same result whatever the chunk boundaries (a stream cut mid-line, mid-character)', () => {
    const body = Buffer.from(SAMPLE.replaceAll('namespace="ccp"', 'namespace="ccé"'), 'utf8');
    const whole = parseCfs(body.toString('utf8'));
    for (const size of [1, 7, 64, 333, 4096]) {
      const p = new CfsParser();
      for (let i = 0; i < body.length; i += size) p.push(body.subarray(i, i + size));
      expect(p.end()).toEqual(whole);
    }
    expect([...whole.values()].map((c) => c.namespace)).toContain('ccé');
  });

  it('reads exponents, escaped label values, a last line without newline; skips bad values, POD sandboxes and huge lines', () => {
    const text = [
      `container_cpu_usage_seconds_total{container="app",id="/x",namespace="n",pod="p"} 5 1`,
      `container_cpu_cfs_periods_total{container="app",id="/a\\"b",image="i",name="",namespace="n",pod="p"} 1.2345678e+07 1616975911629`,
      `container_cpu_cfs_periods_total{container="POD",id="/sandbox",namespace="n",pod="p"} 100`,
      `container_cpu_cfs_throttled_periods_total{container="app",id="/a\\"b",namespace="n",pod="p"} NaN`,
      `# ${'x'.repeat(40_000)}`,
      `container_cpu_cfs_throttled_seconds_total{container="app",id="/a\\"b",namespace="n",pod="p"} 2.5`,
    ].join('\n');
    const got = [...parseCfs(text).values()];
    expect(got).toEqual([{ namespace: 'n', pod: 'p', container: 'app', cgroup: '/a"b', periods: 12_345_678, throttledSeconds: 2.5 }]);
    expect(parseLabels('a="x\\\\y",b="1\\n2"')).toEqual({ a: 'x\\y', b: '1\n2' });
  });
});

describe('throttling between two readings', () => {
  const read = (periods: number, throttledPeriods: number, throttledSeconds: number, cgroup = '/c1'): Map<string, CfsCounters> =>
    new Map([[cgroup, { namespace: 'shop', pod: 'api-1', container: 'app', cgroup, periods, throttledPeriods, throttledSeconds }]]);

  it('is the share of periods throttled and the throttled seconds per second; nothing from one reading', () => {
    const t = new CfsTracker();
    expect(t.rates(read(1000, 100, 5), 0).size).toBe(0);
    const r = t.rates(read(1600, 400, 35), 60_000);
    expect(r.get('shop/api-1')?.get('app')).toEqual({ cpuThrottledPct: 50, cpuThrottledSecondsPerSecond: 0.5 });
  });

  it('handles a counter that started over, a restarted container in a new cgroup beside the old, and an idle container', () => {
    const t = new CfsTracker();
    t.rates(read(6000, 3000, 300), 0);
    // The counter reset: its increase is its new value (as Prometheus counts it).
    expect(
      t
        .rates(read(600, 150, 6), 60_000)
        .get('shop/api-1')
        ?.get('app')?.cpuThrottledPct,
    ).toBe(25);
    // Restarted: a new cgroup (first seen: no rate) while the old one stopped counting.
    const both = new Map([...read(600, 150, 6), ...read(300, 300, 20, '/c2')]);
    expect(t.rates(both, 120_000).get('shop/api-1')?.get('app')).toBeUndefined();
    const later = new Map([...read(600, 150, 6), ...read(900, 900, 80, '/c2')]);
    expect(t.rates(later, 180_000).get('shop/api-1')?.get('app')).toEqual({ cpuThrottledPct: 100, cpuThrottledSecondsPerSecond: 1 });
    // No period at all: it wanted no CPU, nothing to say.
    expect(t.rates(later, 240_000).get('shop/api-1')).toBeUndefined();
  });
});
