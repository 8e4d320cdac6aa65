/**
 * A loopback Kubernetes API server over a `SimCluster`, speaking enough of the real protocol for a real
 * client: bearer-token authentication; paginated lists (`limit`/`continue`, consistent snapshots) with
 * field selectors; lists with a `resourceVersion` served as the watch cache serves them (whole, `limit`
 * ignored; a `continue` token with a `resourceVersion` refused); watches from a resourceVersion with
 * bookmarks, `timeoutSeconds`, and `410 Gone` once the history is compacted; streaming lists
 * (`sendInitialEvents`) served, refused as a server with the WatchList gate off, or ignored; the node proxy to each
 * kubelet's summary (only with `nodes/proxy`); `/readyz?verbose`. Faults are injected through `faults`:
 * 429s with `Retry-After` (mid-list too, matching `continue=`), failures, dropped, closed or stalled
 * watches, compaction, expired continue tokens, failing readiness checks.
 */
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo, Socket } from 'net';
import { RESOURCES, type Change, type Json, type Resource, type SimCluster } from './cluster';
import { cadvisorBody } from './cadvisor';
import { SimLeases } from './leases';
import { summaryBody } from './summary';

export interface SimPermissions {
  /** `get nodes/stats`: the kubelet's summary, read directly. @default true */
  readonly nodesStats?: boolean;
  /** `get nodes/metrics`: the kubelet's `/metrics/cadvisor`, read directly. @default true */
  readonly nodesMetrics?: boolean;
  /** `get nodes/proxy`: the API server's node proxy. @default false, as the agent's default role */
  readonly nodesProxy?: boolean;
  /** `get nodes/configz`: the kubelet's configuration (1.33+ kubelets). @default true */
  readonly nodesConfigz?: boolean;
}

export interface ApiServerOptions {
  readonly cluster: SimCluster;
  readonly token: string;
  /** Serve HTTPS with this certificate (the loopback certificates in `tls/`); absent = plain HTTP. */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly permissions?: SimPermissions;
  /** How often open watches get a BOOKMARK. @default 1000 ms */
  readonly bookmarkIntervalMs?: number;
  /** The node proxy's answer for a node's summary (the kubelets' faults apply through it). */
  readonly proxySummary?: (node: string) => Promise<{ status: number; body: string }>;
  /**
   * Streaming lists (`sendInitialEvents=true` on a watch, KEP-3157's WatchList):
   * - `on`: the state as ADDED events, then a BOOKMARK annotated `k8s.io/initial-events-end: "true"`, then
   *   changes (1.32, and 1.34 onwards: the feature gate on by default);
   * - `off`: refused with 422 Invalid, as a server with the gate off answers (1.27–1.31, 1.33); older
   *   servers refuse `resourceVersionMatch` on a watch with the same 422;
   * - `ignored`: the parameters dropped, as a proxy or another implementation might: a plain watch.
   * @default 'off' (the simulated server says it is 1.33)
   */
  readonly watchList?: 'on' | 'off' | 'ignored';
}

export interface RequestRecord {
  readonly method: string;
  /** The decoded path, without the query. */
  readonly path: string;
  readonly query: string;
  readonly status: number;
  readonly watch: boolean;
  /** Bytes of the answer's body sent so far (a watch's grows with each event it streams). */
  bytes: number;
}

interface Rule {
  left: number;
  readonly match: RegExp;
  readonly status: number;
  readonly retryAfterSeconds?: number;
  readonly delayMs?: number;
}

