/**
 * List, then watch from the list's resourceVersion, keeping a projected copy of every object: the
 * client-go reflector pattern, with the failure handling client-node's informer leaves to its user.
 * - a list page fails (429, 5xx, network): the same page is asked again (same `continue` token), after
 *   `Retry-After` or a backoff; the pages already read are kept.
 * - `410 Gone` (on the watch, or an expired `continue` token): list again, with a backoff that grows
 *   with consecutive 410s. A relist after the watch expired is served by the API server's watch cache
 *   (`resourceVersion` of the last seen object, `NotOlderThan`), not by a quorum read of etcd.
 * - the watch ends (server timeout, dropped connection): watch again from the last resourceVersion seen.
 * - the watch goes silent: after a bookmark (the watch cache sends one about every minute), a few
 *   minutes of silence means a dead connection (a half-open socket, an API server replaced); without
 *   bookmarks, twice the watch's timeout. Either way: abort it and watch again from where it was.
 * - any other failure (429, 5xx, network): back off with full jitter, honouring `Retry-After`.
 * - the first list, and every relist, is asked as a streaming list first (KEP-3157's WatchList: a watch
 *   with `sendInitialEvents=true`, the state as ADDED events ended by a bookmark annotated
 *   `k8s.io/initial-events-end`), one object at a time instead of pages of 500; a server that refuses it
 *   (422: the WatchList gate is off, 1.27–1.31 and 1.33, or older servers) or ignores it (a bookmark
 *   without the marker, or none in time) is listed by pages from then on, as client-go falls back.
 * While the API server is unreachable the last known state is kept and served; `dataAgeMs` says how old.
 * resourceVersions are opaque strings: only passed back to the server, never compared.
 */
import { backoffMs } from '../../common/retry';
import type { Logger } from '../../common/log';
import { statusOf, ApiError, type KubeApi, type WatchHandle } from './api';
import type { KubeObject, ListObject, StatusObject } from './objects';

export type ChangeType = 'added' | 'modified' | 'deleted';

export interface ReflectorOptions<T> {
  readonly api: KubeApi;
  /** For logs and metrics, e.g. `pods`. */
  readonly resource: string;
  /** The collection, e.g. `/api/v1/pods`. */
  readonly path: string;
  readonly fieldSelector?: string;
  /**
   * List from the API server's watch cache (`resourceVersion=0`) every time, the first list included:
   * for events, where a consistent read of etcd buys nothing. The cache answers in one page.
   * @default false
   */
  readonly listFromCache?: boolean;
  /** Turns a wire object into what is kept; `undefined` = ignore the object. */
  readonly project: (o: KubeObject) => T | undefined;
  /**
   * Keep the projected objects (`items`). Without it every object is only handed to `onChange`:
   * for events, which are reported once and never read back.
   * @default true
   */
  readonly keep?: boolean;
  readonly onChange?: (type: ChangeType, key: string, next: T | undefined, prev: T | undefined) => void;
  readonly logger: Logger;
  /** Objects per list page (client-go's pager uses 500). @default 500 */
  readonly pageSize?: number;
  /** Asked of the server per watch; each watch gets this plus up to the same again, at random. @default 300 */
  readonly watchTimeoutSeconds?: number;
  /** A watch with no event or bookmark for this long is presumed dead. @default watch timeout × 2 + 60 s */
  readonly idleTimeoutMs?: number;
  /** Once a watch has sent a bookmark, this long without anything means it is dead. @default 3 minutes */
  readonly silenceAfterBookmarkMs?: number;
  /** Retries of one list page before the list starts over. @default 10 */
  readonly pageRetries?: number;
  /** A streaming list whose end marker has not come by then is taken as ignored by the server. @default 2 minutes */
  readonly initialEventsTimeoutMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default { baseMs: 500, capMs: 30_000 } */
  readonly backoff?: { readonly baseMs: number; readonly capMs: number };
  readonly random?: () => number;
}

