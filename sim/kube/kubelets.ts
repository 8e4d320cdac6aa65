/**
 * One loopback HTTPS "kubelet" per simulated node, serving `GET /stats/summary` and `GET /metrics/cadvisor`
 * as a real kubelet does: TLS with a certificate from the cluster CA, the caller's bearer token checked
 * (401) and authorized for `nodes/stats` or `nodes/metrics` by path (403); and `GET /configz` (its eviction
 * thresholds), authorized for `nodes/configz` as a 1.33+ kubelet does (403 without it). Each node's port is written into its `status.daemonEndpoints.kubeletEndpoint`, so a
 * client finds it exactly as on EKS. Nodes added later get a kubelet; removed nodes lose theirs.
 * Faults per node: an HTTP status, a delay (to time out), a reset connection, a body that is not JSON.
 */
import type * as http from 'http';
import * as https from 'https';
import type { AddressInfo, Socket } from 'net';
import type { Change, SimCluster } from './cluster';
import { cadvisorBody } from './cadvisor';
import { summaryBody } from './summary';
import { loopbackTls, type KubeletCertificate } from './tls';

/** The kubelet's built-in `evictionHard` on Linux. */
export const DEFAULT_EVICTION_HARD: Readonly<Record<string, string>> = {
  'memory.available': '100Mi',
  'nodefs.available': '10%',
  'nodefs.inodesFree': '5%',
  'imagefs.available': '15%',
};

/** How long a kubelet keeps an idle connection open (kubernetes/kubernetes pkg/kubelet/server/server.go). */
export const KUBELET_IDLE_TIMEOUT_MS = 90_000;

const forbidden = (sub: string) => `Forbidden (user=system:serviceaccount:vigil:vigil-agent, verb=get, resource=nodes, subresource=${sub})`;

export interface KubeletFault {
  readonly status?: number;
  readonly delayMs?: number;
  readonly reset?: boolean;
  readonly garbage?: boolean;
  /** How many requests it applies to. @default every request until cleared */
  readonly times?: number;
}

export interface KubeletsOptions {
  readonly cluster: SimCluster;
  readonly token: string;
  /** Whether the token may `get nodes/stats`. @default true */
  readonly nodesStats?: boolean;
  /** Whether the token may `get nodes/configz` (false: an older kubelet, or no grant). @default true */
  readonly nodesConfigz?: boolean;
  /** Whether the token may `get nodes/metrics` (`/metrics/*`). @default true */
  readonly nodesMetrics?: boolean;
  /** Capture replay: the summary each node's kubelet answers, as captured (by node name). */
  readonly summaries?: ReadonlyMap<string, string>;
  /** Which certificate a node's kubelet presents. @default `ip` (names 127.0.0.1) */
  readonly certificate?: (node: string) => KubeletCertificate;
  /**
   * Serve a node's summary and cAdvisor bodies rendered up to this long ago, as a kubelet serves stats from
   * its housekeeping cache; `warm()` renders them ahead. For the benchmark, whose 1,000 kubelets must not
   * cost more to render than the agent's reads. @default 0 (rendered for each request)
   */
  readonly cacheMs?: number;
}

type Body = 'summary' | 'cadvisor';

interface Endpoint {
  readonly server: https.Server;
  readonly sockets: Set<Socket>;
  readonly port: number;
}

export class SimKubelets {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly faults = new Map<string, { fault: KubeletFault; left: number }>();
  private readonly pending = new Set<Promise<void>>();
  /** Summary requests served (or failed) per node. */
  readonly requests = new Map<string, number>();
  /** `/metrics/cadvisor` requests served per node. */
  readonly cadvisorRequests = new Map<string, number>();
  /** TLS connections accepted per node: a client that keeps its connections alive opens one. */
  readonly connections = new Map<string, number>();
  private readonly rendered = new Map<string, { at: number; body: string | undefined }>();
  private readonly onChange = (c: Change) => {
    if (c.resource !== 'nodes') return;
    const name = String((c.object.metadata as { name: string }).name);
    if (c.type === 'ADDED' && !this.endpoints.has(name)) this.track(this.open(name));
    if (c.type === 'DELETED') this.track(this.shut(name));
  };

  private constructor(private readonly opts: KubeletsOptions) {}

  static async start(opts: KubeletsOptions): Promise<SimKubelets> {
    const k = new SimKubelets(opts);
    opts.cluster.on('change', k.onChange);
    const nodes = new Set([
      ...opts.cluster.nodeModels.keys(),
      ...opts.cluster.list('nodes').map((o) => String((o.metadata as { name: string }).name)),
    ]);
    await Promise.all([...nodes].map((n) => k.open(n)));
    return k;
  }