export class ApiFaults {
  /** @internal */ readonly rules: Rule[] = [];
  /** @internal */ readonly watches = new Set<{ socket: Socket; end: () => void; stalled: boolean }>();
  /** @internal */ expired = new Set<string>();
  /** @internal */ readonly readyz = new Map<string, boolean>(
    [
      'ping',
      'log',
      'etcd',
      'etcd-readiness',
      'informer-sync',
      'poststarthook/start-apiserver-admission-initializer',
      'poststarthook/rbac/bootstrap-roles',
      'shutdown',
    ].map((c) => [c, true]),
  );
  /** @internal */ continueTokens = new Map<string, { items: string[]; rv: number; kind: string; apiVersion: string }>();
  /** Watch answers 410 as an HTTP status instead of an ERROR event (older servers, some proxies). */
  goneAsHttpStatus = false;
  /** Streaming lists: see `ApiServerOptions.watchList`; changed here, as by an upgrade of the server. */
  watchList: 'on' | 'off' | 'ignored' = 'off';

  /** The next `count` requests whose path matches get 429 with `Retry-After`. */
  throttle(count: number, match: RegExp = /./, retryAfterSeconds = 1): void {
    this.rules.push({ left: count, match, status: 429, retryAfterSeconds });
  }

  /** The next `count` matching requests fail with `status`. */
  fail(count: number, status: number, match: RegExp = /./): void {
    this.rules.push({ left: count, match, status });
  }

  /** The next `count` matching requests are answered only after `delayMs`. */
  delay(count: number, delayMs: number, match: RegExp = /./): void {
    this.rules.push({ left: count, match, status: 0, delayMs });
  }

  /** How many watch connections are open now. */
  get openWatches(): number {
    return this.watches.size;
  }

  /** Cuts every open watch connection, as a network blip or an API server restart does. */
  dropWatches(): number {
    const n = this.watches.size;
    for (const w of this.watches) w.socket.destroy();
    this.watches.clear();
    return n;
  }

  /** Ends every open watch cleanly, as the server does when `timeoutSeconds` runs out. */
  closeWatches(): number {
    const n = this.watches.size;
    for (const w of this.watches) w.end();
    this.watches.clear();
    return n;
  }

  /**
   * Every open watch goes silent, its connection left open: no event, no bookmark, as a half-open socket
   * or an API server instance replaced behind a load balancer. Watches opened later are healthy.
   */
  stallWatches(): number {
    for (const w of this.watches) w.stalled = true;
    return this.watches.size;
  }

  /** Continue tokens handed out so far stop working (410 Gone). */
  expireContinueTokens(): void {
    for (const t of this.continueTokens.keys()) this.expired.add(t);
    this.continueTokens.clear();
  }

  /** Marks a `/readyz` check as failing (or passing again), e.g. `etcd`. */
  setReadyz(check: string, ok: boolean): void {
    this.readyz.set(check, ok);
  }
}

export interface SimApiServer {
  readonly url: string;
  readonly faults: ApiFaults;
  readonly requests: RequestRecord[];
  /** The Leases written to it (the sharded agent's). */
  readonly leases: SimLeases;
  close(): Promise<void>;
}

interface Route {
  readonly resource: Resource;
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespace?: string;
  readonly name?: string;
}

const KARPENTER_PREFIX = '/apis/karpenter.sh/v1';

const GROUPS: Record<Resource, { prefix: string; kind: string; apiVersion: string }> = {
  nodes: { prefix: '/api/v1', kind: 'Node', apiVersion: 'v1' },
  pods: { prefix: '/api/v1', kind: 'Pod', apiVersion: 'v1' },
  events: { prefix: '/api/v1', kind: 'Event', apiVersion: 'v1' },
  deployments: { prefix: '/apis/apps/v1', kind: 'Deployment', apiVersion: 'apps/v1' },
  statefulsets: { prefix: '/apis/apps/v1', kind: 'StatefulSet', apiVersion: 'apps/v1' },
  daemonsets: { prefix: '/apis/apps/v1', kind: 'DaemonSet', apiVersion: 'apps/v1' },
  replicasets: { prefix: '/apis/apps/v1', kind: 'ReplicaSet', apiVersion: 'apps/v1' },
  jobs: { prefix: '/apis/batch/v1', kind: 'Job', apiVersion: 'batch/v1' },
  persistentvolumeclaims: { prefix: '/api/v1', kind: 'PersistentVolumeClaim', apiVersion: 'v1' },
  persistentvolumes: { prefix: '/api/v1', kind: 'PersistentVolume', apiVersion: 'v1' },
  nodepools: { prefix: KARPENTER_PREFIX, kind: 'NodePool', apiVersion: 'karpenter.sh/v1' },
  nodeclaims: { prefix: KARPENTER_PREFIX, kind: 'NodeClaim', apiVersion: 'karpenter.sh/v1' },
  namespaces: { prefix: '/api/v1', kind: 'Namespace', apiVersion: 'v1' },
};
/** Cluster-scoped: no `namespaces/<ns>/` path. */
const CLUSTER_SCOPED = new Set<Resource>(['nodes', 'persistentvolumes', 'namespaces', 'nodepools', 'nodeclaims']);

