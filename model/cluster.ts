/**
 * The list of clusters Vigil watches (`vigil:clusters` at synth, `VIGIL_CLUSTERS` in the functions): one set
 * of rules, checked by the CDK app, the construct and every function that reads the list, so a list one of
 * them accepts is never refused by another at run time.
 */
import { z } from 'zod';
import { CLUSTER_NAME_PATTERN } from './batch-constants';
import type { ClusterConfig } from './domain';

/** The evaluator reads every cluster's window each run; beyond this, deploy one stack per account. */
export const MAX_CLUSTERS = 100;

/** An AWS region code: `eu-west-1`, `us-gov-west-1`, `ap-southeast-5`. */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** A problem with the list: where (a path into it, as zod gives one) and what must hold there. */
export interface ClusterListProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Every problem with a list of clusters, at once: at least one and at most `MAX_CLUSTERS`, EKS cluster
 * names, AWS region codes, and names unique across regions (the name keys the cluster's data).
 */
export function clusterListProblems(clusters: readonly ClusterConfig[]): ClusterListProblem[] {
  const problems: ClusterListProblem[] = [];
  if (clusters.length === 0)
    problems.push({ path: [], message: 'must list at least one cluster, like [{"name": "prod", "region": "eu-west-1"}]' });
  if (clusters.length > MAX_CLUSTERS)
    problems.push({
      path: [],
      message: `must list at most ${MAX_CLUSTERS} clusters, got ${clusters.length} (deploy one stack per account beyond that)`,
    });
  clusters.forEach((c, i) => {
    if (!CLUSTER_NAME_PATTERN.test(c.name))
      problems.push({
        path: [i, 'name'],
        message: `must be an EKS cluster name (1-100 of A-Z a-z 0-9 - _, a letter or digit first), got "${c.name}"`,
      });
    if (c.region !== undefined && !AWS_REGION_PATTERN.test(c.region))
      problems.push({ path: [i, 'region'], message: `must be an AWS region like "eu-west-1", got "${c.region}"` });
    if (clusters.slice(0, i).some((o) => o.name === c.name))
      problems.push({
        path: [i, 'name'],
        message: `must be unique, in every region (the name keys the cluster's data): "${c.name}" is listed twice`,
      });
  });
  return problems;
}

/** Adds `clusterListProblems` to a schema of the list's shape, so each reader reports them its own way. */
export function withClusterRules<T extends ClusterConfig>(list: z.ZodType<T[]>): z.ZodType<T[]> {
  return list.superRefine((clusters, ctx) => {
    for (const p of clusterListProblems(clusters)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  });
}

/** `VIGIL_CLUSTERS`: `[{"name":"prod","region":"eu-west-1"}]`, the region defaulting to the function's own. */
export const clusterListSchema: z.ZodType<ClusterConfig[]> = withClusterRules(
  z.array(z.object({ name: z.string({ error: 'must be a string' }), region: z.string({ error: 'must be a string' }).optional() }), {
    error: 'must be a list of clusters like [{"name": "prod", "region": "eu-west-1"}]',
  }),
);
