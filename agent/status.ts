/**
 * The agent's own counters: carried by every batch as its heartbeat (`AgentStatus`), logged once per
 * cycle, and served as Prometheus text on `/metrics`.
 */
import type { AgentStatus, ScrapeErrorKind } from '../model/domain';
import type { EpochMs } from '../model/time';

export class AgentCounters {
  cycles = 0;
  /** Cycles that collected nothing because nodes and pods were not listed yet (they send a heartbeat only). */
  cyclesSkipped = 0;
  batchesBuilt = 0;
  changeBatches = 0;
  batchesSent = 0;
  /** gzip'd bytes accepted by ingest. */
  bytesSent = 0;
  /** The same batches' JSON size. */
  rawBytesSent = 0;
  buffered = 0;
  bufferedBytes = 0;
  /** Dropped from a full buffer, never stored. */
  droppedBatches = 0;
  /** Dropped from a full buffer after a send that went unanswered: perhaps stored, not known lost. */
  droppedUnconfirmedBatches = 0;
  /** Answered 400, 413 or 422: not resent. */
  rejectedBatches = 0;
  /** Failed send attempts (each retry counts). */
  pushFailures = 0;
  consecutivePushFailures = 0;
  lastPushAt?: EpochMs;
  lastCycleStartedAt?: EpochMs;
  lastCycleEndedAt?: EpochMs;
  lastCycleMs = 0;
  lastCycleCpuMs = 0;
  readonly scrapeErrors: Partial<Record<ScrapeErrorKind, number>> = {};

  constructor(
    readonly version: string,
    readonly startedAt: EpochMs,
  ) {}

  scrapeError(kind: ScrapeErrorKind): void {
    this.scrapeErrors[kind] = (this.scrapeErrors[kind] ?? 0) + 1;
  }

  status(): AgentStatus {
    return {
      version: this.version,
      startedAt: this.startedAt,
      cycles: this.cycles,
      batchesSent: this.batchesSent,
      bytesSent: this.bytesSent,
      buffered: this.buffered,
      droppedBatches: this.droppedBatches,
      droppedUnconfirmedBatches: this.droppedUnconfirmedBatches,
      rejectedBatches: this.rejectedBatches,
      pushFailures: this.pushFailures,
      scrapeErrors: { ...this.scrapeErrors },
    };
  }
}

export interface MetricsExtras {
  /** API calls, from the meter's running totals. */
  readonly api: { readonly calls: number; readonly errors: number; readonly throttled: number };
  /** Per watched resource. */
  readonly resources: readonly {
    readonly resource: string;
    readonly synced: boolean;
    readonly stats: {
      readonly lists: number;
      readonly streamedLists: number;
      readonly relistsAfterGone: number;
      readonly watchRestarts: number;
      readonly failures: number;
    };
  }[];
  readonly ready: boolean;
  readonly live: boolean;
  /** Sharded agents: the shard count and the shards this replica reads now. */
  readonly shards?: { readonly count: number; readonly held: readonly number[] };
}

