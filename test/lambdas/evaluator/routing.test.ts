/**
 * Routes on the real evaluator and a dynalite store: route labels as ingest stores them (a workload's own
 * `team` label, else its namespace's), each receiver told only of its alerts in its own message, the default
 * route for what no route takes (node alerts have no namespace), the story kept on its route until it
 * resolves, and an undelivered message owed only for the alerts it carried.
 */
import { silentLogger } from '../../../common/log';
import { routeLabelsOf, RouteLabelsWriter } from '../../../lambdas/store/route-labels';
import { useTestStore } from '../../support/store';
import type { NamespaceInfo, WorkloadStatus } from '../../../model/domain';
import type { Routing } from '../../../model/route';
import { harness, type Harness } from './harness';

const { dynamo } = useTestStore();

const RULES = { 'workload-replicas-unavailable': { for: '0', resolveAfter: '0' }, 'node-not-ready': { for: '0', resolveAfter: '0' } };
const ROUTES: Routing = {
  receivers: ['email'],
  routes: [
    { match: { labels: { team: 'shop' } }, receivers: ['slack'] },
    { match: { labels: { team: 'data' } }, receivers: ['webhook'] },
  ],
};

/** Stores the route labels the way ingest does from a full batch. */
async function storeLabels(h: Harness, namespaces: readonly NamespaceInfo[]): Promise<void> {
  const labels = routeLabelsOf({ ...h.steady.batch(h.nextTime), namespaces }, ['team'])!;
  await new RouteLabelsWriter({ store: h.store, clock: h.t.clock, logger: silentLogger }).write(h.steady.cluster, labels);
}

const byReceiver = (h: Harness) =>
  h.publisher.messages.map(
    (m) =>
      `${m.attributes.receiver}: ${m.notification.changes.map((c) => `${c.kind} ${c.rule} ${c.subject.workload ?? c.subject.node}`).join(', ')}`,
  );

function setup(h: Harness) {
  const [checkout, render] = h.steady.workloads.filter((w) => w.kind === 'Deployment');
  // checkout (namespace orders) carries its own team label; render (namespace payments) has its namespace's.
  h.steady.workloads = h.steady.workloads.map((w) => (w === checkout ? { ...w, labels: { app: 'checkout', team: 'shop' } } : w));
  const down = (broken: boolean) => {
    h.steady.workloads = h.steady.workloads.map(
      (w): WorkloadStatus =>
        w.name === checkout.name || w.name === render.name ? { ...w, available: broken ? 0 : w.desired, ready: broken ? 0 : w.desired } : w,
    );
  };
  return { checkout, render, down };
}

test('each receiver gets its own message with only its alerts; a node alert takes the default route', async () => {
  const h = await harness(dynamo, { nodes: 6, rules: RULES, routes: ROUTES, routeLabels: ['team'] });
  const { checkout, render, down } = setup(h);
  await storeLabels(h, [
    { name: 'payments', labels: { team: 'data' } },
    { name: 'orders', labels: { team: 'data' } },
  ]);
  await h.tick(1);
  down(true);
  h.steady.setCondition(3, {
    type: 'Ready',
    status: 'False',
    reason: 'KubeletNotReady',
    message: 'PLEG is not healthy',
    since: h.nextTime,
  });
  const [run] = await h.tick(1);
  expect(run.messages).toBe(3);
  expect(byReceiver(h).sort()).toEqual([
    `email: firing node-not-ready ${h.steady.nodeNames[3]}`,
    `slack: firing workload-replicas-unavailable Deployment/${checkout.name}`,
    `webhook: firing workload-replicas-unavailable Deployment/${render.name}`,
  ]);
  const slack = h.publisher.messages.find((m) => m.attributes.receiver === 'slack')!;
  expect(slack.labels).toEqual({ team: ['shop'] });
  expect(slack.notification.changes[0].labels).toEqual({ team: 'shop' });
});

test('the story stays on its route: relabelled before it ends, its resolution goes where it fired; the next incident follows the new label', async () => {
  const h = await harness(dynamo, { nodes: 6, rules: RULES, routes: ROUTES, routeLabels: ['team'] });
  const { checkout, down } = setup(h);
  await storeLabels(h, []);
  down(true);
  await h.tick(1);
  h.steady.workloads = h.steady.workloads.map((w) => (w.name === checkout.name ? { ...w, labels: { team: 'data' } } : w));
  await storeLabels(h, []);
  await h.tick(1);
  down(false);
  await h.tick(1);
  // Breaking again later is a new story: it goes where its labels say now.
  down(true);
  await h.tick(1);
  expect(byReceiver(h).filter((m) => m.includes(checkout.name))).toEqual([
    `slack: firing workload-replicas-unavailable Deployment/${checkout.name}`,
    `slack: resolved workload-replicas-unavailable Deployment/${checkout.name}`,
    `webhook: firing workload-replicas-unavailable Deployment/${checkout.name}`,
  ]);
});

test('a message one receiver did not get is owed for its alerts only, and sent to it by the next evaluation', async () => {
  const h = await harness(dynamo, { nodes: 6, rules: RULES, routes: ROUTES, routeLabels: ['team'] });
  const { checkout, render, down } = setup(h);
  await storeLabels(h, [{ name: 'payments', labels: { team: 'data' } }]);
  down(true);
  h.publisher.failNext = 1; // the first message of the evaluation: slack's
  await expect(h.tick(1)).rejects.toThrow(/1 alert changes not published \(to slack\)/);
  expect(byReceiver(h)).toEqual([`webhook: firing workload-replicas-unavailable Deployment/${render.name}`]);
  await h.tick(1);
  expect(byReceiver(h)).toEqual([
    `webhook: firing workload-replicas-unavailable Deployment/${render.name}`,
    `slack: firing workload-replicas-unavailable Deployment/${checkout.name}`,
  ]);
});

test('without routes, one message for everyone, as before routing', async () => {
  const h = await harness(dynamo, { nodes: 6, rules: RULES, routeLabels: ['team'] });
  const { down } = setup(h);
  await storeLabels(h, [{ name: 'payments', labels: { team: 'data' } }]);
  down(true);
  const [run] = await h.tick(1);
  expect(run.messages).toBe(1);
  expect(h.publisher.messages[0].attributes).not.toHaveProperty('receiver');
  expect(h.publisher.messages[0].labels).toEqual({ team: ['data', 'shop'] });
});
