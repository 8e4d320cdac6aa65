/** Every rule, in the order the README table and messages list them. */
import { n1Headroom, scaleInUnderPressure } from './capacity';
import { containerCrashLooping, containerMemoryNearLimit, containerOomKilled, containerRestarts, containersWithoutMemoryRequests, containerWaiting } from './containers';
import { hostCpuHigh, hostStatusCheckFailed } from './hosts';
import { nodeCondition, nodeNotReady, nodePressure, nodeReadinessFlapping, nodeScrapeFailing } from './nodes';
import { nodeDiskLow, nodeMemoryLow, nodePidsLow } from './resources';
import { asgActivityFailed, asgCapacityShortfall, asgMaxPodsPending, clusterHealthIssue, clusterNotActive, instanceWithoutNode, nodeGroupHealthIssue } from './scaling';
import type { AnyRule } from './types';
import { agentDataStale, agentSilent, collectorFailing } from './vigil';
import { peerOutlier, podEvictions, podsPending, warningEvents, workloadReplicasUnavailable } from './workloads';

export const RULE_GROUPS: readonly { readonly title: string; readonly rules: readonly AnyRule[] }[] = [
  { title: 'Nodes and hosts', rules: [nodePressure, nodeCondition, nodeNotReady, nodeReadinessFlapping, nodeMemoryLow, nodeDiskLow, nodePidsLow, nodeScrapeFailing, hostStatusCheckFailed, hostCpuHigh] },
  {
    title: 'Auto Scaling and capacity',
    rules: [asgCapacityShortfall, asgActivityFailed, asgMaxPodsPending, n1Headroom, scaleInUnderPressure, instanceWithoutNode, clusterNotActive, clusterHealthIssue, nodeGroupHealthIssue],
  },
  {
    title: 'Workloads',
    rules: [
      containersWithoutMemoryRequests,
      containerMemoryNearLimit,
      containerOomKilled,
      containerRestarts,
      containerCrashLooping,
      containerWaiting,
      podsPending,
      podEvictions,
      workloadReplicasUnavailable,
      warningEvents,
      peerOutlier,
    ],
  },
  { title: 'Vigil itself', rules: [agentSilent, agentDataStale, collectorFailing] },
];

export const RULES: readonly AnyRule[] = RULE_GROUPS.flatMap((g) => g.rules);

export const RULES_BY_ID: ReadonlyMap<string, AnyRule> = new Map(RULES.map((r) => [r.id, r]));
