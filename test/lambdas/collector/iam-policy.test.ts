/**
 * The collector's IAM actions are exactly the operations its adapters call: nothing missing (the call
 * would be denied), nothing extra (least privilege). The adapters count calls by IAM action name.
 */
import { createLogger } from '../../../common/log';
import { createCollectorHandler } from '../../../lambdas/collector/collector';
import { METRIC_GROUPS } from '../../../lambdas/collector/config';
import { COLLECTOR_STATEMENTS } from '../../../lambdas/collector/iam-policy';
import { MINUTE_MS } from '../../../model/time';
import { SimulatedAccount } from '../../../sim/aws/account';
import { useTestStore } from '../../support/store';

const t = useTestStore();

test('every action is used, and every call is allowed', async () => {
  const sim = new SimulatedAccount({ clock: t.clock });
  sim.addCluster({
    name: 'prod',
    nodeGroups: [
      { name: 'general', instanceType: 'm6i.xlarge', size: { min: 1, max: 5, desired: 3 }, cloudWatchAgent: true },
      { name: 'legacy', kind: 'self-managed', instanceType: 'm5.large', size: { min: 1, max: 3, desired: 1 } },
    ],
  });
  sim.failStatusCheck(sim.instancesOf('prod', 'general')[0].instanceId, 'instance');
  const used = new Set<string>();
  const collect = createCollectorHandler({
    store: t.store(),
    clusters: [{ name: 'prod' }],
    defaultRegion: 'eu-west-1',
    aws: (_region, calls) => sim.apis(calls),
    hostMetrics: { periodMinutes: 5, everyMinutes: 5, windowMinutes: 15, groups: [...METRIC_GROUPS] },
    clock: t.clock,
    logger: createLogger({ service: 'test', sink: () => undefined }),
  });
  for (let m = 0; m < 20; m++) {
    const [run] = await collect();
    expect(run.failures).toEqual([]);
    for (const op of Object.keys(run.calls)) used.add(op);
    t.clock.advance(MINUTE_MS);
  }
  const allowed = COLLECTOR_STATEMENTS.flatMap((s) => s.actions);
  expect([...used].sort()).toEqual([...allowed].sort());
});