/** Prometheus text exposition (version 0.0.4) of the counters, the process and the watches. */
export function prometheusText(c: AgentCounters, x: MetricsExtras): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: readonly [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) {
      const l = Object.entries(labels).map(([k, val]) => `${k}="${val.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
      lines.push(`${name}${l.length ? `{${l.join(',')}}` : ''} ${Number.isFinite(v) ? v : 0}`);
    }
  };
  const one = (v: number): [Record<string, string>, number][] => [[{}, v]];
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  metric('vigil_agent_info', 'gauge', 'The agent version (always 1).', [[{ version: c.version }, 1]]);
  metric('vigil_agent_cycles_total', 'counter', 'Collection cycles run.', one(c.cycles));
  metric(
    'vigil_agent_cycles_skipped_total',
    'counter',
    'Cycles that sent only a heartbeat because nodes and pods were not listed yet.',
    one(c.cyclesSkipped),
  );
  metric('vigil_agent_cycle_duration_seconds', 'gauge', 'Wall time of the last cycle.', one(c.lastCycleMs / 1000));
  metric(
    'vigil_agent_cycle_cpu_seconds',
    'gauge',
    'CPU time (user + system) of the process during the last cycle.',
    one(c.lastCycleCpuMs / 1000),
  );
  metric('vigil_agent_last_cycle_timestamp_seconds', 'gauge', 'When the last cycle ended.', one((c.lastCycleEndedAt ?? 0) / 1000));
  metric('vigil_agent_batches_built_total', 'counter', 'Batches built (parts counted one by one).', one(c.batchesBuilt));
  metric(
    'vigil_agent_change_batches_total',
    'counter',
    'Immediate batches built after a node condition or pod phase changed.',
    one(c.changeBatches),
  );
  metric('vigil_agent_batches_sent_total', 'counter', 'Batches the ingest endpoint stored.', one(c.batchesSent));
  metric('vigil_agent_bytes_sent_total', 'counter', "Bytes of the stored batches, gzip'd as sent.", one(c.bytesSent));
  metric('vigil_agent_raw_bytes_sent_total', 'counter', 'Bytes of the stored batches as JSON, before gzip.', one(c.rawBytesSent));
  metric('vigil_agent_buffered_batches', 'gauge', 'Batches waiting to be resent.', one(c.buffered));
  metric('vigil_agent_buffered_bytes', 'gauge', 'Bytes of the batches waiting to be resent.', one(c.bufferedBytes));
  metric('vigil_agent_dropped_batches_total', 'counter', 'Batches dropped because the buffer was full.', one(c.droppedBatches));
  metric(
    'vigil_agent_dropped_unconfirmed_batches_total',
    'counter',
    'Batches dropped because the buffer was full after a send went unanswered: perhaps stored.',
    one(c.droppedUnconfirmedBatches),
  );
  metric(
    'vigil_agent_rejected_batches_total',
    'counter',
    'Batches the ingest endpoint refused (400, 413, 422): not resent.',
    one(c.rejectedBatches),
  );
  metric('vigil_agent_push_failures_total', 'counter', 'Failed send attempts (retries included).', one(c.pushFailures));
  metric('vigil_agent_consecutive_push_failures', 'gauge', 'Failed send attempts since the last success.', one(c.consecutivePushFailures));
  metric(
    'vigil_agent_last_push_timestamp_seconds',
    'gauge',
    'When the ingest endpoint last stored a batch.',
    one((c.lastPushAt ?? 0) / 1000),
  );
  metric(
    'vigil_agent_scrape_errors_total',
    'counter',
    'Kubelet summaries that could not be read, by kind.',
    (['timeout', 'connect', 'tls', 'http', 'parse', 'other'] as const).map((k) => [{ kind: k }, c.scrapeErrors[k] ?? 0]),
  );
  metric('vigil_agent_api_calls_total', 'counter', 'Kubernetes API calls made by the agent.', one(x.api.calls));
  metric('vigil_agent_api_errors_total', 'counter', 'Kubernetes API calls that failed (throttled included).', one(x.api.errors));
  metric('vigil_agent_api_throttled_total', 'counter', 'Kubernetes API calls answered 429.', one(x.api.throttled));
  metric(
    'vigil_agent_watch_synced',
    'gauge',
    'Whether the resource has been listed.',
    x.resources.map((r) => [{ resource: r.resource }, r.synced ? 1 : 0]),
  );
  metric(
    'vigil_agent_lists_total',
    'counter',
    'Complete lists, per resource.',
    x.resources.map((r) => [{ resource: r.resource }, r.stats.lists]),
  );
  metric(
    'vigil_agent_streamed_lists_total',
    'counter',
    'Of those, lists streamed on a watch (sendInitialEvents) rather than paged, per resource.',
    x.resources.map((r) => [{ resource: r.resource }, r.stats.streamedLists]),
  );
  metric(
    'vigil_agent_relists_after_gone_total',
    'counter',
    'Lists started over after 410 Gone, per resource.',
    x.resources.map((r) => [{ resource: r.resource }, r.stats.relistsAfterGone]),
  );
  metric(
    'vigil_agent_watch_restarts_total',
    'counter',
    'Watches that ended and were reopened, per resource.',
    x.resources.map((r) => [{ resource: r.resource }, r.stats.watchRestarts]),
  );
  metric(
    'vigil_agent_watch_failures_total',
    'counter',
    'Failed lists or watches, per resource.',
    x.resources.map((r) => [{ resource: r.resource }, r.stats.failures]),
  );
  if (x.shards) {
    const { count, held } = x.shards;
    metric(
      'vigil_agent_shard_held',
      'gauge',
      "Whether this replica holds the shard's Lease and reads its nodes, per shard.",
      Array.from({ length: count }, (_, s) => [{ shard: String(s) }, held.includes(s) ? 1 : 0]),
    );
  }
  metric('vigil_agent_ready', 'gauge', 'Whether /readyz passes.', one(x.ready ? 1 : 0));
  metric('vigil_agent_live', 'gauge', 'Whether /healthz passes.', one(x.live ? 1 : 0));
  metric('process_cpu_seconds_total', 'counter', 'User and system CPU time of the process.', one((cpu.user + cpu.system) / 1e6));
  metric('process_resident_memory_bytes', 'gauge', 'Resident set size.', one(mem.rss));
  metric(
    'process_max_resident_memory_bytes',
    'gauge',
    'Peak resident set size since the process started.',
    one(process.resourceUsage().maxRSS * 1024),
  );
  metric('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use.', one(mem.heapUsed));
  metric('nodejs_heap_total_bytes', 'gauge', 'V8 heap reserved.', one(mem.heapTotal));
  metric('nodejs_external_memory_bytes', 'gauge', 'Memory held outside the V8 heap by JavaScript objects (buffers).', one(mem.external));
  metric('process_start_time_seconds', 'gauge', 'When the agent started.', one(c.startedAt / 1000));
  return lines.join('\n') + '\n';
}
