/**
 * Reading every node's kubelet summary: with bounded concurrency, a deadline per node, and partial
 * results: a node that fails is reported with its error's kind, the others are kept.
 *
 * Two sources. `DirectKubeletSource` (the default) calls `https://<InternalIP>:<kubelet port>/stats/summary`
 * with the service account's token, as metrics-server does: it needs only `nodes/stats`, and it trusts
 * the cluster CA (EKS kubelets serve certificates signed by it), accepting a certificate that names the
 * node's IP or its name. `ApiProxySource` goes through the API server's node proxy: for networks that
 * block pods from nodes' port 10250, at the price of `nodes/proxy`, which also allows exec.
 */
import * as https from 'https';
import * as tls from 'tls';
import { BATCH_LIMITS } from '../../model/batch-constants';
import type { ScrapeError, ScrapeErrorKind } from '../../model/domain';
import { mapLimit } from '../../common/concurrency';
import { ApiError, type KubeApi } from '../kube/api';
import { clip, type KubeletTarget } from '../kube/project';
import { CfsParser, parseCfs, type CfsCounters } from './cadvisor';
import { asSummary, SummaryShapeError, type SummaryJson } from './summary';

export interface SummarySource {
  /** The parsed JSON the node's kubelet answers to `path` (`/stats/summary`, `/configz`); `signal` aborts the call. */
  fetch(target: KubeletTarget, timeoutMs: number, signal?: AbortSignal, path?: string): Promise<unknown>;
  /** The node's containers' CFS counters from `/metrics/cadvisor` (needs `nodes/metrics`, or `nodes/proxy` through the API server). */
  cfs?(target: KubeletTarget, timeoutMs: number, signal?: AbortSignal): Promise<ReadonlyMap<string, CfsCounters>>;
}

/** A failure of one node's scrape, already classified. */
export class ScrapeFailure extends Error {
  override readonly name = 'ScrapeFailure';
  constructor(
    readonly kind: ScrapeErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
]);

export function classify(e: unknown): ScrapeErrorKind {
  if (e instanceof ScrapeFailure) return e.kind;
  if (e instanceof ApiError) return 'http';
  if (e instanceof SyntaxError || e instanceof SummaryShapeError) return 'parse';
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    if (code === 'ETIMEDOUT') return 'timeout';
    if (TLS_CODES.test(code)) return 'tls';
    if (CONNECT_CODES.has(code)) return 'connect';
  }
  return 'other';
}

const MAX_SUMMARY_BYTES = 64 * 1024 * 1024;
const SUMMARY_PATH = '/stats/summary';
const answerTo = (path: string) => (path === SUMMARY_PATH ? 'summary' : `answer to ${path}`);

/** How a request fails on a kept connection the server has just closed. */
const STALE_CODES = new Set(['ECONNRESET', 'EPIPE']);

class StaleConnection extends Error {
  constructor(readonly cause: Error) {
    super(cause.message);
  }
}

export interface DirectKubeletOptions {
  /** The CA that signs kubelet serving certificates (the cluster CA); absent = Node's default trust store. */
  readonly ca?: string | Buffer;
  /** Skip certificate verification (self-signed kubelets, e.g. kubeadm's default). Opt-in only. */
  readonly insecureSkipTlsVerify?: boolean;
  /** The `Authorization` header value (the service account token, re-read as it rotates). */
  readonly authorization: () => Promise<string | undefined>;
}

/**
 * A kubelet closes a connection idle for 90 s (`IdleTimeout` in kubernetes/kubernetes
 * pkg/kubelet/server/server.go); the agent closes its own idle connections sooner, so that it does not send
 * a request on a connection the kubelet is closing.
 */
export const KUBELET_IDLE_CLOSE_MS = 75_000;

export class DirectKubeletSource implements SummarySource {
  private readonly agent: https.Agent;
  private auth?: { value: Promise<string | undefined>; at: number };

