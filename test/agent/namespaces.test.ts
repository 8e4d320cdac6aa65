/**
 * Namespace labels through the real agent and the loopback API server: listed and watched (name and labels
 * only), carried in every full batch so routes can match `team` on the namespace; a relabel reaches the next
 * batch through the watch.
 */
import { agentRules } from '../../agent/deploy/manifests';
import { parseBatch, type AgentBatch } from '../../model/batch';
import { validateObject } from '../sim/kube/k8s-schema';
import { eventually } from './eventually';
import { startHarness, type Harness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const full = (bs: AgentBatch[]) => bs.filter((b) => b.kind === 'full');

test('every namespace with its labels in each full batch; a relabel arrives through the watch', async () => {
  h = await startHarness({ nodes: 2, podsPerNode: 4 });
  h.sim.setNamespace('shop', { team: 'shop' });
  h.sim.setNamespace('etl');
  validateObject(h.sim.get('namespaces', 'shop'));
  await h.agent.watch();
  await h.agent.cycle();
  const harness = h;
  // Namespaces are followed on their own, like events and volumes: a batch need not wait for them.
  await eventually(async () => {
    await harness.minute();
    const last = full(harness.batches()).at(-1)!;
    expect(parseBatch(last).ok).toBe(true);
    expect([...(last.namespaces ?? [])].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'etl', labels: { 'kubernetes.io/metadata.name': 'etl' } },
      { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop', team: 'shop' } },
    ]);
  });
  h.sim.setNamespace('etl', { team: 'data' });
  await eventually(async () => {
    await harness.minute();
    const last = full(harness.batches()).at(-1)!;
    expect(last.namespaces?.find((n) => n.name === 'etl')?.labels?.team).toBe('data');
  });
});

test('the agent may list and watch namespaces, and nothing more on them', () => {
  const rules = agentRules(false) as { resources?: string[]; verbs: string[] }[];
  expect(rules.filter((r) => r.resources?.includes('namespaces')).map((r) => r.verbs)).toEqual([['get', 'list', 'watch']]);
});