  /** Resolves once kubelets of nodes added so far are listening (their ports published). */
  async ready(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  setFault(node: string, fault: KubeletFault): void {
    this.faults.set(node, { fault, left: fault.times ?? Infinity });
  }

  clearFault(node: string): void {
    this.faults.delete(node);
  }

  portOf(node: string): number | undefined {
    return this.endpoints.get(node)?.port;
  }

  /** What the node's kubelet answers now (faults applied): for the API server's node proxy. */
  async answer(node: string): Promise<{ status: number; body: string }> {
    this.requests.set(node, (this.requests.get(node) ?? 0) + 1);
    const f = this.takeFault(node);
    if (f?.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
    if (f?.status) return { status: f.status, body: `simulated kubelet failure ${f.status}` };
    if (f?.garbage) return { status: 200, body: '<html>not a summary</html>' };
    const body = this.opts.summaries?.get(node) ?? this.body('summary', node);
    return body === undefined ? { status: 404, body: 'node not found' } : { status: 200, body };
  }

  async close(): Promise<void> {
    this.opts.cluster.off('change', this.onChange);
    await this.ready();
    await Promise.all([...this.endpoints.keys()].map((n) => this.shut(n)));
  }

  /** Renders the node's bodies now unless `cacheMs` has not passed since they were. */
  warm(node: string): void {
    this.body('summary', node);
    this.body('cadvisor', node);
  }

  private body(kind: Body, node: string): string | undefined {
    const render = () => (kind === 'summary' ? summaryBody(this.opts.cluster, node) : cadvisorBody(this.opts.cluster, node));
    const cacheMs = this.opts.cacheMs ?? 0;
    if (cacheMs <= 0) return render();
    const key = `${kind} ${node}`;
    const now = this.opts.cluster.clock.now();
    const hit = this.rendered.get(key);
    if (hit && now - hit.at < cacheMs) return hit.body;
    const body = render();
    this.rendered.set(key, { at: now, body });
    return body;
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private takeFault(node: string): KubeletFault | undefined {
    const f = this.faults.get(node);
    if (!f) return undefined;
    if (--f.left <= 0) this.faults.delete(node);
    return f.fault;
  }

  private async open(node: string): Promise<void> {
    const tls = loopbackTls.kubelet(this.opts.certificate?.(node) ?? 'ip');
    const sockets = new Set<Socket>();
    const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      if (req.headers.authorization !== `Bearer ${this.opts.token}`) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized');
        return;
      }
      const path = req.url?.split('?')[0];
      if (path === '/configz') return this.configz(node, res);
      // The kubelet authorizes /stats/* as nodes/stats and /metrics/* as nodes/metrics.
      const subresource = path === '/metrics/cadvisor' ? 'metrics' : 'stats';
      if ((subresource === 'stats' ? this.opts.nodesStats : this.opts.nodesMetrics) === false) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end(forbidden(subresource));
        return;
      }
      if (path === '/metrics/cadvisor') {
        const body = this.body('cadvisor', node);
        this.cadvisorRequests.set(node, (this.cadvisorRequests.get(node) ?? 0) + 1);
        if (body === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end('node not found');
        else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
        return;
      }
      if (path !== '/stats/summary') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
        return;
      }
      const f = this.faults.get(node)?.fault;
      if (f?.reset) {
        this.takeFault(node);
        this.requests.set(node, (this.requests.get(node) ?? 0) + 1);
        req.socket.destroy();
        return;
      }
      void this.answer(node).then((a) => {
        if (!res.destroyed) res.writeHead(a.status, { 'content-type': a.status === 200 ? 'application/json' : 'text/plain' }).end(a.body);
      });
    });
    // As a kubelet's server (`IdleTimeout: 90 * time.Second`), not Node's 5-s default: clients keep connections.
    server.keepAliveTimeout = KUBELET_IDLE_TIMEOUT_MS;
    server.on('secureConnection', () => this.connections.set(node, (this.connections.get(node) ?? 0) + 1));
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    // A TLS failure on the client's side (a refused certificate) is not the server's problem.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    this.endpoints.set(node, { server, sockets, port });
    if (this.opts.cluster.get('nodes', node)) this.opts.cluster.setKubeletPort(node, port);
  }

  /** The kubelet's configuration as `/configz` shows it: `{"kubeletconfig": {...}}`, here its eviction part. */
  private configz(node: string, res: http.ServerResponse): void {
    if (this.opts.nodesConfigz === false) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(forbidden('configz'));
      return;
    }
    const spec = this.opts.cluster.nodeModels.get(node)?.spec;
    const kubeletconfig = {
      kind: 'KubeletConfiguration',
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      evictionHard: { ...DEFAULT_EVICTION_HARD, ...spec?.evictionHard },
      ...(spec?.evictionSoft ? { evictionSoft: spec.evictionSoft } : {}),
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kubeletconfig }));
  }

  private async shut(node: string): Promise<void> {
    const e = this.endpoints.get(node);
    if (!e) return;
    this.endpoints.delete(node);
    for (const s of e.sockets) s.destroy();
    await new Promise<void>((r) => e.server.close(() => r()));
  }
}
