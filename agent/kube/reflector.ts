/**
 * List, then watch from the list's resourceVersion, keeping a projected copy of every object: the
 * client-go reflector pattern, with the failure handling client-node's informer leaves to its user.
 * - `410 Gone` (on the watch, or an expired `continue` token while listing): re-list.
 * - the watch ends (server timeout, dropped connection): watch again from the last resourceVersion seen.
 * - the watch goes silent for longer than it should (no event, no bookmark): abort it and re-watch.
 * - any other failure (429, 5xx, network): back off with full jitter, honouring `Retry-After`.
 * While the API server is unreachable the last known state is kept and served.
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
  /** Objects per list page; small pages keep the start-up list's transient memory low. @default 100 */
  readonly pageSize?: number;
  /** Asked of the server per watch; each watch gets this plus up to the same again, at random. @default 300 */
  readonly watchTimeoutSeconds?: number;
  /** A watch with no event or bookmark for this long is presumed dead. @default watch timeout × 2 + 60 s */
  readonly idleTimeoutMs?: number;
  /** @default { baseMs: 500, capMs: 30_000 } */
  readonly backoff?: { readonly baseMs: number; readonly capMs: number };
  readonly random?: () => number;
}

export interface ReflectorStats {
  lists: number;
  relistsAfterGone: number;
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

type WatchEnd = 'closed' | 'gone' | 'idle' | 'stopped';

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
  private readonly opts: Required<Omit<ReflectorOptions<T>, 'fieldSelector' | 'onChange'>> & Pick<ReflectorOptions<T>, 'fieldSelector' | 'onChange'>;
  synced = false;
  lastError?: string;
  readonly stats: ReflectorStats = { lists: 0, relistsAfterGone: 0, watches: 0, watchRestarts: 0, failures: 0 };

  constructor(options: ReflectorOptions<T>) {
    const watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.opts = {
      ...options,
      keep: options.keep ?? true,
      pageSize: options.pageSize ?? 100,
      watchTimeoutSeconds,
      idleTimeoutMs: options.idleTimeoutMs ?? watchTimeoutSeconds * 2000 + 60_000,
      backoff: options.backoff ?? { baseMs: 500, capMs: 30_000 },
      random: options.random ?? Math.random,
    };
    this.firstSync = new Promise((resolve) => (this.syncedOnce = resolve));
  }

  get resource(): string {
    return this.opts.resource;
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
      this.running = this.run();
    }
    return this.firstSync;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelWatch?.();
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    const log = this.opts.logger;
    let attempt = 0;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.list();
        const started = Date.now();
        const end = await this.watchOnce();
        if (end === 'gone') {
          this.stats.relistsAfterGone++;
          this.resourceVersion = '';
          log.info('watch expired (410 Gone): listing again', { resource: this.opts.resource });
        } else if (end === 'idle') {
          this.stats.watchRestarts++;
          log.warn('watch silent for too long: watching again', { resource: this.opts.resource });
        } else if (end === 'closed') {
          this.stats.watchRestarts++;
          // A watch the server closes at once, again and again, must not become a busy loop.
          if (Date.now() - started < 1000) await this.pause(backoffMs(++attempt, { ...this.opts.backoff, random: this.opts.random }));
          continue;
        }
        attempt = 0;
      } catch (e) {
        if (this.stopped) break;
        if (statusOf(e) === 410) {
          // An expired `continue` token or resourceVersion: start the list over.
          this.stats.relistsAfterGone++;
          this.resourceVersion = '';
          continue;
        }
        this.stats.failures++;
        attempt++;
        this.lastError = (e as Error).message;
        const retryAfter = e instanceof ApiError ? (e.retryAfterMs ?? 0) : 0;
        const wait = Math.max(retryAfter, backoffMs(attempt, { ...this.opts.backoff, random: this.opts.random }));
        log.warn('list/watch failed: retrying', { resource: this.opts.resource, status: statusOf(e), error: this.lastError, retryInMs: wait, attempt });
        await this.pause(wait);
      }
    }
  }

  private async list(): Promise<void> {
    const fresh = new Map<string, T>();
    let cont = '';
    let rv = '';
    do {
      const q = new URLSearchParams({ limit: String(this.opts.pageSize) });
      if (cont) q.set('continue', cont);
      if (this.opts.fieldSelector) q.set('fieldSelector', this.opts.fieldSelector);
      const page = await this.opts.api.getJson<ListObject<KubeObject>>(`${this.opts.path}?${q}`);
      if (this.stopped) return;
      for (const item of page.items ?? []) {
        const key = keyOf(item);
        const v = key ? this.opts.project(item) : undefined;
        if (key && v !== undefined) fresh.set(key, v);
      }
      rv = page.metadata?.resourceVersion || rv;
      cont = page.metadata?.continue ?? '';
    } while (cont);
    this.stats.lists++;
    this.replaceAll(fresh);
    this.setResourceVersion(rv);
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

  private async watchOnce(): Promise<WatchEnd> {
    this.stats.watches++;
    const timeout = Math.round(this.opts.watchTimeoutSeconds * (1 + this.opts.random()));
    const params: Record<string, string> = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeout),
      ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
    };
    let lastActivity = Date.now();
    let gone = false;
    let idle = false;
    let serverError: ApiError | undefined;
    let settle!: (r: WatchEnd | Error) => void;
    const ended = new Promise<WatchEnd | Error>((resolve) => (settle = resolve));
    const onEvent = (type: string, obj: unknown) => {
      lastActivity = Date.now();
      if (type === 'ERROR') {
        const st = (obj ?? {}) as StatusObject;
        if (st.code === 410) gone = true;
        else serverError = new ApiError(st.code ?? 500, `watch ${this.opts.path}: ${st.message ?? 'error event'}`);
        return;
      }
      const o = (obj ?? {}) as KubeObject;
      const rv = o.metadata?.resourceVersion;
      if (type !== 'BOOKMARK') this.apply(type, o);
      if (rv) this.setResourceVersion(rv);
    };
    const onEnd = (err?: unknown) => {
      if (this.stopped) settle('stopped');
      else if (idle) settle('idle');
      else if (gone || statusOf(err) === 410) settle('gone');
      else if (err) settle(err instanceof Error ? err : new Error(String(err)));
      else if (serverError) settle(serverError);
      else settle('closed');
    };
    // The watch call resolves only once the server answers; until then there is no handle to abort, so a
    // hung connect or a stop() settles the wait directly (a handle that arrives later is aborted at once).
    let finished = false;
    const watchdog = setInterval(() => {
      if (Date.now() - lastActivity <= this.opts.idleTimeoutMs) return;
      idle = true;
      if (this.watchHandle) this.watchHandle.abort();
      else settle('idle');
    }, Math.max(50, Math.min(10_000, this.opts.idleTimeoutMs / 4)));
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
      if (r instanceof Error) throw r;
      return r;
    } finally {
      finished = true;
      clearInterval(watchdog);
      this.watchHandle = undefined;
      this.cancelWatch = undefined;
    }
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
