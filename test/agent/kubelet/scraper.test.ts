import * as http from 'http';
import type { AddressInfo } from 'net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigApi } from '../../../agent/kube/api';
import { ApiMeter } from '../../../agent/kube/meter';
import {
  ApiProxySource,
  DirectKubeletSource,
  scrapeAll,
  scrapeCfs,
  scrapeConcurrency,
  type SummarySource,
} from '../../../agent/kubelet/scraper';
import { ManualClock } from '../../../model/time';
import { SimCluster } from '../../../sim/kube/cluster';
import { startSimKube, type SimKube } from '../../../sim/kube/env';
import type { KubeletCertificate } from '../../../sim/kube/tls';
import { loopbackTls } from '../../../sim/kube/tls';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const GiB = 1024 ** 3;
const NODES = [
  'ip-10-0-0-1.eu-west-1.compute.internal',
  'ip-10-0-0-2.eu-west-1.compute.internal',
  'ip-10-0-0-3.eu-west-1.compute.internal',
  'ip-10-0-0-4.eu-west-1.compute.internal',
];
const CERTS: Record<string, KubeletCertificate> = { [NODES[0]]: 'ip', [NODES[1]]: 'name', [NODES[2]]: 'wrong', [NODES[3]]: 'selfsigned' };

let kube: SimKube;
const targets = () => NODES.map((node) => ({ node, address: '127.0.0.1', port: kube.kubelets.portOf(node) as number }));
const direct = (insecureSkipTlsVerify = false) =>
  new DirectKubeletSource({ ca: loopbackTls.ca(), insecureSkipTlsVerify, authorization: async () => `Bearer ${kube.token}` });

beforeEach(async () => {
  const sim = new SimCluster({ clock: new ManualClock(T0) });
  for (const name of NODES)
    sim.addNode({ name, capacity: { cpuMilli: 2000, memoryBytes: 8 * GiB, ephemeralStorageBytes: 80 * GiB, pods: 29 } });
  kube = await startSimKube({ cluster: sim, kubeletCertificate: (n) => CERTS[n] });
});
afterEach(() => kube.close());

describe('reading kubelet summaries directly', () => {
  it("trusts the cluster CA and accepts a certificate naming the node's IP or its name, and no other", async () => {
    const results = await scrapeAll(targets(), direct(), { concurrency: 4, timeoutMs: () => 2000 });
    expect(results.map((r) => r.summary?.node.nodeName ?? r.error?.kind)).toEqual([NODES[0], NODES[1], 'tls', 'tls']);
    expect(results[2].error?.message).toMatch(/altnames|does not match/i);
    expect(results[3].error?.message).toMatch(/self.signed|certificate/i);
  });

  it('skips verification only when told to (self-signed kubelets)', async () => {
    const results = await scrapeAll(targets(), direct(true), { concurrency: 4, timeoutMs: () => 2000 });
    expect(results.every((r) => r.summary)).toBe(true);
  });

  it('keeps the other nodes when one times out, fails, answers garbage, resets or has no address', async () => {
    const [a, b] = NODES;
    kube.kubelets.setFault(a, { delayMs: 1000 });
    kube.kubelets.setFault(b, { status: 500 });
    let results = await scrapeAll([...targets().slice(0, 2), { node: 'gone', port: 10250 }], direct(), {
      concurrency: 2,
      timeoutMs: () => 200,
    });
    expect(results.map((r) => r.error?.kind)).toEqual(['timeout', 'http', 'other']);
    expect(results[1].error?.message).toContain('HTTP 500');
    kube.kubelets.setFault(a, { garbage: true });
    kube.kubelets.setFault(b, { reset: true });
    results = await scrapeAll(targets().slice(0, 2), direct(), { concurrency: 2, timeoutMs: () => 2000 });
    expect(results.map((r) => r.error?.kind)).toEqual(['parse', 'connect']);
  });

  it('reports a summary for another node than asked for', async () => {
    const [t0, t1] = targets();
    const results = await scrapeAll([{ ...t0, port: t1.port }], direct(), { concurrency: 1, timeoutMs: () => 2000 });
    expect(results[0].error).toMatchObject({ kind: 'other', message: `the summary is for node ${NODES[1]}` });
  });

  it('sends the bearer token the kubelet checks', async () => {
    const wrong = new DirectKubeletSource({ ca: loopbackTls.ca(), authorization: async () => 'Bearer nope' });
    const [r] = await scrapeAll(targets().slice(0, 1), wrong, { concurrency: 1, timeoutMs: () => 2000 });
    expect(r.error).toMatchObject({ kind: 'http', message: expect.stringContaining('401') });
  });
});

