/**
 * The agent: every interval, one cycle: read every kubelet's summary, join it with the cluster state the
 * watches keep, build one batch (split if it must be), queue it behind any unsent ones and push. Between
 * cycles, a node condition or pod phase change sends a small batch of the nodes concerned (debounced).
 * Until nodes and pods are first listed, each cycle sends a heartbeat only.
 *
 * It ticks on a phase picked at random within the interval, so agents of many clusters do not all push
 * at :00, and never drifts off it. Local mode drives it on an accelerated clock instead of calling
 * `start()`: `watch()` once, then `caughtUp()` and `cycle()` each simulated interval (change batches and
 * retries run on the injected `timers`).
 */
import { setMaxListeners } from 'events';
import { backoffMs } from '../common/retry';
import type { Logger } from '../common/log';
import type { NodeReport } from '../model/batch';
import { BATCH_LIMITS } from '../model/batch-constants';
import type { ControlPlaneHealth, KubeNode, Pod, ScrapeError } from '../model/domain';
import type { Clock, EpochMs } from '../model/time';
import type { ApiMeter } from './kube/meter';
import type { KubeletTarget } from './kube/project';
import type { Readyz } from './kube/readyz';
import type { ClusterSnapshot, ClusterState } from './kube/state';
import { KubeletConfigs } from './kubelet/configz';
import { scrapeAll, scrapeCfs, scrapeConcurrency, type CfsResult, type ScrapeResult, type SummarySource } from './kubelet/scraper';
import { CfsTracker } from './kubelet/cadvisor';
import { CpuTracker, usageOf, withUsage, type NodeUsage } from './kubelet/summary';
import { encodeBatches, type BatchContent } from './push/batches';
import { Outbox, type IngestSink } from './push/outbox';
import { shardContents, shardedPhaseMs, shardOf, type ShardLeases } from './shard';
import { AgentCounters, prometheusText } from './status';

export interface AgentSettings {
  readonly cluster: string;
  readonly version: string;
  readonly intervalMs: number;
  readonly kubeletTimeoutMs: number;
  /**
   * For nodes whose Ready condition is not True: their kubelet is most likely unreachable (a zone lost),
   * and waiting the full timeout on each would hold the workers. @default min(2 s, kubeletTimeoutMs)
   */
  readonly kubeletNotReadyTimeoutMs?: number;
  /** The least number of concurrent kubelet calls; more on large clusters (`scrapeConcurrency`). */
  readonly kubeletConcurrency: number;
  /** How long a cycle may spend reading kubelets; nodes not read by then are reported as timeouts. @default half the interval */
  readonly scrapeDeadlineMs?: number;
  /** Nodes or pods older than this (a failing or stalled watch) make `/readyz` fail. @default 5 minutes */
  readonly staleAfterMs?: number;
  /** How long `stop()` may take, below the pod's `terminationGracePeriodSeconds` (30 s). @default 20 s */
  readonly stopDeadlineMs?: number;
  readonly changeDebounceMs: number;
  readonly bufferMaxBatches: number;
  readonly bufferMaxBytes: number;
  /** Consecutive failed pushes after which `/readyz` fails. */
  readonly unreadyAfterFailures: number;
  /** @default BATCH_LIMITS.maxCompressedBytes */
  readonly maxCompressedBytes?: number;
}

/** The cluster state the agent reads. */
export type ClusterSource = Pick<
  ClusterState,
  'synced' | 'start' | 'stop' | 'snapshot' | 'takeEvents' | 'onChange' | 'health' | 'caughtUp'
>;

export interface ControlPlaneSource {
  readonly meter: ApiMeter;
  readyz(): Promise<Readyz | undefined>;
}

/** The shard leases of a sharded agent (`agent/shard.ts`). */
export type ShardSource = Pick<ShardLeases, 'count' | 'renewEveryMs' | 'held' | 'sync' | 'release'>;

