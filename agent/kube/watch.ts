/**
 * A watch over one streaming GET, in place of client-node's `Watch`, which drops the answer's headers: a
 * watch refused with 429 must be retried after its `Retry-After`, and a refused streaming list must be told
 * apart from a network error by its Status. Events are decoded line by line as they arrive, so a watch that
 * streams the initial state of 30,000 pods holds one object's JSON at a time.
 *
 * Lifecycle, the part that must be exact: `onEnd` is called exactly once (the answer ended, failed, was
 * refused, or `abort()` was called), and every way out destroys the request, so no socket or timer is
 * left behind to keep a test or the process alive.
 */
import * as http from 'http';
import * as https from 'https';
import { StringDecoder } from 'string_decoder';
import type { StatusObject, WatchEventType } from './objects';

export interface WatchHandle {
  abort(): void;
}

/** A non-200 answer of the API server. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    /** From `Retry-After` on 429/503. */
    readonly retryAfterMs?: number,
    /** The Status object's `reason` (`Invalid`, `Expired`, `TooManyRequests`…), when the answer had one. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** A watch event line longer than this is a broken stream, not an object (etcd's limit is 1.5 MiB). */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** How much of a refusal's body is read for its message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface StreamWatchOptions {
  readonly url: URL;
  readonly request: https.RequestOptions;
  readonly onEvent: (type: WatchEventType, object: unknown) => void;
  /** Called once: no argument when the server ended the stream or `abort()` was called. */
  readonly onEnd: (err?: unknown) => void;
  /** Called once, when the server answered (any status) or the request failed before an answer. */
  readonly onAnswer?: (status: number | undefined) => void;
}

/** Opens the watch; the handle aborts it at any point, before the answer too. */
export function streamWatch(o: StreamWatchOptions): WatchHandle {
  const mod = o.url.protocol === 'https:' ? https : http;
  let ended = false;
  let answered = false;
  const answer = (status: number | undefined) => {
    if (answered) return;
    answered = true;
    o.onAnswer?.(status);
  };
  const end = (err?: unknown) => {
    if (ended) return;
    ended = true;
    answer(undefined);
    req.destroy();
    o.onEnd(err);
  };
  const req = mod.request(o.url, { ...o.request, method: 'GET' }, (res) => {
    const status = res.statusCode ?? 0;
    answer(status);
    res.on('error', end);
    // `aborted` then `close` without `end`: the connection was cut mid-answer.
    res.on('close', () =>
      end(
        res.complete
          ? undefined
          : Object.assign(new Error(`watch ${o.url.pathname}: connection closed mid-answer`), { code: 'ECONNRESET' }),
      ),
    );
    if (status !== 200) return refused(res, status, o.url, end);
    const decoder = new StringDecoder('utf8');
    let pending = '';
    res.on('data', (chunk: Buffer) => {
      pending += decoder.write(chunk);
      let nl: number;
      while (!ended && (nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim()) deliver(line);
      }
      if (pending.length > MAX_LINE_BYTES) end(new Error(`watch ${o.url.pathname}: an event line longer than ${MAX_LINE_BYTES} bytes`));
    });
    res.on('end', () => {
      const rest = (pending + decoder.end()).trim();
      if (rest && !ended) deliver(rest);
      end();
    });
  });
  const deliver = (line: string) => {
    let ev: { type?: string; object?: unknown };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch (e) {
      return end(new Error(`watch ${o.url.pathname}: an event that is not JSON (${(e as Error).message})`));
    }
    if (typeof ev.type !== 'string') return end(new Error(`watch ${o.url.pathname}: an event without a type`));
    o.onEvent(ev.type as WatchEventType, ev.object);
  };
  // A half-open connection is caught by the reflector's silence watchdog; TCP keep-alive helps the kernel too.
  req.on('socket', (s) => s.setKeepAlive(true, 30_000));
  req.on('error', end);
  req.end();
  return { abort: () => end() };
}

/** A refused watch: its Status (message, reason) and `Retry-After` become the `ApiError` it ends with. */
function refused(res: http.IncomingMessage, status: number, url: URL, end: (err?: unknown) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    if (size < MAX_ERROR_BODY_BYTES) chunks.push(c);
    size += c.length;
  });
  res.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES);
    const st = statusBody(body);
    end(
      new ApiError(
        status,
        `watch ${url.pathname}: HTTP ${status}${st?.message ? `: ${st.message}` : body ? `: ${body.slice(0, 300)}` : ''}`,
        retryAfterMs(res.headers['retry-after']),
        st?.reason,
      ),
    );
  });
}

/** The answer's Status object, when it is one. */
export function statusBody(body: string): StatusObject | undefined {
  try {
    const s = JSON.parse(body) as StatusObject;
    return s && typeof s === 'object' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` in seconds (the API server's form), in ms. */
export function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const s = Number(Array.isArray(header) ? header[0] : header);
  return header !== undefined && header !== '' && Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}