describe('the cost of reading a kubelet', () => {
  // Nodes whose kubelets present a certificate the cluster CA signed for them.
  const trusted = () => targets().slice(0, 2);
  // As the agent's cycle reads them: every summary, then cAdvisor.
  const cycle = async (source: DirectKubeletSource) => {
    const summaries = await scrapeAll(trusted(), source, { concurrency: 2, timeoutMs: () => 2000 });
    return [summaries, await scrapeCfs(trusted(), source, { concurrency: 2, timeoutMs: () => 2000 })] as const;
  };

  it("reads a kubelet's summary and its cAdvisor over one connection, kept for the next cycle", async () => {
    const source = direct();
    for (let i = 0; i < 2; i++) {
      const [summaries, cfs] = await cycle(source);
      expect(summaries.map((r) => r.summary?.node.nodeName)).toEqual(NODES.slice(0, 2));
      expect(cfs.map((r) => r.error)).toEqual([undefined, undefined]);
    }
    // Four reads of each kubelet, one TLS handshake each.
    expect(
      NODES.slice(0, 2).map((n) => [
        kube.kubelets.requests.get(n),
        kube.kubelets.cadvisorRequests.get(n),
        kube.kubelets.connections.get(n),
      ]),
    ).toEqual([
      [2, 2, 1],
      [2, 2, 1],
    ]);
  });

  it('parses the cluster CA once, not once per connection', async () => {
    // Node's own module object: what `tls.connect` calls when it is given a CA rather than a context.
    const contexts = jest.spyOn(require('tls') as typeof import('tls'), 'createSecureContext');
    try {
      const source = direct();
      await cycle(source);
      // A new connection to each kubelet (the old one closed), still on the one context.
      await kube.close();
      kube = await startSimKube({ cluster: kube.cluster, kubeletCertificate: (n) => CERTS[n] });
      const [summaries] = await cycle(source);
      expect(summaries.every((r) => r.summary)).toBe(true);
      // (The restarted kubelets build their own server contexts: those hold no CA.)
      expect(contexts.mock.calls.filter(([o]) => o?.ca)).toEqual([]);
      expect(NODES.slice(0, 2).map((n) => kube.kubelets.connections.get(n))).toEqual([1, 1]);
    } finally {
      contexts.mockRestore();
    }
  });

  it('reads again, on a new connection, when the kubelet closes a kept one as it is reused', async () => {
    const source = direct();
    const [node] = NODES;
    await scrapeAll(trusted().slice(0, 1), source, { concurrency: 1, timeoutMs: () => 2000 });
    kube.kubelets.setFault(node, { reset: true, times: 1 });
    const [r] = await scrapeAll(trusted().slice(0, 1), source, { concurrency: 1, timeoutMs: () => 2000 });
    expect(r.summary?.node.nodeName).toBe(node);
    expect(kube.kubelets.connections.get(node)).toBe(2);
  });
});

describe('reading every node', () => {
  it('has at most `concurrency` summary fetches in flight at once', async () => {
    let inFlight = 0;
    let most = 0;
    const source: SummarySource = {
      fetch: async (t) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
        return { node: { nodeName: t.node }, pods: [] };
      },
    };
    const many = Array.from({ length: 10 }, (_, i) => ({ node: `node-${i}`, address: '127.0.0.1', port: 10250 }));
    const results = await scrapeAll(many, source, { concurrency: 3, timeoutMs: () => 2000 });
    expect(results.every((r) => r.summary)).toBe(true);
    expect(most).toBe(3);
  });
});

describe('a bounded scrape', () => {
  it("cuts calls in flight and skips nodes not reached when the cycle's deadline passes", async () => {
    const [fast, stuck, ...behind] = targets();
    kube.kubelets.setFault(stuck.node, { delayMs: 20_000 });
    const deadline = new AbortController();
    const results = scrapeAll([fast, stuck, ...behind], direct(true), {
      concurrency: 1,
      timeoutMs: () => 10_000,
      signal: deadline.signal,
      reduce: (s) => s.node.nodeName,
    });
    setTimeout(() => deadline.abort("the cycle's scrape deadline passed"), 500);
    const r = await results;
    expect(r[0]).toEqual({ node: fast.node, summary: fast.node });
    expect(r.slice(1).map((x) => x.error)).toEqual(
      [stuck, ...behind].map((t) => ({ node: t.node, kind: 'timeout', message: "not scraped: the cycle's scrape deadline passed" })),
    );
  });

  it('scales its workers with the node count', () => {
    expect(scrapeConcurrency(10, 16)).toBe(16);
    expect(scrapeConcurrency(1000, 16)).toBe(63);
    expect(scrapeConcurrency(5000, 16)).toBe(128);
  });
});

describe('reading kubelet summaries through the API server proxy (the fallback)', () => {
  const proxy = () => {
    const kc = new KubeConfig();
    kc.loadFromOptions(kube.kubeconfig);
    return new ApiProxySource(new KubeConfigApi(kc, new ApiMeter()));
  };

  it('is refused without nodes/proxy, which the default role does not grant', async () => {
    const [r] = await scrapeAll(targets().slice(0, 1), proxy(), { concurrency: 1, timeoutMs: () => 2000 });
    expect(r.error).toMatchObject({ kind: 'http', message: expect.stringContaining('nodes/proxy') });
  });

  it('reads every node with nodes/proxy, whatever certificate its kubelet has', async () => {
    const sim = kube.cluster;
    await kube.close();
    kube = await startSimKube({ cluster: sim, permissions: { nodesProxy: true }, kubeletCertificate: (n) => CERTS[n] });
    kube.kubelets.setFault(NODES[1], { status: 503, times: 1 });
    const results = await scrapeAll(targets(), proxy(), { concurrency: 4, timeoutMs: () => 2000 });
    expect(results.map((r) => r.summary?.node.nodeName ?? r.error?.kind)).toEqual([NODES[0], 'http', NODES[2], NODES[3]]);
  });

  it('cuts a summary that trickles in past the deadline, and reports a timeout', async () => {
    // An API server that answers at once, then sends a byte every 50 ms: never idle, never done in time.
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let left = 60;
      const drip = setInterval(() => (--left ? res.write(' ') : res.end(`{"node":{"nodeName":"${NODES[0]}"}}`)), 50);
      res.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      });
      const started = Date.now();
      const [r] = await scrapeAll(targets().slice(0, 1), new ApiProxySource(new KubeConfigApi(kc, new ApiMeter())), {
        concurrency: 1,
        timeoutMs: () => 300,
      });
      expect(r.error).toMatchObject({ kind: 'timeout', message: expect.stringContaining('within 300 ms') });
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