/** Timers, injectable so local mode can run the agent on its own clock. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface AgentDeps {
  readonly settings: AgentSettings;
  readonly state: ClusterSource;
  readonly summaries: SummarySource;
  readonly controlPlane: ControlPlaneSource;
  readonly sink: IngestSink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default the global timers */
  readonly timers?: Timers;
  /** Sharded: this replica reads and pushes the nodes of the shards it holds. @default every node */
  readonly shards?: ShardSource;
}

export interface Probe {
  readonly ok: boolean;
  readonly detail: string;
}

export class Agent {
  readonly counters: AgentCounters;
  private readonly outbox: Outbox;
  private readonly cpu = new CpuTracker();
  private readonly cfs = new CfsTracker();
  private readonly usage = new Map<string, NodeUsage>();
  private readonly scrapeErrors = new Map<string, ScrapeError>();
  private readonly pendingChanges = new Set<string>();
  /** Each kubelet's eviction thresholds (`/configz`), read in the background. */
  private readonly configs: KubeletConfigs;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly phaseMs: number;
  private seq = 0;
  private running?: Promise<void>;
  /** Cuts the running cycle's kubelet calls: at its deadline, or when the agent stops. */
  private scrapeAbort?: AbortController;
  private cycleStartedAt?: EpochMs;
  private lastTickAt?: EpochMs;
  private tickTimer?: unknown;
  private changeTimer?: unknown;
  private retryTimer?: unknown;
  private shardTimer?: unknown;
  private retryAttempt = 0;
  private watching?: Promise<void>;
  /** `idle` until `start()` (local mode may only ever call `cycle()`), `stopped` after `stop()`. */
  private lifecycle: 'idle' | 'started' | 'stopped' = 'idle';

  constructor(private readonly deps: AgentDeps) {
    this.random = deps.random ?? Math.random;
    this.timers = deps.timers ?? realTimers;
    this.counters = new AgentCounters(deps.settings.version, deps.clock.now());
    this.outbox = new Outbox({
      sink: deps.sink,
      counters: this.counters,
      logger: deps.logger,
      maxBatches: deps.settings.bufferMaxBatches,
      maxBytes: deps.settings.bufferMaxBytes,
      now: () => deps.clock.now(),
    });
    // Keep ticks 10 % of an interval away from its edges, so timer delays never move a 60-s tick across
    // a minute boundary (two batches in one node-minute, none in the next).
    // Sharded replicas share one phase, so a minute's shards reach ingest together.
    this.phaseMs = deps.shards
      ? shardedPhaseMs(deps.settings.cluster, deps.settings.intervalMs)
      : Math.floor(deps.settings.intervalMs * (0.1 + 0.8 * this.random()));
    deps.state.onChange((node) => this.noteChange(node));
    const told = new Set<string>();
    this.configs = new KubeletConfigs({
      source: deps.summaries,
      now: () => deps.clock.now(),
      timeoutMs: deps.settings.kubeletTimeoutMs,
      // Once per kind: a refusal is expected before Kubernetes 1.33 or without the nodes/configz grant.
      onOutcome: (node, outcome, detail) => {
        if (outcome === 'read' || told.has(outcome)) return;
        told.add(outcome);
        deps.logger.info(
          outcome === 'denied'
            ? 'kubelet /configz refused (nodes/configz needs Kubernetes 1.33+): default eviction thresholds assumed'
            : 'kubelet /configz not read: default eviction thresholds assumed',
          { node, detail },
        );
      },
    });
  }

  /** Starts the watches and the ticks; resolves after the first cycle. */
  async start(): Promise<void> {
    if (this.lifecycle !== 'idle') return;
    this.lifecycle = 'started';
    const { logger, settings } = this.deps;
    logger.info('agent starting', {
      cluster: settings.cluster,
      version: settings.version,
      intervalSeconds: settings.intervalMs / 1000,
      phaseSeconds: this.phaseMs / 1000,
    });
    // Wait for the first list, but not forever: a cluster whose API server is down still gets ticks
    // (and a live agent, sending heartbeats), and its full batches start once the lists come in.
    let waited: unknown;
    await Promise.race([
      this.watch(),
      new Promise<void>((r) => (waited = this.timers.setTimeout(r, Math.min(settings.intervalMs, 30_000)))),
    ]);
    this.timers.clearTimeout(waited);
    await this.shardLoop();
    await this.tick();
  }

