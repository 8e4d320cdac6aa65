/**
 * The DynamoDB store every component reads and writes (layout in `keys.ts`, reasons in
 * docs/architecture.md). Used by ingest, the collector, the evaluator and the CLI, against DynamoDB in AWS
 * and dynalite locally. A facade over its parts:
 *
 * - `writes.ts`: the time-series writes. Two writers, no read-modify-write, idempotent.
 * - `reads.ts`: the time-series reads; expired items are skipped.
 * - `documents.ts`: versioned documents changed only by conditional writes.
 * - `dynamo.ts`: the plumbing. Batch paths retry `UnprocessedItems` and throttling with backoff; what still
 *   fails is returned in the `WriteReport`, item by item, for the caller to report or retry. Every request
 *   asks for `ReturnConsumedCapacity`; `capacity` has the running totals.
 *
 * TTL (`expiresAt`) is on everything but live alert state; reads skip expired items and a document's first
 * write overwrites one, because DynamoDB deletes them up to days late and dynalite never does.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { silentLogger, type Logger } from '../../common/log';
import { defaultRetryPolicy, type RetryPolicy } from '../../common/retry';
import type { AwsEvent } from '../../model/aws-event';
import type {
  CloudRollup,
  ClusterMinute,
  Heartbeat,
  HostNodeMinute,
  KubeEvent,
  KubeNodeMinute,
  KubeRollup,
  NodeMinute,
  WorkloadMinute,
  WorkloadRef,
} from '../../model/domain';
import type { ContainerSample, ContainerSelector } from '../../model/selector';
import { systemClock, type Clock, type EpochMs, type Minute } from '../../model/time';
import { DocumentStore, type StoredDocument } from './documents';
import { DynamoTable, type CapacityTotals, type WriteReport } from './dynamo';
import { TimeSeriesReader } from './reads';
import type { RollupPart } from './rollup-parts';
import { TimeSeriesWriter, type KubeBatchWrite } from './writes';

export interface StoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long node-minutes, rollups and events are kept. @default 14 */
  readonly retentionDays?: number;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Retries above the SDK's own. @default 8 attempts, 50 ms base, 2 s cap, full jitter */
  readonly retry?: Partial<RetryPolicy>;
  /** @default silent */
  readonly logger?: Logger;
}

export class VigilStore {
  readonly tableName: string;
  readonly retentionDays: number;
  private readonly table: DynamoTable;
  private readonly writes: TimeSeriesWriter;
  private readonly reads: TimeSeriesReader;
  private readonly documents: DocumentStore;

  constructor(opts: StoreOptions) {
    if (!opts.tableName) throw new Error('VigilStore: tableName is required');
    const retention = opts.retentionDays ?? 14;
    if (!Number.isInteger(retention) || retention < 1 || retention > 3650) {
      throw new Error(`VigilStore: retentionDays must be an integer from 1 to 3650, got ${opts.retentionDays}`);
    }
    this.tableName = opts.tableName;
    this.retentionDays = retention;
    this.table = new DynamoTable({
      client: opts.client,
      tableName: opts.tableName,
      retentionDays: retention,
      clock: opts.clock ?? systemClock,
      retry: { ...defaultRetryPolicy, ...opts.retry },
      log: opts.logger ?? silentLogger,
    });
    this.writes = new TimeSeriesWriter(this.table);
    this.reads = new TimeSeriesReader(this.table);
    this.documents = new DocumentStore(this.table);
  }

  /** Write and read units consumed by this store instance so far, and requests by operation. */
  get capacity(): CapacityTotals {
    return this.table.capacity;
  }