function route(path: string, cluster: SimCluster): Route | undefined {
  for (const resource of RESOURCES) {
    if (KARPENTER_RESOURCES.has(resource) && !cluster.servesKarpenter) continue;
    const g = GROUPS[resource];
    if (!path.startsWith(g.prefix + '/')) continue;
    const rest = path.slice(g.prefix.length + 1).split('/');
    const base = { resource, kind: g.kind, apiVersion: g.apiVersion };
    if (rest[0] === resource && rest.length <= 2) return { ...base, ...(rest[1] ? { name: rest[1] } : {}) };
    if (rest[0] === 'namespaces' && rest[2] === resource && !CLUSTER_SCOPED.has(resource) && rest.length <= 4)
      return { ...base, namespace: rest[1], ...(rest[3] ? { name: rest[3] } : {}) };
  }
  return undefined;
}

const FIELDS: Readonly<Record<string, (o: Json) => unknown>> = {
  'metadata.name': (o) => (o.metadata as Json)?.name,
  'metadata.namespace': (o) => (o.metadata as Json)?.namespace,
  'spec.nodeName': (o) => (o.spec as Json)?.nodeName ?? '',
  'status.phase': (o) => (o.status as Json)?.phase,
  type: (o) => o.type,
  reason: (o) => o.reason,
  'involvedObject.kind': (o) => (o.involvedObject as Json)?.kind,
  'involvedObject.name': (o) => (o.involvedObject as Json)?.name,
  'involvedObject.namespace': (o) => (o.involvedObject as Json)?.namespace,
  'involvedObject.uid': (o) => (o.involvedObject as Json)?.uid,
};

class BadRequest extends Error {}

/** `a=b,c!=d` → a predicate; unknown fields are refused, as the real server does. */
function fieldSelector(raw: string | null): (o: Json) => boolean {
  if (!raw) return () => true;
  const terms = raw.split(',').map((t) => {
    const m = /^([^!=]+)(==|!=|=)(.*)$/.exec(t.trim());
    if (!m || !FIELDS[m[1]]) throw new BadRequest(`field label not supported: ${m?.[1] ?? t}`);
    return { get: FIELDS[m[1]], negate: m[2] === '!=', value: m[3] };
  });
  return (o) => terms.every((t) => (String(t.get(o) ?? '') === t.value) !== t.negate);
}

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/** The marker of the bookmark that ends a streaming list's initial events. */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

/**
 * A watch's `sendInitialEvents` / `resourceVersionMatch`, checked as the real server's
 * `validateWatchOptions` does; the 422 message is the one a real server gives.
 */