export interface ReflectorStats {
  lists: number;
  /** Of `lists`, those streamed (`sendInitialEvents`) rather than paged. */
  streamedLists: number;
  relistsAfterGone: number;
  /** List pages asked again after a failure (same `continue` token). */
  pageRetries: number;
  watches: number;
  watchRestarts: number;
  failures: number;
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function keyOf(o: KubeObject): string | undefined {
  const m = o.metadata;
  if (!m?.name) return undefined;
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

/** `unsupported`: the server refused or ignored a streaming list (no list was made: list by pages). */
type WatchEnd = 'closed' | 'gone' | 'idle' | 'stopped' | 'unsupported';

/** The annotation of the bookmark that ends a streaming list's initial events. */
const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export class Reflector<T> {
  private readonly store = new Map<string, T>();
  private resourceVersion = '';
  private stopped = true;
  private watchHandle?: WatchHandle;
  private cancelWatch?: () => void;
  private wake?: () => void;
  private running?: Promise<void>;
  private readonly rvWaiters = new Set<{ readonly rv: number; readonly resolve: () => void }>();
  private syncedOnce?: () => void;
  private readonly firstSync: Promise<void>;
  private readonly opts: Required<Omit<ReflectorOptions<T>, 'fieldSelector' | 'onChange'>> &
    Pick<ReflectorOptions<T>, 'fieldSelector' | 'onChange'>;
  /** Aborts the list page in flight when stopping. */
  private stopping = new AbortController();
  /** The resourceVersion to relist from (the watch cache) after the watch expired. */
  private relistFrom = '';
  /** When the kept objects were last known current: a list completed, or the watch delivered something. */
  private currentAt?: number;
  /** Set once the server refused or ignored a streaming list: list by pages from then on. */
  private pagedOnly = false;
  synced = false;
  lastError?: string;
  readonly stats: ReflectorStats = {
    lists: 0,
    streamedLists: 0,
    relistsAfterGone: 0,
    pageRetries: 0,
    watches: 0,
    watchRestarts: 0,
    failures: 0,
  };

  constructor(options: ReflectorOptions<T>) {
    const watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.opts = {
      ...options,
      keep: options.keep ?? true,
      listFromCache: options.listFromCache ?? false,
      pageSize: options.pageSize ?? 500,
      watchTimeoutSeconds,
      idleTimeoutMs: options.idleTimeoutMs ?? watchTimeoutSeconds * 2000 + 60_000,
      silenceAfterBookmarkMs: options.silenceAfterBookmarkMs ?? 180_000,
      pageRetries: options.pageRetries ?? 10,
      initialEventsTimeoutMs: options.initialEventsTimeoutMs ?? 120_000,
      now: options.now ?? Date.now,
      backoff: options.backoff ?? { baseMs: 500, capMs: 30_000 },
      random: options.random ?? Math.random,
    };
    this.firstSync = new Promise((resolve) => (this.syncedOnce = resolve));
  }

  get resource(): string {
    return this.opts.resource;
  }

  /**
   * How old the kept objects may be: the time since they were last known current (a list completed, or
   * the watch delivered an event or a bookmark). A healthy watch keeps it within the bookmark interval
   * (about a minute); a failing or stalled one lets it grow. Undefined before the first list.
   */
  dataAgeMs(): number | undefined {
    return this.currentAt === undefined ? undefined : Math.max(0, this.opts.now() - this.currentAt);
  }

  /** The kept objects by key. */
  get items(): ReadonlyMap<string, T> {
    return this.store;
  }

  /**
   * Resolves once this reflector has seen resourceVersion `rv` or a later one (an event or a bookmark).
   * For servers whose resourceVersions are increasing integers (etcd's, the simulated cluster's): local
   * mode uses it to know the agent has caught up with a simulated change before a cycle.
   */
  seen(rv: number): Promise<void> {
    if (Number(this.resourceVersion) >= rv) return Promise.resolve();
    return new Promise((resolve) => this.rvWaiters.add({ rv, resolve }));
  }

  private setResourceVersion(rv: string): void {
    this.resourceVersion = rv;
    const n = Number(rv);
    for (const w of this.rvWaiters) {
      if (n >= w.rv) {
        this.rvWaiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Starts listing and watching; resolves after the first complete list (it keeps retrying until then). */
  start(): Promise<void> {
    if (this.stopped) {
      this.stopped = false;
      this.stopping = new AbortController();
      this.running = this.run();
    }
    return this.firstSync;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort('stopping');
    this.cancelWatch?.();
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    const log = this.opts.logger;
    let attempt = 0;
    while (!this.stopped) {
      try {
        const streaming = !this.resourceVersion && !this.pagedOnly;
        if (!this.resourceVersion && !streaming) await this.list();
        if (this.stopped) break;
        const started = this.opts.now();
        const end = await this.watchOnce(streaming);
        if (end === 'unsupported') {
          this.pagedOnly = true;
          continue;
        }
        if (end === 'gone') {
          this.relistFrom = this.resourceVersion;
          await this.expired(++attempt);
          continue;
        }
        if (end === 'idle') {
          this.stats.watchRestarts++;
          log.warn('watch silent for too long: watching again', { resource: this.opts.resource });
        } else if (end === 'closed') {
          this.stats.watchRestarts++;
          // A watch the server closes at once, again and again, must not become a busy loop.
          if (this.opts.now() - started < 1000) {
            await this.pause(this.backoff(++attempt));
            continue;
          }
        }
        attempt = 0;
      } catch (e) {
        if (this.stopped) break;
        if (statusOf(e) === 410) {
          // An expired `continue` token: start the list over (from etcd: the pages read were a consistent snapshot).
          this.relistFrom = '';
          await this.expired(++attempt);
          continue;
        }
        this.stats.failures++;
        attempt++;
        const wait = this.failed(e, attempt);
        log.warn('list/watch failed: retrying', {
          resource: this.opts.resource,
          status: statusOf(e),
          error: this.lastError,
          retryInMs: wait,
          attempt,
        });
        await this.pause(wait);
      }
    }
  }

  /** A 410: list again after a backoff that counts consecutive 410s, so an expiring loop stays slow. */
  private async expired(attempt: number): Promise<void> {
    this.stats.relistsAfterGone++;
    this.resourceVersion = '';
    const wait = this.backoff(attempt);
    this.opts.logger.info('watch or list expired (410 Gone): listing again', {
      resource: this.opts.resource,
      retryInMs: wait,
      fromCache: Boolean(this.relistFrom),
    });
    await this.pause(wait);
  }

  /** Notes a failure; the wait before the next try: `Retry-After` when the server gave one, at least the backoff. */
  private failed(e: unknown, attempt: number): number {
    this.lastError = (e as Error).message;
    const retryAfter = e instanceof ApiError ? (e.retryAfterMs ?? 0) : 0;
    return Math.max(retryAfter, this.backoff(attempt));
  }

  private backoff(attempt: number): number {
    return backoffMs(attempt, { ...this.opts.backoff, random: this.opts.random });
  }

  /** The first page's query: which copy of the collection the server reads it from. */
  private firstPageQuery(): Record<string, string> {
    if (this.opts.listFromCache) return { resourceVersion: '0' };
    if (this.relistFrom) return { resourceVersion: this.relistFrom, resourceVersionMatch: 'NotOlderThan' };
    return {}; // a consistent read: the first list, or after an expired continue token
  }

  private async list(): Promise<void> {
    const fresh = new Map<string, T>();
    let cont = '';
    let rv = '';
    let retries = 0;
    for (;;) {
      const q = new URLSearchParams({ limit: String(this.opts.pageSize) });
      if (this.opts.fieldSelector) q.set('fieldSelector', this.opts.fieldSelector);
      // The server refuses a resourceVersion with a continue token: the token carries it.
      if (cont) q.set('continue', cont);
      else for (const [k, v] of Object.entries(this.firstPageQuery())) q.set(k, v);
      let page: ListObject<KubeObject>;
      try {
        page = await this.opts.api.getJson<ListObject<KubeObject>>(`${this.opts.path}?${q}`, undefined, this.stopping.signal);
      } catch (e) {
        if (this.stopped) return;
        if (!retryable(e) || ++retries > this.opts.pageRetries) throw e;
        this.stats.failures++;
        this.stats.pageRetries++;
        const wait = this.failed(e, retries);
        this.opts.logger.warn('list page failed: asking for it again', {
          resource: this.opts.resource,
          status: statusOf(e),
          error: this.lastError,
          retryInMs: wait,
          itemsRead: fresh.size,
        });
        await this.pause(wait);
        if (this.stopped) return;
        continue;
      }
      retries = 0;
      if (this.stopped) return;
      for (const item of page.items ?? []) this.collect(fresh, item);
      rv = page.metadata?.resourceVersion || rv;
      cont = page.metadata?.continue ?? '';
      if (!cont) break;
    }
    this.listed(fresh, rv);
  }

  /** Projects one object of a list (a page's item, or a streaming list's ADDED event) into `fresh`. */
  private collect(fresh: Map<string, T>, item: KubeObject): void {
    const key = keyOf(item);
    const v = key ? this.opts.project(item) : undefined;
    if (key && v !== undefined) fresh.set(key, v);
  }

  /** A complete list, paged or streamed: it replaces what was kept, as of `rv`. */
  private listed(fresh: Map<string, T>, rv: string): void {
    this.stats.lists++;
    this.relistFrom = '';
    this.replaceAll(fresh);
    this.setResourceVersion(rv);
    this.currentAt = this.opts.now();
    this.lastError = undefined;
    if (!this.synced) {
      this.synced = true;
      this.syncedOnce?.();
    }
  }

  /** Swaps in a fresh list, telling `onChange` what was added, kept (as modified) and deleted. */
  private replaceAll(fresh: Map<string, T>): void {
    const onChange = this.opts.onChange;
    for (const [k, v] of fresh) onChange?.(this.store.has(k) ? 'modified' : 'added', k, v, this.store.get(k));
    for (const [k, v] of this.store) if (!fresh.has(k)) onChange?.('deleted', k, undefined, v);
    this.store.clear();
    if (this.opts.keep) for (const [k, v] of fresh) this.store.set(k, v);
  }

  /**
   * One watch. `streaming`: it starts with the collection's state (a streaming list), gathered apart and
   * swapped in whole at the end marker, as a paged list is; then it follows changes like any watch. One
   * that ends before the marker (closed, failed) has listed nothing, and is asked again like any watch.
   */
  private async watchOnce(streaming: boolean): Promise<WatchEnd> {
    this.stats.watches++;
    const timeout = Math.round(this.opts.watchTimeoutSeconds * (1 + this.opts.random()));
    const params: Record<string, string> = {
      ...(streaming ? this.streamingQuery() : { resourceVersion: this.resourceVersion }),
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeout),
      ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
    };
    const now = this.opts.now;
    const opened = now();
    let lastActivity = opened;
    let bookmarked = false;
    let gone = false;
    let idle = false;
    let serverError: ApiError | undefined;
    /** The state streamed so far, until the end marker; then undefined. */
    let initial: Map<string, T> | undefined = streaming ? new Map() : undefined;
    let ignored = false;
    let refusal: unknown;
    let settle!: (r: WatchEnd | Error) => void;
    const ended = new Promise<WatchEnd | Error>((resolve) => (settle = resolve));
    const onEvent = (type: string, obj: unknown) => {
      lastActivity = now();
      if (type === 'ERROR') {
        const st = (obj ?? {}) as StatusObject;
        if (st.code === 410) gone = true;
        else serverError = new ApiError(st.code ?? 500, `watch ${this.opts.path}: ${st.message ?? 'error event'}`, retryAfterMsOf(st));
        return;
      }
      const o = (obj ?? {}) as KubeObject;
      const rv = o.metadata?.resourceVersion;
      if (initial) {
        if (type === 'ADDED') return this.collect(initial, o);
        // The marker ends the initial state; any other bookmark first means the server ignored the request.
        if (type === 'BOOKMARK' && o.metadata?.annotations?.[INITIAL_EVENTS_END] === 'true') {
          const fresh = initial;
          initial = undefined;
          bookmarked = true;
          this.stats.streamedLists++;
          return this.listed(fresh, rv ?? '');
        }
        ignored = true;
        if (this.watchHandle) this.watchHandle.abort();
        else settle('unsupported');
        return;
      }
      if (type === 'BOOKMARK') bookmarked = true;
      this.currentAt = lastActivity;
      if (type !== 'BOOKMARK') this.apply(type, o);
      if (rv) this.setResourceVersion(rv);
    };
    const onEnd = (err?: unknown) => {
      if (this.stopped) settle('stopped');
      else if (initial && (ignored || refusedStreaming(err))) {
        refusal = err;
        settle('unsupported');
      } else if (idle) settle('idle');
      else if (gone || statusOf(err) === 410) settle('gone');
      else if (err) settle(err instanceof Error ? err : new Error(String(err)));
      else if (serverError) settle(serverError);
      else settle('closed');
    };
    // The watch call resolves only once the server answers; until then there is no handle to abort, so a
    // hung connect or a stop() settles the wait directly (a handle that arrives later is aborted at once).
    let finished = false;
    const silenceMs = () => (bookmarked ? Math.min(this.opts.silenceAfterBookmarkMs, this.opts.idleTimeoutMs) : this.opts.idleTimeoutMs);
    const watchdog = setInterval(
      () => {
        if (initial && now() - opened > this.opts.initialEventsTimeoutMs) ignored = true;
        else if (now() - lastActivity <= silenceMs()) return;
        else idle = true;
        if (this.watchHandle) this.watchHandle.abort();
        else settle(ignored ? 'unsupported' : 'idle');
      },
      Math.max(
        50,
        Math.min(10_000, this.opts.idleTimeoutMs / 4, this.opts.silenceAfterBookmarkMs / 4, this.opts.initialEventsTimeoutMs / 4),
      ),
    );
    this.cancelWatch = () => (this.watchHandle ? this.watchHandle.abort() : settle('stopped'));
    this.opts.api.watch(this.opts.path, params, onEvent, onEnd).then(
      (h) => {
        if (finished || this.stopped) h.abort();
        else this.watchHandle = h;
      },
      (e: unknown) => settle(e instanceof Error ? e : new Error(String(e))),
    );
    try {
      const r = await ended;
      if (r === 'unsupported')
        this.opts.logger.info('streaming lists refused or ignored by the API server: listing by pages', {
          resource: this.opts.resource,
          ...(refusal ? { error: (refusal as Error).message } : {}),
        });
      if (r instanceof Error) throw r;
      return r;
    } finally {
      finished = true;
      clearInterval(watchdog);
      this.watchHandle = undefined;
      this.cancelWatch = undefined;
    }
  }

  /** Where a streaming list reads from: the watch cache, never older than the last state seen (if any). */
  private streamingQuery(): Record<string, string> {
    const rv = this.opts.listFromCache ? '0' : this.relistFrom;
    return { sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', ...(rv ? { resourceVersion: rv } : {}) };
  }

  private apply(type: string, o: KubeObject): void {
    const key = keyOf(o);
    if (!key) return;
    const prev = this.store.get(key);
    const next = type === 'DELETED' ? undefined : this.opts.project(o);
    if (next === undefined) {
      if (prev !== undefined || !this.opts.keep) {
        this.store.delete(key);
        if (prev !== undefined) this.opts.onChange?.('deleted', key, undefined, prev);
      }
      return;
    }
    if (this.opts.keep) this.store.set(key, next);
    this.opts.onChange?.(prev === undefined ? 'added' : 'modified', key, next, prev);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

/**
 * A streaming list the server will not serve: 422 (the WatchList gate off, or a server older than it
 * refusing `resourceVersionMatch` on a watch), 400, 403 or 404. Throttling, server errors and network
 * failures are retried as they are.
 */
function refusedStreaming(err: unknown): boolean {
  const status = statusOf(err);
  return status !== undefined && status >= 400 && status < 500 && status !== 410 && status !== 429 && status !== 408;
}

/** Worth asking the same list page again: throttled, a server error, or no answer at all. */
function retryable(e: unknown): boolean {
  const status = statusOf(e);
  return status === undefined || status === 429 || status >= 500;
}

/** A Status's `details.retryAfterSeconds` (429 and 5xx in a watch's ERROR event), in ms. */
function retryAfterMsOf(st: StatusObject): number | undefined {
  const s = st.details?.retryAfterSeconds;
  return typeof s === 'number' && s >= 0 ? s * 1000 : undefined;
}
