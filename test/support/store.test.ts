/** useTestStore(): the suite's dynalite, a fresh table per test with `each`, and fresh tables on demand. */
import { useTestStore } from './store';

const T = Date.UTC(2026, 10, 23, 12, 0, 30);
const agent = {
  version: '0.1.0',
  startedAt: T,
  cycles: 1,
  batchesSent: 1,
  bytesSent: 1,
  buffered: 0,
  droppedBatches: 0,
  pushFailures: 0,
  scrapeErrors: {},
};
const t = useTestStore({ now: T, each: true });
let first: string;

test('each test gets a table on the clock asked for', async () => {
  first = t.tableName;
  expect(t.clock.now()).toBe(T);
  await t.store().putHeartbeat({ cluster: 'prod', lastSeen: T, agent });
  expect(await t.scan()).toHaveLength(1);
});

test('the next test starts on an empty table of its own; fresh() makes another on the same dynalite', async () => {
  expect(t.tableName).not.toBe(first);
  expect(await t.scan()).toEqual([]);
  const other = await t.fresh(T + 60_000);
  expect(other.dynamo.endpoint).toBe(t.dynamo.endpoint);
  expect(other.tableName).not.toBe(t.tableName);
  expect(other.clock.now()).toBe(T + 60_000);
});
