/**
 * A brand-new instance's first state changes reach the AWS events function before the collector has listed
 * the instance: they are kept, and the collector's next rollup that lists it files them on its cluster's
 * timeline. Real parts: the simulated account's EventBridge events, the real events function and collector,
 * dynalite.
 */
import { createLogger } from '../../../common/log';
import { createAwsEventsHandler } from '../../../lambdas/aws-events/aws-events';
import { createCollectorHandler } from '../../../lambdas/collector/collector';
import { DEFAULT_HOST_METRICS } from '../../../lambdas/collector/config';
import { NO_CLUSTER } from '../../../lambdas/store/keys';
import { MINUTE_MS } from '../../../model/time';
import { SimulatedAccount } from '../../../sim/aws/account';
import { useTestStore } from '../../support/store';

const t = useTestStore({ now: Date.UTC(2026, 10, 23, 8, 0, 20) });

test("a new instance's state changes from before the collector listed it are filed on its cluster's timeline at the collector's next run; another workload's stay off every timeline", async () => {
  const sim = new SimulatedAccount({ clock: t.clock });
  sim.addCluster({ name: 'prod', nodeGroups: [{ name: 'general', instanceType: 'm6i.xlarge', size: { min: 2, max: 8, desired: 2 } }] });
  sim.addCluster({ name: 'other', nodeGroups: [{ name: 'web', instanceType: 'm6i.large', size: { min: 1, max: 4, desired: 1 } }] });
  const store = t.store();
  const quiet = createLogger({ service: 'test', sink: () => undefined });
  // Vigil watches `prod` only: `other` stands for the account's other workloads.
  const clusters = [{ name: 'prod' }];
  const collect = createCollectorHandler({
    store,
    clusters,
    defaultRegion: 'eu-west-1',
    aws: (_r, calls) => sim.apis(calls),
    hostMetrics: DEFAULT_HOST_METRICS,
    clock: t.clock,
    logger: quiet,
  });
  const fileEvent = createAwsEventsHandler({ store, clusters, collectorEveryMinutes: 1, clock: t.clock, logger: quiet });
  const start = t.clock.now();

  await collect();
  const known = new Set(sim.hosts('prod').map((h) => h.instanceId));
  t.clock.advance(5_000);
  sim.setDesired('prod', 'general', 3);
  sim.setDesired('other', 'web', 2);
  t.clock.advance(40_000);
  const results = [];
  for (const e of sim.eventsBetween(start, t.clock.now())) results.push(await fileEvent(e));
  const fresh = sim.hosts('prod').find((h) => !known.has(h.instanceId))!.instanceId;
  expect(results.reduce((a, r) => a + r.unmatched, 0)).toBeGreaterThan(0);
  const newcomer = (events: { instanceId?: string; kind: string }[]) =>
    events.filter((e) => e.instanceId === fresh && e.kind === 'instance-state');
  expect(newcomer(await store.awsEvents('prod', start))).toEqual([]);

  // The collector's next run lists the instance: its first state changes join the cluster's timeline.
  t.clock.advance(MINUTE_MS - 45_000);
  const [run] = await collect();
  expect(run.failures).toEqual([]);
  const filed = newcomer(await store.awsEvents('prod', start));
  expect(filed.map((e) => (e as { state?: string }).state)).toEqual(['pending']);
  // Once only, whatever later runs see.
  t.clock.advance(MINUTE_MS);
  await collect();
  expect(newcomer(await store.awsEvents('prod', start))).toHaveLength(1);
  // The other workload's instances are on no cluster's timeline; they wait unrouted until they expire.
  const others = new Set(sim.hosts('other').map((h) => h.instanceId));
  expect((await store.awsEvents('prod', start)).filter((e) => e.instanceId !== undefined && others.has(e.instanceId))).toEqual([]);
  expect((await store.awsEvents(NO_CLUSTER, start)).some((e) => e.instanceId !== undefined && others.has(e.instanceId))).toBe(true);
});
