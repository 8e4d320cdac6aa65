/** A VigilStore on a fresh dynalite table, with a manual clock and retries that do not sleep. */
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { startDynalite, type LocalDynamo } from '../../local/dynalite';
import { VigilStore, type StoreOptions } from '../../lambdas/store/store';
import { ManualClock } from '../../model/time';

export interface TestStore {
  readonly dynamo: LocalDynamo;
  readonly clock: ManualClock;
  readonly tableName: string;
  /** A new store on the same table (a second Lambda instance: empty caches, same data). */
  store(opts?: Partial<StoreOptions>): VigilStore;
  /** Every item in the table, sorted by key: to check that nothing stored was lost or changed. */
  scan(): Promise<Record<string, AttributeValue>[]>;
}

let tables = 0;

export async function startTestStore(dynamo?: LocalDynamo, now = Date.UTC(2026, 10, 23, 12, 0, 30)): Promise<TestStore> {
  const d = dynamo ?? (await startDynalite());
  const tableName = `vigil-test-${++tables}`;
  await d.createTable(tableName);
  const clock = new ManualClock(now);
  return {
    dynamo: d,
    clock,
    tableName,
    store: (opts = {}) =>
      new VigilStore({ client: d.client, tableName, clock, retry: { sleep: async () => undefined, ...opts.retry }, ...opts }),
    scan: async () => {
      const out: Record<string, AttributeValue>[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await d.client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
        out.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return out.sort((a, b) => `${a.pk.S}|${a.sk.S}`.localeCompare(`${b.pk.S}|${b.sk.S}`));
    },
  };
}
