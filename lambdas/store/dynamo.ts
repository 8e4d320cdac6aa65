/**
 * The store's DynamoDB plumbing: requests that count their consumed capacity, retries above the SDK's own
 * (throttling, `UnprocessedItems`, `UnprocessedKeys`), items built and checked against DynamoDB's limits
 * before they are sent, and reads that skip TTL-expired items (DynamoDB deletes them up to days late,
 * dynalite never). It knows keys and items, not what they hold.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type ConsumedCapacity,
  type DynamoDBClient,
  type ScanCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { mapLimit } from '../../common/concurrency';
import type { Logger } from '../../common/log';
import { backoffMs, isRetryable, type RetryPolicy } from '../../common/retry';
import type { Clock, EpochMs } from '../../model/time';
import { encode } from './codec';
import { keyAttributes, keyText, PK, SK, TTL_ATTRIBUTE, type Key } from './keys';

/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** DynamoDB's key limits, in UTF-8 bytes (dynalite does not enforce them). */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;
const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
export const PARALLEL_REQUESTS = 8;

export interface WriteFailure {
  /** `pk / sk` of the item that could not be written. */
  readonly key: string;
  readonly reason: string;
  /** Retrying cannot help: refused before sending (a key or the item over DynamoDB's limits, not encodable) or by DynamoDB as invalid. */
  readonly permanent?: boolean;
}

export interface WriteReport {
  readonly written: number;
  /** Conditional writes that found newer or equal data already stored (duplicates, late arrivals). */
  readonly skipped: number;
  readonly failed: readonly WriteFailure[];
}

export interface CapacityTotals {
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly requests: Readonly<Record<string, number>>;
}

export class ItemTooLargeError extends Error {
  override readonly name = 'ItemTooLargeError';
}

/** An item to write, with a human-readable description for failure reports. */
export interface PendingItem {
  readonly key: Key;
  readonly what: string;
  readonly value: unknown;
  /** The time the data is about; the TTL counts from it. */
  readonly dataTime: EpochMs;
  /** Stored as `at`; a conditional put keeps a later one. */
  readonly collectedAt?: EpochMs;
  /** The pod specs a node-minute points at, or that a spec item holds. */
  readonly specHash?: string;
  /** Events: written when new or their count grew. */
  readonly count?: number;
  /** Events and the heartbeat: never back in time. */
  readonly lastSeen?: EpochMs;
  /** Built and checked, once prepared. */
  readonly item?: Record<string, AttributeValue>;
}

export type ConditionalResult = 'written' | 'skipped' | WriteFailure;

export interface DynamoTableOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly retentionDays: number;
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  readonly log: Logger;
}

