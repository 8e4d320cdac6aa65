/**
 * A Windows node on EKS (test/fixtures/windows-eks): two real kubelet summaries a minute apart, through the
 * agent's whole HTTP runtime into the real ingest handler and dynalite, then the real evaluator over what
 * was stored. A Windows kubelet has no PID stats (`rlimit`) and no inode counts, and reports the node's RSS
 * as a placeholder 0: each must be stored as unknown, and no rule may fire on it.
 */
import { silentLogger } from '../../common/log';
import { resolveRules, ruleOverridesSchema, type ParsedOverrides } from '../../lambdas/evaluator/config';
import { createEvaluator } from '../../lambdas/evaluator/evaluator';
import { CapturingPublisher } from '../lambdas/evaluator/harness';
import { validateObject } from '../sim/kube/k8s-schema';
import { items, readFixture, startCaptureRun } from './capture-agent';
import { WINDOWS_NODE, WINDOWS_STATS } from './kubelet/capture-figures';

// The summaries were taken at 15:19:59 and 15:20:59 on 2023-12-21; the agent reads each 31 s later.
const T1 = Date.UTC(2023, 11, 21, 15, 20, 30);
const T2 = T1 + 60_000;
const NODE_RULES = ['node-disk-low', 'node-pids-low', 'node-memory-low', 'node-pressure'];

describe("a Windows node on EKS through the agent's HTTP runtime, into the store and the evaluator", () => {
  it('replays API objects (synthetic) that are valid Kubernetes objects of that node and pod', () => {
    for (const f of ['windows-eks/nodes.yaml', 'windows-eks/pods.yaml']) for (const o of items(f)) validateObject(o, `${f}: `);
  });

  it('stores the figures the kubelet measured, unknown where it reports nothing or a placeholder zero, and no node rule fires on them', async () => {
    const run = await startCaptureRun({
      cluster: 'windows',
      now: T1,
      nodesFile: 'windows-eks/nodes.yaml',
      podsFile: 'windows-eks/pods.yaml',
      summaryFiles: ['windows-eks/pre_kubelet_stats_summary.json'],
    });
    try {
      await run.cycle();
      run.summaries.set(WINDOWS_NODE, readFixture('windows-eks/cur_kubelet_stats_summary.json'));
      run.t.clock.set(T2);
      await run.cycle();
      const minutes = await run.t.store().nodeMinutes('windows', T1 - 60_000, T2);
      expect(minutes.map((m) => m.kube?.node.name)).toEqual([WINDOWS_NODE, WINDOWS_NODE]);
      const kube = minutes[1].kube!;
      expect(kube.scrapeError).toBeUndefined();
      // Every figure, as the raw JSON says; RSS, inodes and PIDs are absent, not 0.
      expect(kube.stats).toEqual(WINDOWS_STATS);
      const [iis] = kube.pods;
      expect(iis).toMatchObject({ name: 'windows-server-iis-ltsc2019-58d94b5844-6v2pg', ephemeralStorageUsedBytes: 340663443 });
      // The container's CPU: 187,500,000 ns in 60 s (its usageNanoCores says 0, and is not read).
      expect(iis.containers[0].usage).toEqual({
        cpuMilli: 3.1,
        memoryWorkingSetBytes: 209088512,
        rootfsUsedBytes: 339738624,
        logsUsedBytes: 920146,
      });

      const publisher = new CapturingPublisher();
      const overrides = Object.fromEntries(NODE_RULES.map((r) => [r, { for: '0' }]));
      const evaluator = createEvaluator({
        store: run.t.store(),
        publisher,
        clock: run.t.clock,
        logger: silentLogger,
        rules: resolveRules(ruleOverridesSchema.parse(overrides) as ParsedOverrides),
        emit: () => undefined,
      });
      run.t.clock.set(T2 + 30_000);
      const ev = await evaluator.evaluateCluster('windows');
      // The node rules looked (not blind) and found nothing.
      expect(ev.blindRules.filter((r) => NODE_RULES.includes(r))).toEqual([]);
      expect(publisher.changes.filter((c) => NODE_RULES.includes(c.rule))).toEqual([]);
    } finally {
      await run.close();
    }
  });
});