function watchListProblem(q: URLSearchParams, mode: 'on' | 'off'): string | undefined {
  const send = q.get('sendInitialEvents');
  const match = q.get('resourceVersionMatch');
  const problems: string[] = [];
  if (send !== null) {
    if (match !== 'NotOlderThan')
      problems.push('resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (mode === 'off')
      problems.push('sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled');
  } else if (match !== null)
    problems.push('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
  if (!problems.length) return undefined;
  return `ListOptions.meta.k8s.io "" is invalid: ${problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`}`;
}

/** List items carry no kind/apiVersion on the wire. */
function listItem(o: Json): string {
  return JSON.stringify({ ...o, kind: undefined, apiVersion: undefined });
}

export async function startApiServer(opts: ApiServerOptions): Promise<SimApiServer> {
  const { cluster } = opts;
  const faults = new ApiFaults();
  faults.watchList = opts.watchList ?? 'off';
  const requests: RequestRecord[] = [];
  const permissions = { nodesStats: true, nodesProxy: false, ...opts.permissions };
  const leases = new SimLeases();
  let tokens = 0;
  let closed = false;

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    // The real server decodes the path before routing (client-node sends `stats%2Fsummary`).
    const path = decodeURIComponent(url.pathname);
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const send = (code: number, body: string, headers: Record<string, string> = {}) => {
      requests.push({ method: req.method ?? 'GET', path, query: url.search, status: code, watch, bytes: Buffer.byteLength(body) });
      res.writeHead(code, { 'content-type': 'application/json', ...headers }).end(body);
    };
    if (req.headers.authorization !== `Bearer ${opts.token}`) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    const rule = faults.rules.find((r) => r.left > 0 && r.match.test(path + url.search));
    if (rule) {
      rule.left--;
      if (rule.delayMs) {
        await new Promise((r) => setTimeout(r, rule.delayMs));
        // The client (or the server's close()) may have hung up meanwhile.
        if (res.destroyed || closed) return;
      } else if (rule.status === 429)
        return send(429, status(429, 'TooManyRequests', 'Too many requests, please try again later.'), {
          'retry-after': String(rule.retryAfterSeconds ?? 1),
        });
      else return send(rule.status, status(rule.status, 'InternalError', `simulated failure ${rule.status}`));
    }
    if (SimLeases.handles(path)) {
      const a = await leases.answer(req, path);
      return send(a.status, a.body);
    }
    if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', 'the simulated API server is read-only'));

    if (path === '/readyz' || path === '/livez' || path === '/healthz') {
      const checks = [...faults.readyz];
      const ok = checks.every(([, v]) => v);
      const verbose = url.searchParams.has('verbose');
      const text = verbose
        ? `${checks.map(([c, v]) => (v ? `[+]${c} ok` : `[-]${c} failed: reason withheld`)).join('\n')}\n${path.slice(1)} check ${ok ? 'passed' : 'failed'}\n`
        : ok
          ? 'ok'
          : `${path.slice(1)} check failed`;
      requests.push({ method: 'GET', path, query: url.search, status: ok ? 200 : 500, watch: false, bytes: Buffer.byteLength(text) });
      res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
      return;
    }
    if (path === '/version')
      return send(200, JSON.stringify({ major: '1', minor: '33', gitVersion: 'v1.33.5-eks-3cfe0ce', platform: 'linux/amd64' }));

    const proxy = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/(.*)$/.exec(path);
    if (proxy) {
      const [, node, sub] = proxy;
      if (!permissions.nodesProxy)
        return send(
          403,
          status(
            403,
            'Forbidden',
            `nodes "${node}" is forbidden: User "system:serviceaccount:vigil:vigil-agent" cannot get resource "nodes/proxy" in API group "" at the cluster scope`,
          ),
        );
      if (!cluster.nodeModels.has(node)) return send(404, status(404, 'NotFound', `nodes "${node}" not found`));
      if (sub === 'metrics/cadvisor') return send(200, cadvisorBody(cluster, node) ?? '');
      if (sub !== 'stats/summary')
        return send(404, status(404, 'NotFound', `the simulated kubelet serves only stats/summary and metrics/cadvisor, not ${sub}`));
      const r = opts.proxySummary ? await opts.proxySummary(node) : { status: 200, body: summaryBody(cluster, node) ?? '' };
      return send(r.status, r.body);
    }

    // Discovery of the custom resources' group version: 404 until the CRDs are installed, as a real server.
    if (path === KARPENTER_PREFIX && cluster.servesKarpenter) return send(200, karpenterDiscovery());
    const r = route(path, cluster);
    if (!r) return send(404, status(404, 'NotFound', `the server could not find the requested resource (${path})`));
    let match: (o: Json) => boolean;
    try {
      match = fieldSelector(url.searchParams.get('fieldSelector'));
    } catch (e) {
      return send(400, status(400, 'BadRequest', (e as Error).message));
    }
    const inScope = (o: Json) => (!r.namespace || (o.metadata as Json).namespace === r.namespace) && match(o);

    if (r.name) {
      const key = r.namespace ? `${r.namespace}/${r.name}` : r.name;
      const o = cluster.get(r.resource, key);
      return o ? send(200, JSON.stringify(o)) : send(404, status(404, 'NotFound', `${r.resource} "${r.name}" not found`));
    }

    if (!watch) {
      const cont = url.searchParams.get('continue');
      const fromCache = Boolean(url.searchParams.get('resourceVersion'));
      if (cont && fromCache) return send(400, status(400, 'BadRequest', 'specifying resource version is not allowed when using continue'));
      // The watch cache answers a list with a resourceVersion whole, whatever the limit.
      const limit = fromCache ? 0 : Number(url.searchParams.get('limit') ?? 0);
      let page: { items: string[]; rv: number; kind: string; apiVersion: string };
      let offset = 0;
      if (cont) {
        const [id, at] = Buffer.from(cont, 'base64url').toString().split(':');
        const snap = faults.continueTokens.get(id);
        if (!snap || faults.expired.has(id))
          return send(
            410,
            status(
              410,
              'Expired',
              'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
            ),
          );
        page = snap;
        offset = Number(at);
      } else {
        const items = cluster.list(r.resource).filter(inScope).sort(byKey).map(listItem);
        page = { items, rv: cluster.resourceVersion, kind: `${r.kind}List`, apiVersion: r.apiVersion };
      }
      const end = limit > 0 ? Math.min(page.items.length, offset + limit) : page.items.length;
      let next: string | undefined;
      if (end < page.items.length) {
        const id = cont ? Buffer.from(cont, 'base64url').toString().split(':')[0] : String(++tokens);
        faults.continueTokens.set(id, page);
        next = Buffer.from(`${id}:${end}`).toString('base64url');
      }
      const body = `{"kind":"${page.kind}","apiVersion":"${page.apiVersion}","metadata":{"resourceVersion":"${page.rv}"${next ? `,"continue":"${next}"` : ''}},"items":[${page.items.slice(offset, end).join(',')}]}`;
      return send(200, body);
    }

    // Watch.
    const watchList = faults.watchList;
    const refusal = watchList === 'ignored' ? undefined : watchListProblem(url.searchParams, watchList);
    if (refusal)
      return send(
        422,
        JSON.stringify({ ...JSON.parse(status(422, 'Invalid', refusal)), details: { group: 'meta.k8s.io', kind: 'ListOptions' } }),
      );
    // A streaming list: the state now (it is never older than any resourceVersion asked), then the marker.
    const streaming = watchList === 'on' && url.searchParams.get('sendInitialEvents') === 'true';
    const fromRv = streaming ? 0 : Number(url.searchParams.get('resourceVersion') ?? 0);
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';
    let backlog: Change[] | 'gone';
    if (!fromRv)
      backlog = cluster
        .list(r.resource)
        .filter(inScope)
        .sort(byKey)
        .map((o) => ({ rv: cluster.resourceVersion, resource: r.resource, type: 'ADDED', object: o }));
    else backlog = cluster.changesSince(r.resource, fromRv);
    if (backlog === 'gone') {
      const message = `too old resource version: ${fromRv} (${cluster.resourceVersion})`;
      if (faults.goneAsHttpStatus) return send(410, status(410, 'Expired', message));
      const gone = JSON.stringify({ type: 'ERROR', object: JSON.parse(status(410, 'Expired', message)) }) + '\n';
      requests.push({ method: 'GET', path, query: url.search, status: 200, watch: true, bytes: Buffer.byteLength(gone) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(gone);
      return;
    }
    const record: RequestRecord = { method: 'GET', path, query: url.search, status: 200, watch: true, bytes: 0 };
    requests.push(record);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders(); // as the real server does: the client's watch is open before any event
    const entry = { socket: req.socket, end: () => res.end(), stalled: false };
    const line = (type: string, object: Json) => {
      if (entry.stalled) return;
      const text = JSON.stringify({ type, object }) + '\n';
      record.bytes += Buffer.byteLength(text);
      res.write(text);
    };
    for (const c of backlog) if (inScope(c.object)) line(c.type, c.object);
    const sendBookmark = (annotations?: Json) =>
      line('BOOKMARK', {
        kind: r.kind,
        apiVersion: r.apiVersion,
        metadata: { resourceVersion: String(cluster.resourceVersion), ...(annotations ? { annotations } : {}) },
      });
    if (streaming) sendBookmark({ [INITIAL_EVENTS_END]: 'true' });
    // Besides the periodic bookmark, one right after any burst of changes (coalesced per turn of the event
    // loop), so every watch, even of a resource that did not change, learns the cluster's resourceVersion
    // at once: what lets local mode know the agent has caught up (`Agent.caughtUp`). Bookmarks are sent
    // at the server's discretion; a real one sends them about once a minute.
    let bookmarkDue = false;
    const onChange = (c: Change) => {
      if (c.resource === r.resource && inScope(c.object)) line(c.type, c.object);
      if (bookmarks && !bookmarkDue) {
        bookmarkDue = true;
        setImmediate(() => {
          bookmarkDue = false;
          if (!res.writableEnded && !res.destroyed) sendBookmark();
        });
      }
    };
    cluster.on('change', onChange);
    // And one as the watch opens, after the changes it resumed from.
    if (bookmarks) sendBookmark();
    const bookmark = bookmarks ? setInterval(() => sendBookmark(), opts.bookmarkIntervalMs ?? 1000) : undefined;
    faults.watches.add(entry);
    const timer = timeoutSeconds > 0 ? setTimeout(() => entry.stalled || res.end(), timeoutSeconds * 1000) : undefined;
    const cleanup = () => {
      cluster.off('change', onChange);
      if (bookmark) clearInterval(bookmark);
      if (timer) clearTimeout(timer);
      faults.watches.delete(entry);
    };
    res.on('close', cleanup);
    res.on('finish', cleanup);
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handler(req, res).catch((e) => {
      if (!res.headersSent)
        res.writeHead(500, { 'content-type': 'application/json' }).end(status(500, 'InternalError', (e as Error).message));
    });
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, listener) : http.createServer(listener);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    faults,
    requests,
    leases,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        faults.dropWatches();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const KARPENTER_RESOURCES = new Set<Resource>(['nodepools', 'nodeclaims']);

/** The APIResourceList a real server answers for `/apis/karpenter.sh/v1` (its status subresources too). */
function karpenterDiscovery(): string {
  const verbs = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];
  // `categories` from the kubebuilder markers in pkg/apis/v1 (`+kubebuilder:resource:…,categories=karpenter`).
  const resource = (name: string, kind: string) => [
    { name, singularName: kind.toLowerCase(), namespaced: false, kind, verbs, categories: ['karpenter'] },
    { name: `${name}/status`, singularName: '', namespaced: false, kind, verbs: ['get', 'patch', 'update'] },
  ];
  return JSON.stringify({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'karpenter.sh/v1',
    resources: [...resource('nodepools', 'NodePool'), ...resource('nodeclaims', 'NodeClaim')],
  });
}

function byKey(a: Json, b: Json): number {
  const ka = `${(a.metadata as Json).namespace ?? ''}/${(a.metadata as Json).name}`;
  const kb = `${(b.metadata as Json).namespace ?? ''}/${(b.metadata as Json).name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