export class DynamoTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly retentionDays: number;
  readonly clock: Clock;
  readonly log: Logger;
  private readonly retry: RetryPolicy;
  private readonly totals = { writeUnits: 0, readUnits: 0, requests: {} as Record<string, number> };

  constructor(opts: DynamoTableOptions) {
    this.client = opts.client;
    this.tableName = opts.tableName;
    this.retentionDays = opts.retentionDays;
    this.clock = opts.clock;
    this.retry = opts.retry;
    this.log = opts.log;
  }

  /** Write and read units consumed so far, and requests by operation. */
  get capacity(): CapacityTotals {
    return { ...this.totals, requests: { ...this.totals.requests } };
  }

  /** Query one partition (optionally a sort-key range), all pages, expired items dropped. */
  async query(pk: string, range?: [string, string], consistent = false): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.read('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: range ? 'pk = :pk AND sk BETWEEN :a AND :b' : 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: pk }, ...(range ? { ':a': { S: range[0] }, ':b': { S: range[1] } } : {}) },
            ExclusiveStartKey: start,
            ConsistentRead: consistent,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      for (const item of page.Items ?? []) if (!this.expired(item)) out.push(item);
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Scan the whole table, all pages: it reads every item, so only a local run's small table is scanned. */
  async scan(
    filter: Pick<ScanCommandInput, 'ProjectionExpression' | 'FilterExpression' | 'ExpressionAttributeValues'>,
  ): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.read('Scan', () =>
        this.client.send(
          new ScanCommand({ TableName: this.tableName, ...filter, ExclusiveStartKey: start, ReturnConsumedCapacity: 'TOTAL' }),
        ),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** BatchGet by keys, 100 at a time, retrying `UnprocessedKeys`; expired items dropped. */
  async batchGet(keyList: readonly Key[]): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    await mapLimit(chunk(keyList, BATCH_GET_MAX), PARALLEL_REQUESTS, async (batch) => {
      let pending: Record<string, AttributeValue>[] = batch.map(keyAttributes);
      for (let attempt = 1; pending.length; attempt++) {
        const res = await this.read('BatchGetItem', () =>
          this.client.send(
            new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: pending } }, ReturnConsumedCapacity: 'TOTAL' }),
          ),
        );
        for (const item of res.Responses?.[this.tableName] ?? []) if (!this.expired(item)) out.push(item);
        pending = res.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (pending.length) {
          if (attempt >= this.retry.attempts)
            throw new Error(`BatchGetItem: ${pending.length} keys still unprocessed after ${attempt} attempts`);
          await this.retry.sleep(backoffMs(attempt, this.retry));
        }
      }
    });
    return out;
  }

  /**
   * BatchWrite puts, 25 at a time. `UnprocessedItems` and retryable errors are retried with backoff; what is
   * left after the last attempt, and items refused outright (too large, invalid), are reported, never dropped.
   */
  async batchPut(items: readonly PendingItem[]): Promise<WriteReport> {
    const refused: WriteFailure[] = [];
    const report = await this.sendPuts(this.prepareAll(items, refused));
    const failed = [...refused, ...report.failed];
    if (failed.length) this.log.warn('writes failed', { failed: failed.length, first: failed[0] });
    return { ...report, failed };
  }

  /** BatchWrite of prepared items, retried as `batchPut` says; what still fails is returned. */
  async sendPuts(items: readonly PendingItem[], deadline?: EpochMs): Promise<WriteReport> {
    const failed: WriteFailure[] = [];
    // One request may not name a key twice; the last value for a key wins, as it would in sequence.
    const byKey = new Map<string, Record<string, AttributeValue>>();
    for (const p of items) byKey.set(keyText(p.key), p.item!);
    let written = 0;
    await mapLimit(chunk([...byKey.values()], BATCH_WRITE_MAX), PARALLEL_REQUESTS, async (batch) => {
      let pending: WriteRequest[] = batch.map((item) => ({ PutRequest: { Item: item } }));
      let lastError = '';
      let permanent = false;
      for (let attempt = 1; pending.length && attempt <= this.retry.attempts; attempt++) {
        const delay = attempt > 1 ? backoffMs(attempt - 1, this.retry) : 0;
        if (!this.inTime(deadline, delay)) {
          lastError = `${lastError || 'not sent'}; no time left for ${attempt > 1 ? 'another try' : 'it'} before the function's deadline`;
          break;
        }
        if (delay) await this.retry.sleep(delay);
        try {
          const res = await this.client.send(
            new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending }, ReturnConsumedCapacity: 'TOTAL' }),
          );
          this.count('BatchWriteItem', res.ConsumedCapacity, 'write');
          const left = res.UnprocessedItems?.[this.tableName] ?? [];
          written += pending.length - left.length;
          if (left.length) lastError = `${left.length} UnprocessedItems`;
          pending = left;
        } catch (e) {
          this.count('BatchWriteItem', undefined, 'write');
          lastError = `${(e as Error).name}: ${(e as Error).message}`;
          permanent = isPermanent(e);
          if (!isRetryable(e)) break;
        }
      }
      for (const w of pending) {
        const item = w.PutRequest!.Item!;
        failed.push({
          key: `${item[PK].S} / ${item[SK].S}`,
          reason: `not written after retries: ${lastError}`,
          ...(permanent ? { permanent } : {}),
        });
      }
    });
    return { written, skipped: 0, failed };
  }

  /** `items` with each one built and checked; what can never be stored is added to `refused` instead. */
  prepareAll(items: readonly PendingItem[], refused: WriteFailure[]): PendingItem[] {
    return items.flatMap((p) => {
      if (p.item) return [p];
      const r = this.prepare(p);
      if ('item' in r) return [{ ...p, item: r.item }];
      refused.push(r.failure);
      return [];
    });
  }

  /** The item to write, or why it never can be (a key over DynamoDB's limits, too large, or not encodable). */
  private prepare(p: PendingItem): { readonly item: Record<string, AttributeValue> } | { readonly failure: WriteFailure } {
    try {
      checkKey(p.key, p.what);
      const item = this.item(p.key, p.value, p.dataTime, p.collectedAt);
      checkSize(item, p.what);
      return { item };
    } catch (e) {
      return { failure: { key: keyText(p.key), reason: (e as Error).message, permanent: true } };
    }
  }

  /** One conditional write: `skipped` when the condition says newer data is there, retried when throttled. */
  async conditional(
    op: string,
    key: string,
    send: () => Promise<{ ConsumedCapacity?: ConsumedCapacity }>,
    deadline?: EpochMs,
  ): Promise<ConditionalResult> {
    if (!this.inTime(deadline)) return { key, reason: "not sent: no time left before the function's deadline" };
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await send();
        this.count(op, res.ConsumedCapacity, 'write');
        return 'written';
      } catch (e) {
        this.count(op, undefined, 'write');
        if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') return 'skipped';
        const reason = `${(e as Error).name}: ${(e as Error).message}`;
        if (!isRetryable(e) || attempt >= this.retry.attempts) return { key, reason, ...(isPermanent(e) ? { permanent: true } : {}) };
        const delay = backoffMs(attempt, this.retry);
        if (!this.inTime(deadline, delay)) return { key, reason: `${reason}; no time left for another try before the function's deadline` };
        await this.retry.sleep(delay);
      }
    }
  }

  /** Whether waiting `delayMs` still leaves time before `deadline` (none: always). */
  private inTime(deadline: EpochMs | undefined, delayMs = 0): boolean {
    return deadline === undefined || this.clock.now() + delayMs < deadline;
  }

  /** A read, retried when throttled beyond the SDK's own retries. */
  async read<T extends { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }>(op: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await send();
        this.count(op, res.ConsumedCapacity, 'read');
        return res;
      } catch (e) {
        this.count(op, undefined, 'read');
        if (!isRetryable(e) || attempt >= this.retry.attempts) throw e;
        await this.retry.sleep(backoffMs(attempt, this.retry));
      }
    }
  }

  private count(op: string, cc: ConsumedCapacity | ConsumedCapacity[] | undefined, kind: 'read' | 'write'): void {
    this.totals.requests[op] = (this.totals.requests[op] ?? 0) + 1;
    for (const c of Array.isArray(cc) ? cc : cc ? [cc] : []) {
      const units = c.CapacityUnits ?? (kind === 'write' ? c.WriteCapacityUnits : c.ReadCapacityUnits) ?? 0;
      if (kind === 'write') this.totals.writeUnits += units;
      else this.totals.readUnits += units;
    }
  }

  /** Builds an item: keys, the encoded value in `d`, `at` (collection time) and the TTL. */
  private item(key: Key, value: unknown, dataTime: EpochMs, collectedAt?: EpochMs): Record<string, AttributeValue> {
    const item: Record<string, AttributeValue> = {
      ...keyAttributes(key),
      d: { B: encode(value) },
      [TTL_ATTRIBUTE]: { N: String(Math.floor(dataTime / 1000) + this.retentionDays * 86_400) },
    };
    if (collectedAt !== undefined) item.at = { N: String(collectedAt) };
    return item;
  }

  expired(item: Record<string, AttributeValue>): boolean {
    const exp = item[TTL_ATTRIBUTE]?.N;
    return exp !== undefined && Number(exp) * 1000 < this.clock.now();
  }
}