  // Writes (writes.ts)
  putKubeBatch(cluster: string, batch: KubeBatchWrite, deadline?: EpochMs): Promise<WriteReport> {
    return this.writes.putKubeBatch(cluster, batch, deadline);
  }
  putKubeMinutes(cluster: string, minutes: readonly KubeNodeMinute[]): Promise<WriteReport> {
    return this.writes.putKubeMinutes(cluster, minutes);
  }
  putKubeRollup(cluster: string, rollup: KubeRollup, part?: RollupPart): Promise<WriteReport> {
    return this.writes.putKubeRollup(cluster, rollup, part);
  }
  putHostMinutes(cluster: string, minutes: readonly HostNodeMinute[]): Promise<WriteReport> {
    return this.writes.putHostMinutes(cluster, minutes);
  }
  putCloudRollup(cluster: string, rollup: CloudRollup): Promise<WriteReport> {
    return this.writes.putCloudRollup(cluster, rollup);
  }
  putEvents(cluster: string, events: readonly KubeEvent[]): Promise<WriteReport> {
    return this.writes.putEvents(cluster, events);
  }
  putAwsEvents(cluster: string, events: readonly AwsEvent[]): Promise<WriteReport> {
    return this.writes.putAwsEvents(cluster, events);
  }
  putHeartbeat(hb: Heartbeat): Promise<WriteReport> {
    return this.writes.putHeartbeat(hb);
  }

  // Versioned documents (documents.ts)
  getDocument<T>(cluster: string, kind: string, id: string): Promise<StoredDocument<T> | undefined> {
    return this.documents.getDocument<T>(cluster, kind, id);
  }
  listDocuments<T>(cluster: string, kind: string): Promise<StoredDocument<T>[]> {
    return this.documents.listDocuments<T>(cluster, kind);
  }
  putDocument<T>(
    cluster: string,
    kind: string,
    id: string,
    value: T,
    expectedVersion: number | undefined,
    opts?: { readonly expiresAt?: EpochMs },
  ): Promise<number | undefined> {
    return this.documents.putDocument(cluster, kind, id, value, expectedVersion, opts);
  }
  deleteDocument(cluster: string, kind: string, id: string, expectedVersion: number): Promise<boolean> {
    return this.documents.deleteDocument(cluster, kind, id, expectedVersion);
  }

  // Time-series reads (reads.ts)
  clusters(): Promise<string[]> {
    return this.reads.clusters();
  }
  heartbeat(cluster: string): Promise<Heartbeat | undefined> {
    return this.reads.heartbeat(cluster);
  }
  rollups(cluster: string, from: EpochMs, to: EpochMs): Promise<ClusterMinute[]> {
    return this.reads.rollups(cluster, from, to);
  }
  nodeMinutes(cluster: string, from: EpochMs, to: EpochMs): Promise<NodeMinute[]> {
    return this.reads.nodeMinutes(cluster, from, to);
  }
  kubeMinutes(cluster: string, minute: Minute): Promise<NodeMinute[]> {
    return this.reads.kubeMinutes(cluster, minute);
  }
  hostParts(cluster: string, instanceIds: readonly string[], minutes: readonly Minute[]): Promise<HostNodeMinute[]> {
    return this.reads.hostParts(cluster, instanceIds, minutes);
  }
  latest(cluster: string, minutes: number): Promise<{ rollups: ClusterMinute[]; nodes: NodeMinute[] }> {
    return this.reads.latest(cluster, minutes);
  }
  nodeHistory(cluster: string, node: string, from: EpochMs, to: EpochMs): Promise<NodeMinute[]> {
    return this.reads.nodeHistory(cluster, node, from, to);
  }
  workloadHistory(
    cluster: string,
    workload: WorkloadRef,
    from: EpochMs,
    to: EpochMs,
  ): Promise<{ minute: Minute; workload: WorkloadMinute }[]> {
    return this.reads.workloadHistory(cluster, workload, from, to);
  }
  awsEvents(cluster: string, from: EpochMs): Promise<AwsEvent[]> {
    return this.reads.awsEvents(cluster, from);
  }
  newestCloudRollup(cluster: string, from: EpochMs, to: EpochMs): Promise<CloudRollup | undefined> {
    return this.reads.newestCloudRollup(cluster, from, to);
  }
  events(cluster: string, from: EpochMs, to: EpochMs): Promise<KubeEvent[]> {
    return this.reads.events(cluster, from, to);
  }
  selectContainers(cluster: string, selector: ContainerSelector, from: EpochMs, to: EpochMs): Promise<ContainerSample[]> {
    return this.reads.selectContainers(cluster, selector, from, to);
  }
}
