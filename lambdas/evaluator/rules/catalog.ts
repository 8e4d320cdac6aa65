/** Every rule, in the order the README table and messages list them. */
import { instanceScheduledEvent } from './aws-events';
import { capacityLost, n1Headroom, nodePoolLimitPodsPending, scaleInUnderPressure } from './capacity';
import {
  containerCrashLooping,
  containerMemoryNearLimit,
  containerOomKilled,
  containerRestarts,
  containersWithoutMemoryRequests,
  containerWaiting,
} from './containers';
import { hostCpuHigh, hostStatusCheckFailed } from './hosts';
import { nodeClaimDisruptionBlocked, nodeClaimLaunchFailed, nodeClaimNotReady } from './karpenter';
import { nodeCondition, nodeNotReady, nodePressure, nodeReadinessFlapping, nodeScrapeFailing } from './nodes';
import { nodeDiskLow, nodeMemoryLow, nodePidsLow } from './resources';
import {
  asgActivityFailed,
  asgCapacityShortfall,
  asgMaxPodsPending,
  clusterHealthIssue,
  clusterNotActive,
  instanceWithoutNode,
  nodeGroupHealthIssue,
} from './scaling';
import { containerCpuThrottled } from './throttling';
import type { AnyRule } from './types';
import { agentDataStale, agentSilent, collectorFailing } from './vigil';
import { peerOutlier, podEvictions, podsPending, warningEvents, workloadReplicasUnavailable } from './workloads';

export const RULE_GROUPS = [
  {
    title: 'Nodes and hosts',
    rules: [
      nodePressure,
      nodeCondition,
      nodeNotReady,
      nodeReadinessFlapping,
      nodeMemoryLow,
      nodeDiskLow,
      nodePidsLow,
      nodeScrapeFailing,
      hostStatusCheckFailed,
      hostCpuHigh,
      instanceScheduledEvent,
    ],
  },
  {
    title: 'Auto Scaling and capacity',
    rules: [
      asgCapacityShortfall,
      asgActivityFailed,
      asgMaxPodsPending,
      nodePoolLimitPodsPending,
      n1Headroom,
      scaleInUnderPressure,
      capacityLost,
      instanceWithoutNode,
      nodeClaimLaunchFailed,
      nodeClaimNotReady,
      nodeClaimDisruptionBlocked,
      clusterNotActive,
      clusterHealthIssue,
      nodeGroupHealthIssue,
    ],
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
      containerCpuThrottled,
      podsPending,
      podEvictions,
      workloadReplicasUnavailable,
      warningEvents,
      peerOutlier,
    ],
  },
  { title: 'Vigil itself', rules: [agentSilent, agentDataStale, collectorFailing] },
] as const satisfies readonly { readonly title: string; readonly rules: readonly AnyRule<string, string>[] }[];

/** Every rule's id: a closed set, so a misspelt id in code does not compile. */
export type RuleId = (typeof RULE_GROUPS)[number]['rules'][number]['id'];

/** Typed as \`AnyRule\` (ids and the ids their inhibitions name are \`RuleId\`s): a misspelt inhibition target fails here. */
export const RULES: readonly AnyRule[] = RULE_GROUPS.flatMap((g): readonly AnyRule[] => g.rules);

export const RULES_BY_ID: ReadonlyMap<RuleId, AnyRule> = new Map(RULES.map((r) => [r.id, r]));

/** Whether a configured or stored text names a rule (routes, scenario files, stored alerts). */
export const isRuleId = (id: string): id is RuleId => RULES_BY_ID.has(id as RuleId);
