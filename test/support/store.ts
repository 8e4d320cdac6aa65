/**
 * A VigilStore on a fresh dynalite table, with a manual clock and retries that do not sleep; `useTestStore()`
 * gives a suite its dynalite and tables, started and closed by the suite's hooks.
 */
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { startDynalite, type LocalDynamo } from '../../local/dynalite';
import { VigilStore, type StoreOptions } from '../../lambdas/store/store';
import { ManualClock, type EpochMs } from '../../model/time';

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

/** A suite's store: the `TestStore` of the current table, and fresh tables on the same dynalite. */
export interface SuiteStore extends TestStore {
  /** Another empty table on the suite's dynalite (a test that needs a store of its own). */
  fresh(now?: EpochMs): Promise<TestStore>;
}

/**
 * Starts dynalite (port 0) before the suite's tests and closes it after them, with a fresh table for the
 * suite, or for each test with `each`. Call it at the top of a suite or a `describe`; what it returns
 * stands for the running dynalite and the current table, so read its members inside hooks and tests.
 */
export function useTestStore(opts: { readonly now?: EpochMs; readonly each?: boolean } = {}): SuiteStore {
  let dynamo: LocalDynamo | undefined;
  let table: TestStore | undefined;
  const running = (): LocalDynamo => dynamo ?? notYet('dynalite');
  const current = (): TestStore => table ?? notYet('the table');
  const newTable = async () => {
    table = await startTestStore(running(), opts.now);
  };
  beforeAll(async () => {
    dynamo = await startDynalite();
    if (!opts.each) await newTable();
  });
  if (opts.each) beforeEach(newTable);
  afterAll(async () => {
    await dynamo?.close();
    dynamo = table = undefined;
  });
  return {
    dynamo: {
      get endpoint() {
        return running().endpoint;
      },
      get client() {
        return running().client;
      },
      createTable: (name) => running().createTable(name),
      close: () => running().close(),
    },
    get clock() {
      return current().clock;
    },
    get tableName() {
      return current().tableName;
    },
    store: (o) => current().store(o),
    scan: () => current().scan(),
    fresh: (now = opts.now) => startTestStore(running(), now),
  };
}

function notYet(what: string): never {
  throw new Error(`useTestStore: ${what} exists only inside the suite's hooks and tests, not while it loads`);
}
