/**
 * The agent's door to the Kubernetes API: three calls, all metered. The real implementation takes its
 * server, CA, token (re-read as it rotates) and client certificates from client-node's `KubeConfig`;
 * watches are our own streaming GETs (`watch.ts`), which keep the answer's status and headers.
 * Objects stay plain JSON (see `objects.ts`).
 */
import * as http from 'http';
import * as https from 'https';
// Deep import: the package index also loads exec, attach, port-forward and cp support the agent never uses.
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { ApiMeter, CallOutcome } from './meter';
import type { WatchEventType } from './objects';
import { ApiError, retryAfterMs, statusBody, streamWatch, type WatchHandle } from './watch';

export { ApiError, type WatchHandle } from './watch';

export interface KubeApi {
  /**
   * GET a JSON path (a list page, the node proxy). Rejects with `ApiError` unless the answer is 200, and
   * at once when `signal` aborts (the agent stopping).
   */
  getJson<T>(path: string, timeoutMs?: number, signal?: AbortSignal): Promise<T>;
  /** GET a text path whatever the status (`/readyz` answers 500 while failing). */
  getText(path: string, timeoutMs?: number): Promise<{ readonly status: number; readonly body: string }>;
  /**
   * Opens a watch. Events go to `onEvent` until the stream ends; then `onEnd` is called once, with the error
   * when it ended badly (an `ApiError` for a non-200 answer, with its `Retry-After`). The handle aborts
   * it at any time, before the server answers too.
   */
  watch(
    path: string,
    params: Readonly<Record<string, string>>,
    onEvent: (type: WatchEventType, object: unknown) => void,
    onEnd: (err?: unknown) => void,
  ): Promise<WatchHandle>;
}

/** The outcome of a failed call for the meter: 429 is throttling, everything else an error. */
export function outcomeOf(err: unknown): CallOutcome {
  return statusOf(err) === 429 ? 'throttled' : 'error';
}

/** The HTTP status carried by an error from the API (ours, or client-node's `statusCode`). */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiError) return err.status;
  const s = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

const MAX_BODY_BYTES = 256 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

export class KubeConfigApi implements KubeApi {
  private agent?: http.Agent;

  constructor(
    private readonly kc: KubeConfig,
    private readonly meter: ApiMeter,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async getJson<T>(path: string, timeoutMs = DEFAULT_TIMEOUT_MS, signal?: AbortSignal): Promise<T> {
    const { status, body, retryAfterMs } = await this.call(path, 'application/json', timeoutMs, signal);
    if (status !== 200) throw new ApiError(status, describe(status, path, body), retryAfterMs, statusBody(body)?.reason);
    try {
      return JSON.parse(body) as T;
    } catch (e) {
      throw new Error(`GET ${path}: the answer is not JSON (${(e as Error).message})`);
    }
  }

  async getText(path: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ status: number; body: string }> {
    const { status, body } = await this.call(path, 'text/plain', timeoutMs);
    return { status, body };
  }

  /** POST or PUT a JSON object (the shard leases); the answer whatever its status. */
  async send(
    method: 'POST' | 'PUT',
    path: string,
    object: unknown,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<{ status: number; body: string }> {
    const { status, body } = await this.call(path, 'application/json', timeoutMs, undefined, { method, body: JSON.stringify(object) });
    return { status, body };
  }

  async watch(
    path: string,
    params: Readonly<Record<string, string>>,
    onEvent: (type: WatchEventType, object: unknown) => void,
    onEnd: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    const url = this.url(path);
    url.searchParams.set('watch', 'true');
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    // Fresh token and TLS settings, and an agent of its own: a watch holds its connection for minutes, and
    // must not take one of the list calls' pooled sockets.
    const request: https.RequestOptions = { headers: { Accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(request);
    const started = this.now();
    return streamWatch({
      url,
      request,
      onEvent,
      onEnd,
      // The call's latency is the time to the answer's headers; a refusal counts as the error it is.
      onAnswer: (status) => this.meter.record(this.now() - started, status === 200 ? 'ok' : status === 429 ? 'throttled' : 'error'),
    });
  }

  private url(path: string): URL {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    return new URL(cluster.server.replace(/\/$/, '') + path);
  }

  private async call(
    path: string,
    accept: string,
    timeoutMs: number,
    signal?: AbortSignal,
    write?: { readonly method: string; readonly body: string },
  ) {
    const url = this.url(path);
    const opts: https.RequestOptions = {
      method: write?.method ?? 'GET',
      headers: { Accept: accept, ...(write ? { 'Content-Type': 'application/json' } : {}) },
    };
    await this.kc.applyToHTTPSOptions(opts); // fresh token; CA, client certificate
    // One keep-alive agent for the process, built from the kubeconfig's TLS settings.
    this.agent ??=
      url.protocol === 'https:'
        ? new https.Agent({ ...tlsOf(opts), keepAlive: true, maxSockets: 16 })
        : new http.Agent({ keepAlive: true });
    opts.agent = this.agent;
    const started = this.now();
    try {
      const res = await request(url, opts, timeoutMs, signal, write?.body);
      this.meter.record(this.now() - started, res.status === 200 ? 'ok' : res.status === 429 ? 'throttled' : 'error');
      return res;
    } catch (e) {
      this.meter.record(this.now() - started, 'error');
      throw e;
    }
  }
}

function tlsOf(o: https.RequestOptions): https.AgentOptions {
  const { ca, cert, key, rejectUnauthorized, servername } = o;
  return { ca, cert, key, servername, ...(rejectUnauthorized === false ? { rejectUnauthorized: false } : {}) };
}

function request(
  url: URL,
  opts: https.RequestOptions,
  timeoutMs: number,
  signal?: AbortSignal,
  body?: string,
): Promise<{ status: number; body: string; retryAfterMs?: number }> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error(`GET ${url.pathname}: answer larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        const retryAfter = retryAfterMs(res.headers['retry-after']);
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
        });
      });
      res.on('error', reject);
    });
    // A deadline for the whole answer: a socket idle timeout would let a trickling answer run on forever.
    const deadline = setTimeout(
      () => req.destroy(Object.assign(new Error(`GET ${url.pathname}: no complete answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    const abort = () =>
      req.destroy(Object.assign(new Error(`GET ${url.pathname}: ${String(signal?.reason ?? 'aborted')}`), { code: 'ABORT_ERR' }));
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort, { once: true });
    req.on('close', () => {
      clearTimeout(deadline);
      signal?.removeEventListener('abort', abort);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function describe(status: number, path: string, body: string): string {
  const detail = statusBody(body)?.message ?? body.slice(0, 300);
  return `GET ${path}: HTTP ${status}${detail ? `: ${detail}` : ''}`;
}
