/**
 * Versioned documents (alert state, evaluator memory, collector watermarks, silences, route labels): one item
 * each under `<cluster>#D#<kind>`, read consistently and changed only by conditional writes on their
 * version, so two overlapping evaluator runs never both win the same transition.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { EpochMs } from '../../model/time';
import { decode, encode } from './codec';
import { checkSize, type DynamoTable } from './dynamo';
import { keyAttributes, keys, keyText, SK, TTL_ATTRIBUTE } from './keys';

export interface StoredDocument<T> {
  readonly id: string;
  readonly value: T;
  readonly version: number;
}

export class DocumentStore {
  constructor(private readonly table: DynamoTable) {}

  async getDocument<T>(cluster: string, kind: string, id: string): Promise<StoredDocument<T> | undefined> {
    const { client, tableName } = this.table;
    const out = await this.table.read('GetItem', () =>
      client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: keyAttributes(keys.document(cluster, kind, id)),
          ConsistentRead: true,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    return out.Item && !this.table.expired(out.Item) ? toDocument<T>(out.Item) : undefined;
  }

  async listDocuments<T>(cluster: string, kind: string): Promise<StoredDocument<T>[]> {
    const items = await this.table.query(keys.documentPartition(cluster, kind), undefined, true);
    return items.map((i) => toDocument<T>(i));
  }

  /**
   * Writes a document if nobody else changed it since it was read: `expectedVersion` is the version read
   * (`undefined` = must not exist yet, or have expired). Returns the new version, or `undefined` on a conflict. Two
   * overlapping evaluator runs therefore never both win the same transition.
   */
  async putDocument<T>(
    cluster: string,
    kind: string,
    id: string,
    value: T,
    expectedVersion: number | undefined,
    opts: { readonly expiresAt?: EpochMs } = {},
  ): Promise<number | undefined> {
    const { client, tableName } = this.table;
    const version = (expectedVersion ?? 0) + 1;
    const key = keys.document(cluster, kind, id);
    const item: Record<string, AttributeValue> = { ...keyAttributes(key), d: { B: encode(value) }, version: { N: String(version) } };
    if (opts.expiresAt !== undefined) item[TTL_ATTRIBUTE] = { N: String(Math.floor(opts.expiresAt / 1000)) };
    checkSize(item, `document ${kind}/${id}`);
    const r = await this.table.conditional('PutItem', keyText(key), () =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: item,
          ...(expectedVersion === undefined
            ? this.absentOrExpired()
            : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } } }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    if (r === 'written') return version;
    if (r === 'skipped') return undefined;
    throw new Error(`document ${kind}/${id}: ${r.reason}`);
  }

  /**
   * The condition of a first write: no item, or an expired one. DynamoDB deletes expired items only within
   * days (dynalite never), and reads already treat them as absent; a write that did not would conflict with
   * a ghost forever (an alert that resolved could never fire again).
   */
  private absentOrExpired() {
    return {
      ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
      ExpressionAttributeNames: { '#exp': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':now': { N: String(this.table.clock.now() / 1000) } },
    };
  }

  /** Deletes a document if it is still at `expectedVersion`; false on a conflict. */
  async deleteDocument(cluster: string, kind: string, id: string, expectedVersion: number): Promise<boolean> {
    const { client, tableName } = this.table;
    const key = keys.document(cluster, kind, id);
    const r = await this.table.conditional('DeleteItem', keyText(key), () =>
      client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: keyAttributes(key),
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    if (typeof r === 'object') throw new Error(`document ${kind}/${id}: ${r.reason}`);
    return r === 'written';
  }
}

function toDocument<T>(item: Record<string, AttributeValue>): StoredDocument<T> {
  return { id: item[SK].S!, value: decode<T>(item.d.B!), version: Number(item.version.N) };
}