  constructor(private readonly opts: DirectKubeletOptions) {
    this.agent = new https.Agent({
      // One connection per kubelet, kept from its summary read to its cAdvisor read and, at intervals up
      // to a minute, to the next cycle's: a TLS handshake per read was most of a read's cost.
      keepAlive: true,
      timeout: KUBELET_IDLE_CLOSE_MS,
      maxCachedSessions: 5000,
      // One TLS context for every kubelet: given the CA instead, Node parses it again for each connection.
      secureContext: tls.createSecureContext(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}),
    });
  }

  async fetch(target: KubeletTarget, timeoutMs: number, signal?: AbortSignal, path = SUMMARY_PATH): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    await this.get(target, path, 'application/json', timeoutMs, signal, (c) => {
      size += c.length;
      if (size > MAX_SUMMARY_BYTES) throw new ScrapeFailure('other', `${answerTo(path)} larger than ${MAX_SUMMARY_BYTES} bytes`);
      chunks.push(c);
    });
    const body = Buffer.concat(chunks).toString('utf8');
    // The kept connection holds on to this request's listeners, and so to `chunks`: let go of the answer.
    chunks.length = 0;
    return JSON.parse(body);
  }

  /** Streams `/metrics/cadvisor` through the parser: only the CFS series are ever held. */
  async cfs(target: KubeletTarget, timeoutMs: number, signal?: AbortSignal): Promise<ReadonlyMap<string, CfsCounters>> {
    const parser = new CfsParser();
    await this.get(target, '/metrics/cadvisor', 'text/plain', timeoutMs, signal, (c) => parser.push(c));
    return parser.end();
  }

  /** GETs `path` from the node's kubelet, handing each chunk of a 200 answer to `onData` (which may throw to cut it). */
  private async get(
    target: KubeletTarget,
    path: string,
    accept: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    onData: (chunk: Buffer) => void,
  ): Promise<void> {
    if (!target.address) throw new ScrapeFailure('other', `node ${target.node} reports no address`);
    const authorization = await this.authorization();
    const started = Date.now();
    try {
      await this.request(target, path, accept, authorization, timeoutMs, signal, onData);
    } catch (e) {
      // A kept connection the kubelet closed as it was reused: once more, on a new connection.
      if (!(e instanceof StaleConnection)) throw e;
      await this.request(target, path, accept, authorization, Math.max(1, timeoutMs - (Date.now() - started)), signal, onData);
    }
  }

  private request(
    target: KubeletTarget,
    path: string,
    accept: string,
    authorization: string | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    onData: (chunk: Buffer) => void,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let answered = false;
      const req = https.request(
        {
          host: target.address,
          port: target.port,
          path,
          method: 'GET',
          agent: this.agent,
          headers: { Accept: accept, ...(authorization ? { Authorization: authorization } : {}) },
          // Kubelet certificates name the node's IP, or only its name: accept either.
          checkServerIdentity: (host, cert) => {
            const byAddress = tls.checkServerIdentity(host, cert);
            return byAddress && tls.checkServerIdentity(target.node, cert) ? byAddress : undefined;
          },
        },
        (res) => {
          answered = true;
          const failed: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            if (res.statusCode !== 200) {
              if (failed.length === 0) failed.push(c);
              return;
            }
            try {
              onData(c);
            } catch (e) {
              req.destroy(e as Error);
            }
          });
          res.on('end', () => {
            if (res.statusCode !== 200)
              reject(
                new ScrapeFailure(
                  'http',
                  `kubelet answered HTTP ${res.statusCode} to ${path}: ${Buffer.concat(failed).toString('utf8', 0, 200)}`,
                ),
              );
            else resolve();
          });
          res.on('error', reject);
        },
      );
      const deadline = setTimeout(
        () => req.destroy(new ScrapeFailure('timeout', `no ${answerTo(path)} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const abort = () => req.destroy(new ScrapeFailure('timeout', String(signal?.reason ?? 'aborted')));
      signal?.addEventListener('abort', abort, { once: true });
      req.on('close', () => {
        clearTimeout(deadline);
        signal?.removeEventListener('abort', abort);
      });
      req.on('error', (e) =>
        reject(!answered && req.reusedSocket && STALE_CODES.has((e as { code?: string }).code ?? '') ? new StaleConnection(e) : e),
      );
      req.end();
    });
  }

  /** The token changes about hourly; re-reading it once a minute is enough. */
  private authorization(): Promise<string | undefined> {
    const now = Date.now();
    if (!this.auth || now - this.auth.at > 60_000) this.auth = { value: this.opts.authorization(), at: now };
    return this.auth.value;
  }
}

/** Through `/api/v1/nodes/{node}/proxy/stats/summary` (needs `nodes/proxy`). */
export class ApiProxySource implements SummarySource {
  constructor(private readonly api: KubeApi) {}

  fetch(target: KubeletTarget, timeoutMs: number, signal?: AbortSignal, path = SUMMARY_PATH): Promise<unknown> {
    // A raw path: client-node's connectGetNodeProxyWithPath would encode the `/` of `stats/summary`.
    return this.api.getJson(`/api/v1/nodes/${encodeURIComponent(target.node)}/proxy${path}`, timeoutMs, signal);
  }

  async cfs(target: KubeletTarget, timeoutMs: number): Promise<ReadonlyMap<string, CfsCounters>> {
    const path = `/api/v1/nodes/${encodeURIComponent(target.node)}/proxy/metrics/cadvisor`;
    const { status, body } = await this.api.getText(path, timeoutMs);
    if (status !== 200) throw new ScrapeFailure('http', `API server answered HTTP ${status} to ${path}: ${body.slice(0, 200)}`);
    return parseCfs(body);
  }
}

export interface ScrapeResult<T = SummaryJson> {
  readonly node: string;
  /** The summary, reduced by `ScrapeOptions.reduce` when given. */
  readonly summary?: T;
  readonly error?: ScrapeError;
}

export interface ScrapeOptions<T = SummaryJson> {
  readonly concurrency: number;
  /**
   * Keeps only what the batch needs of a summary, inside the worker: a parsed summary (about 100 KB on a
   * busy node) is then dropped at once instead of being held until every node has answered.
   */
  readonly reduce?: (summary: SummaryJson) => T;
  /** Per node: how long its kubelet may take to answer. */
  readonly timeoutMs: (target: KubeletTarget) => number;
  /**
   * The cycle's deadline (or the agent stopping): in-flight calls are cut, and nodes not reached yet are
   * reported as `timeout` without being called, so a cycle never outlives its interval.
   */
  readonly signal?: AbortSignal;
}

/** Every target's summary or error, in input order; never rejects. */
export function scrapeAll<T = SummaryJson>(
  targets: readonly KubeletTarget[],
  source: SummarySource,
  opts: ScrapeOptions<T>,
): Promise<ScrapeResult<T>[]> {
  const { signal } = opts;
  const reduce = opts.reduce ?? ((s: SummaryJson) => s as T);
  return mapLimit(targets, opts.concurrency, async (t): Promise<ScrapeResult<T>> => {
    try {
      if (signal?.aborted) throw notScraped(signal);
      const raw = await untilAborted(source.fetch(t, opts.timeoutMs(t), signal), signal);
      const summary = asSummary(raw);
      if (summary.node.nodeName !== t.node) throw new ScrapeFailure('other', `the summary is for node ${summary.node.nodeName}`);
      return { node: t.node, summary: reduce(summary) };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return {
        node: t.node,
        error: { node: t.node, kind: classify(e), message: clip(message || 'unknown error', BATCH_LIMITS.maxMessageLength) },
      };
    }
  });
}

/** One node's CFS counters from `/metrics/cadvisor`, or why they could not be read. */
export interface CfsResult {
  readonly node: string;
  readonly counters?: ReadonlyMap<string, CfsCounters>;
  readonly error?: string;
}

/**
 * Every target's CFS counters or error, in input order; never rejects. Run after the summaries, so a
 * slow cAdvisor answer (about 1 MB on a node of 30 pods) can cost throttling figures, never a node's stats.
 */
export function scrapeCfs(
  targets: readonly KubeletTarget[],
  source: SummarySource,
  opts: Omit<ScrapeOptions, 'reduce'>,
): Promise<CfsResult[]> {
  const { signal } = opts;
  const read = source.cfs?.bind(source);
  if (!read) return Promise.resolve([]);
  return mapLimit(targets, opts.concurrency, async (t): Promise<CfsResult> => {
    try {
      if (signal?.aborted) throw notScraped(signal);
      return { node: t.node, counters: await untilAborted(read(t, opts.timeoutMs(t), signal), signal) };
    } catch (e) {
      return { node: t.node, error: clip((e instanceof Error ? e.message : String(e)) || 'unknown error', BATCH_LIMITS.maxMessageLength) };
    }
  });
}

/** Workers for `nodes` kubelets: enough that each has at most 16 nodes a cycle, from `configured` up to 128. */
export function scrapeConcurrency(nodes: number, configured: number): number {
  return Math.max(configured, Math.min(128, Math.ceil(nodes / 16)));
}

function notScraped(signal: AbortSignal): ScrapeFailure {
  return new ScrapeFailure('timeout', `not scraped: ${String(signal.reason ?? 'aborted')}`);
}

/** `p`, or a `timeout` failure as soon as `signal` aborts (a source may not honour the signal itself). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(notScraped(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