/** DynamoDB's item size: attribute names plus values (numbers counted at their decimal length, a safe bound). */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, v] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    if (v.S !== undefined) size += Buffer.byteLength(v.S);
    else if (v.B !== undefined) size += v.B.length;
    else if (v.N !== undefined) size += v.N.length;
    else size += Buffer.byteLength(JSON.stringify(v));
  }
  return size;
}

/**
 * DynamoDB refused the request as invalid (a key over its limits, an item too large, a bad attribute):
 * resending the same item fails the same way.
 */
function isPermanent(e: unknown): boolean {
  return (e as Error | undefined)?.name === 'ValidationException';
}

function checkKey(key: Key, what: string): void {
  for (const [name, value, max] of [
    ['partition', key.pk, MAX_PARTITION_KEY_BYTES],
    ['sort', key.sk, MAX_SORT_KEY_BYTES],
  ] as const) {
    const size = Buffer.byteLength(value);
    if (size > max)
      throw new ItemTooLargeError(`${what}: its ${name} key is ${size} bytes of UTF-8, over DynamoDB's ${max}-byte limit; refused`);
  }
}

export function checkSize(item: Record<string, AttributeValue>, what: string): void {
  const size = itemSize(item);
  if (size > MAX_ITEM_BYTES) {
    throw new ItemTooLargeError(
      `${what}: item is ${(size / 1024).toFixed(1)} KB encoded, over DynamoDB's 400 KB item limit; refused, not truncated`,
    );
  }
}

export function summarize(results: readonly ConditionalResult[]): WriteReport {
  return {
    written: results.filter((r) => r === 'written').length,
    skipped: results.filter((r) => r === 'skipped').length,
    failed: results.filter((r): r is WriteFailure => typeof r === 'object'),
  };
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