  /** Starts the watches; resolves once the cluster is listed. What `start()` does before ticking. */
  watch(): Promise<void> {
    this.watching ??= this.deps.state.start().then(() => this.deps.logger.info('cluster listed: watching for changes'));
    return this.watching;
  }

  /**
   * Whether the watches have seen resourceVersion `rv` (integer resourceVersions, as the simulated
   * cluster's): local mode waits on it after each simulated change, before a cycle.
   */
  caughtUp(rv: number, timeoutMs = 5000): Promise<boolean> {
    return this.deps.state.caughtUp(rv, timeoutMs);
  }

  /**
   * Stops within `stopDeadlineMs`: the running cycle's kubelet calls and the lists are cut at once, the
   * cycle pushes what it has, and what is buffered gets one last flush. Whatever is still unsent at the
   * deadline is lost with the process, and the log says so.
   */
  async stop(): Promise<void> {
    if (this.lifecycle === 'stopped') return;
    this.lifecycle = 'stopped';
    for (const t of [this.tickTimer, this.changeTimer, this.retryTimer, this.shardTimer]) if (t !== undefined) this.timers.clearTimeout(t);
    this.tickTimer = this.changeTimer = this.retryTimer = this.shardTimer = undefined;
    this.scrapeAbort?.abort('the agent is stopping');
    const { logger, settings } = this.deps;
    // The shards go first: the other replicas take them over at their next sync, not a lease later.
    const stopped = Promise.all([this.running, this.deps.state.stop(), this.deps.shards?.release()]).then(async () => {
      if (this.outbox.length) await this.outbox.flush();
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), settings.stopDeadlineMs ?? 20_000)));
    const overran = await Promise.race([stopped.then(() => false), late]);
    clearTimeout(timer);
    if (overran || this.outbox.length)
      logger.warn('stopping with unsent batches', { buffered: this.outbox.length, deadlinePassed: overran });
    logger.info('agent stopped', { cycles: this.counters.cycles, batchesSent: this.counters.batchesSent });
  }

  /** One collection-and-push cycle. Concurrent calls share the running one. */
  cycle(): Promise<void> {
    this.running ??= this.runCycle().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * One round of a sharded agent's leases (renew, take over, hand over); `start()` runs one every renew
   * period, local mode and tests call it on their own clock. Failures are logged: the next round retries.
   */
  async syncShards(): Promise<void> {
    await this.deps.shards?.sync().catch((e) => this.deps.logger.warn('shard leases not synced: retrying at the next renew', { error: e }));
  }

  /** Sends the debounced change batch now, if any node is waiting. */
  async sendChanges(): Promise<void> {
    if (this.changeTimer !== undefined) this.timers.clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    if (this.pendingChanges.size === 0) return;
    if (this.running !== undefined) {
      // A full batch is being built from a snapshot that may predate the change: send after it.
      this.armChangeTimer();
      return;
    }
    const names = [...this.pendingChanges].filter((n) => this.owns(n));
    this.pendingChanges.clear();
    const snap = this.deps.state.snapshot();
    const nodes = this.reports(snap, new Set(names));
    if (nodes.length === 0) return;
    this.counters.changeBatches++;
    await this.push({
      cluster: this.deps.settings.cluster,
      kind: 'change',
      seq: ++this.seq,
      collectedAt: this.deps.clock.now(),
      agent: this.counters.status(),
      nodes,
      unscheduledPods: [],
      workloads: [],
      events: [],
      scrapeErrors: names.flatMap((n) => this.scrapeErrors.get(n) ?? []),
    });
  }

  /** Liveness: the tick runs, and no cycle hangs. */
  liveness(): Probe {
    const now = this.deps.clock.now();
    const { intervalMs, kubeletTimeoutMs } = this.deps.settings;
    const allowance = 2 * intervalMs + kubeletTimeoutMs + 30_000;
    const last = this.lastTickAt ?? this.counters.startedAt;
    if (now - last > allowance) return { ok: false, detail: `no tick for ${Math.round((now - last) / 1000)} s` };
    if (this.cycleStartedAt !== undefined && this.running && now - this.cycleStartedAt > allowance) {
      return { ok: false, detail: `a cycle has been running for ${Math.round((now - this.cycleStartedAt) / 1000)} s` };
    }
    return { ok: true, detail: 'ticking' };
  }

  /** Readiness: the cluster is listed, nodes and pods are current, and pushes are getting through. */
  readiness(): Probe {
    if (!this.deps.state.synced) return { ok: false, detail: 'nodes and pods not listed yet' };
    const staleAfterMs = this.deps.settings.staleAfterMs ?? 300_000;
    const stale = this.deps.state
      .health()
      .filter((r) => (r.resource === 'nodes' || r.resource === 'pods') && (r.dataAgeMs ?? 0) > staleAfterMs);
    if (stale.length)
      return {
        ok: false,
        detail: `stale data: ${stale.map((r) => `${r.resource} ${Math.round((r.dataAgeMs ?? 0) / 1000)} s old${r.lastError ? ` (${r.lastError})` : ''}`).join(', ')}`,
      };
    const failures = this.counters.consecutivePushFailures;
    if (failures >= this.deps.settings.unreadyAfterFailures)
      return { ok: false, detail: `the last ${failures} pushes failed (${this.counters.buffered} batches buffered)` };
    return { ok: true, detail: 'ready' };
  }

  metrics(): string {
    return prometheusText(this.counters, {
      api: this.deps.controlPlane.meter.totals,
      resources: this.deps.state.health(),
      ready: this.readiness().ok,
      live: this.liveness().ok,
      ...(this.deps.shards ? { shards: { count: this.deps.shards.count, held: this.deps.shards.held() } } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------------

  private async tick(): Promise<void> {
    if (this.lifecycle !== 'started') return;
    this.lastTickAt = this.deps.clock.now();
    if (this.running !== undefined)
      this.deps.logger.warn('the previous cycle is still running: skipping this tick', {
        runningForMs: this.lastTickAt - (this.cycleStartedAt ?? this.lastTickAt),
      });
    else await this.cycle();
    if (this.lifecycle !== 'started') return;
    const now = this.deps.clock.now();
    const interval = this.deps.settings.intervalMs;
    const next = Math.floor((now - this.phaseMs) / interval) * interval + this.phaseMs + interval;
    this.tickTimer = this.timers.setTimeout(() => void this.tick(), next - now);
  }

  private async runCycle(): Promise<void> {
    const { settings, state, clock, logger } = this.deps;
    const c = this.counters;
    const startedAt = clock.now();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    this.cycleStartedAt = startedAt;
    // A cycle is a tick too (local mode calls cycle() without start()).
    this.lastTickAt = startedAt;
    c.cycles++;
    c.lastCycleStartedAt = startedAt;
    let summary: Record<string, unknown> = {};
    try {
      if (!state.synced) {
        c.cyclesSkipped++;
        summary = {
          skipped: 'nodes and pods not listed yet',
          listErrors: listErrors(state.health()),
          ...(await this.pushHeartbeat(startedAt)),
        };
        return;
      }
      const all = state.snapshot();
      const held = this.deps.shards?.held();
      // Sharded: the nodes of the shards held; the holder of shard 0 also tells what is cluster-wide.
      const snap = held ? { ...all, nodes: all.nodes.filter((n) => this.owns(n.node.name, held)) } : all;
      const clusterWide = !held || held.includes(0);
      void this.configs.refresh(snap.nodes.map((n) => n.kubelet));
      this.cpu.nextGeneration();
      this.cfs.nextGeneration();
      const [{ results, cfsErrors }, readyz] = await Promise.all([
        this.scrape(snap),
        clusterWide ? this.deps.controlPlane.readyz() : undefined,
      ]);
      for (const r of results) {
        if (r.summary) {
          this.usage.set(r.node, r.summary);
          this.scrapeErrors.delete(r.node);
        } else if (r.error) {
          // Stale figures must not pass for this minute's: the node is reported without stats.
          this.usage.delete(r.node);
          this.scrapeErrors.set(r.node, r.error);
          c.scrapeError(r.error.kind);
        }
      }
      const present = new Set(snap.nodes.map((n) => n.node.name));
      for (const m of [this.usage, this.scrapeErrors]) for (const k of m.keys()) if (!present.has(k)) m.delete(k);
      // This batch carries every node: pending changes are covered.
      this.pendingChanges.clear();
      const nodes = this.reports(snap, present);
      const errors = [...this.scrapeErrors.values()];
      const content: BatchContent = {
        cluster: settings.cluster,
        kind: 'full',
        seq: ++this.seq,
        collectedAt: startedAt,
        agent: c.status(),
        nodes,
        unscheduledPods: snap.pods.filter((p) => !p.node),
        workloads: snap.workloads,
        ...(snap.namespaces ? { namespaces: snap.namespaces } : {}),
        events: state.takeEvents(BATCH_LIMITS.maxEvents, startedAt),
        controlPlane: this.controlPlaneHealth(readyz),
        scrapeErrors: errors,
        dataAgeMs: dataAges(state.health()),
        ...(snap.karpenter ? { karpenter: snap.karpenter } : {}),
      };
      const sent = held ? await this.pushShards(content, held) : await this.push(content);
      summary = {
        ...(held ? { shards: held } : {}),
        nodes: nodes.length,
        pods: snap.pods.length,
        scrapeErrors: errors.length,
        ...(errors.length ? { scrapeErrorKinds: kinds(errors) } : {}),
        // Throttling is lost, not the node: said in the log, with one example (RBAC without nodes/metrics).
        ...(cfsErrors.length ? { cadvisorErrors: cfsErrors.length, cadvisorError: `${cfsErrors[0].node}: ${cfsErrors[0].error}` } : {}),
        events: content.events.length,
        ...sent,
      };
    } catch (e) {
      // A bug, not a cluster problem (those are partial results): log it, keep ticking.
      summary = { error: (e as Error).message };
      logger.error('cycle failed', { error: e });
    } finally {
      c.lastCycleEndedAt = clock.now();
      c.lastCycleMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      c.lastCycleCpuMs = (cpu.user + cpu.system) / 1000;
      logger.info('cycle', {
        cycle: c.cycles,
        ...summary,
        ms: Math.round(c.lastCycleMs),
        cpuMs: Math.round(c.lastCycleCpuMs),
        buffered: c.buffered,
        dropped: c.droppedBatches,
        droppedUnconfirmed: c.droppedUnconfirmedBatches,
        rejected: c.rejectedBatches,
        sent: c.batchesSent,
        bytesSent: c.bytesSent,
      });
    }
  }

  /**
   * Every node's usage or scrape error, within the cycle's scrape deadline; then, within what is left of
   * it, the CPU throttling of nodes that answered and run a container with a CPU limit (the only ones CFS
   * throttles). Those cAdvisor reads come second so they can cost throttling figures, never a node's stats.
   */
  private async scrape(snap: ClusterSnapshot): Promise<{ results: ScrapeResult<NodeUsage>[]; cfsErrors: CfsResult[] }> {
    const { settings } = this.deps;
    const notReady = new Set(snap.nodes.filter((n) => !isReady(n.node)).map((n) => n.node.name));
    const limited = new Set(
      snap.pods.filter((p) => p.node && p.containers.some((c) => c.limits.cpuMilli !== undefined)).map((p) => p.node as string),
    );
    const notReadyTimeoutMs = settings.kubeletNotReadyTimeoutMs ?? Math.min(2000, settings.kubeletTimeoutMs);
    const deadlineMs = settings.scrapeDeadlineMs ?? settings.intervalMs / 2;
    const concurrency = scrapeConcurrency(snap.nodes.length, settings.kubeletConcurrency);
    const abort = (this.scrapeAbort = new AbortController());
    // Each worker listens twice (its request and its wait), and a request lets go only when its socket
    // closes, so a summary's listener can outlast it into the cAdvisor phase: not a leak below this.
    setMaxListeners(4 * concurrency + 1, abort.signal);
    // Real timers (not the injectable ones): the deadline bounds real network calls, also in local mode.
    const deadline = setTimeout(() => abort.abort(`the cycle's scrape deadline (${deadlineMs / 1000} s) passed`), deadlineMs);
    try {
      // Nodes likely to hang go last, so they cannot hold every worker while healthy nodes wait behind them.
      const doubtful = (name: string) => notReady.has(name) || this.scrapeErrors.has(name);
      const targets = snap.nodes.map((n) => n.kubelet).sort((a, b) => Number(doubtful(a.node)) - Number(doubtful(b.node)));
      const opts = {
        concurrency,
        timeoutMs: (t: KubeletTarget) => (notReady.has(t.node) ? notReadyTimeoutMs : settings.kubeletTimeoutMs),
        signal: abort.signal,
      };
      const results = await scrapeAll(targets, this.deps.summaries, { ...opts, reduce: (summary) => usageOf(summary, this.cpu) });
      const answered = new Set(results.filter((r) => r.summary).map((r) => r.node));
      const cfs = await scrapeCfs(
        targets.filter((t) => answered.has(t.node) && limited.has(t.node)),
        this.deps.summaries,
        opts,
      );
      const at = this.deps.clock.now();
      const counters = new Map(cfs.flatMap((c) => (c.counters ? [[c.node, c.counters] as const] : [])));
      return {
        results: results.map((r) => {
          const c = counters.get(r.node);
          return r.summary && c ? { ...r, summary: { ...r.summary, throttling: this.cfs.rates(c, at) } } : r;
        }),
        cfsErrors: cfs.filter((c) => c.error),
      };
    } finally {
      clearTimeout(deadline);
      this.scrapeAbort = undefined;
    }
  }

  /**
   * While nodes and pods cannot be listed (RBAC, an unreachable API server), a batch of no nodes: its
   * heartbeat tells ingest the agent is alive, and its control-plane figures (failed and throttled calls,
   * `/readyz`) why it sees nothing. A `change` batch, so ingest does not take it for an empty cluster.
   */
  private async pushHeartbeat(collectedAt: EpochMs): Promise<{ batches: number; bytes: number; rawBytes: number }> {
    const readyz = await this.deps.controlPlane.readyz();
    return this.push({
      cluster: this.deps.settings.cluster,
      kind: 'change',
      seq: ++this.seq,
      collectedAt,
      agent: this.counters.status(),
      nodes: [],
      unscheduledPods: [],
      workloads: [],
      events: [],
      controlPlane: this.controlPlaneHealth(readyz),
      scrapeErrors: [],
    });
  }

  /** The interval's API call figures (starting the next interval) and `/readyz`, when it could be read. */
  private controlPlaneHealth(readyz: Readyz | undefined): ControlPlaneHealth {
    return { ...this.deps.controlPlane.meter.take(), ...(readyz ? { readyz } : {}) };
  }

  /** Builds, queues and pushes one batch's content; schedules a retry when the endpoint is not taking it. */
  private async push(content: BatchContent): Promise<{ batches: number; bytes: number; rawBytes: number }> {
    const { batches, clipped } = await encodeBatches(content, {
      sentAt: this.deps.clock.now(),
      maxCompressedBytes: this.deps.settings.maxCompressedBytes,
    });
    if (Object.values(clipped).some((n) => n > 0))
      this.deps.logger.warn('batch clipped to the schema limits', { seq: content.seq, ...clipped });
    this.counters.batchesBuilt += batches.length;
    this.outbox.add(batches);
    this.afterFlush(await this.outbox.flush());
    return {
      batches: batches.length,
      bytes: batches.reduce((a, b) => a + b.body.length, 0),
      rawBytes: batches.reduce((a, b) => a + b.rawBytes, 0),
    };
  }

  /** A sharded replica's cycle: one batch per shard held (none while it holds none). */
  private async pushShards(content: BatchContent, held: readonly number[]): Promise<{ batches: number; bytes: number; rawBytes: number }> {
    const total = { batches: 0, bytes: 0, rawBytes: 0 };
    for (const [i, c] of shardContents(content, held, this.deps.shards!.count).entries()) {
      const sent = await this.push(i === 0 ? c : { ...c, seq: ++this.seq });
      total.batches += sent.batches;
      total.bytes += sent.bytes;
      total.rawBytes += sent.rawBytes;
    }
    return total;
  }

  /** Whether this replica reads `node`: always, unless sharded and the node's shard is not held. */
  private owns(node: string, held = this.deps.shards?.held()): boolean {
    return !held || held.includes(shardOf(node, this.deps.shards!.count));
  }

  /** One round of the shard leases, then the next one a renew period later (while the agent runs). */
  private async shardLoop(): Promise<void> {
    if (!this.deps.shards || this.lifecycle !== 'started') return;
    await this.syncShards();
    if (this.lifecycle === 'started') this.shardTimer = this.timers.setTimeout(() => void this.shardLoop(), this.deps.shards.renewEveryMs);
  }

  private afterFlush(result: 'sent' | 'blocked'): void {
    if (result === 'sent') {
      this.retryAttempt = 0;
      if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      return;
    }
    if (this.retryTimer !== undefined || this.lifecycle === 'stopped') return;
    const capMs = Math.max(1000, Math.min(30_000, this.deps.settings.intervalMs / 2));
    const delay = Math.max(250, backoffMs(++this.retryAttempt, { baseMs: 1000, capMs, random: this.random }));
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      void this.outbox.flush().then((r) => this.afterFlush(r));
    }, delay);
  }

  private noteChange(node: string): void {
    // Before the first batch there is nothing to update; after stop() nothing is sent.
    if (this.seq === 0 || this.lifecycle === 'stopped') return;
    this.pendingChanges.add(node);
    if (this.changeTimer === undefined) this.armChangeTimer();
  }

  private armChangeTimer(): void {
    this.changeTimer = this.timers.setTimeout(() => {
      this.changeTimer = undefined;
      void this.sendChanges().catch((e) => this.deps.logger.error('change batch failed', { error: e }));
    }, this.deps.settings.changeDebounceMs);
  }

  /** Node reports for `names`: the API's view joined with the last kubelet figures. */
  private reports(snap: ClusterSnapshot, names: ReadonlySet<string>): NodeReport[] {
    const podsByNode = new Map<string, Pod[]>();
    for (const p of snap.pods) {
      if (!p.node || !names.has(p.node)) continue;
      const list = podsByNode.get(p.node);
      if (list) list.push(p);
      else podsByNode.set(p.node, [p]);
    }
    return snap.nodes
      .filter((n) => names.has(n.node.name))
      .map(({ node }) => {
        const usage = this.usage.get(node.name);
        const pods = (podsByNode.get(node.name) ?? []).map((p) => withUsage(p, usage));
        const eviction = this.configs.get(node.name);
        return { node: eviction ? { ...node, eviction } : node, ...(usage ? { stats: usage.stats } : {}), pods };
      });
  }
}

/** Per resource listed, how old its data is (whole ms). */
function dataAges(resources: ReturnType<ClusterSource['health']>): Record<string, number> {
  return Object.fromEntries(resources.flatMap((r) => (r.dataAgeMs === undefined ? [] : [[r.resource, Math.round(r.dataAgeMs)]])));
}

function isReady(node: KubeNode): boolean {
  return node.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

function kinds(errors: readonly ScrapeError[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of errors) out[e.kind] = (out[e.kind] ?? 0) + 1;
  return out;
}

/** The last error of each resource not listed yet: why the agent is blind, for its log. */
function listErrors(resources: ReturnType<ClusterSource['health']>): Record<string, string> {
  return Object.fromEntries(resources.filter((r) => !r.synced && r.lastError).map((r) => [r.resource, r.lastError as string]));
}
