/**
 * The cluster list has one set of rules: the CDK app's context, the construct's props and every function that
 * reads `VIGIL_CLUSTERS` accept and refuse the same lists, so what synth accepts never stops a function at start.
 */
import { ContextError, readVigilContext } from '../../bin/context';
import { ConfigError } from '../../common/config';
import { readCollectorConfig } from '../../lambdas/collector/config';
import { vigilPropsProblems } from '../../lib/vigil';
import { clusterListProblems, MAX_CLUSTERS } from '../../model/cluster';
import type { ClusterConfig } from '../../model/domain';

const FUNCTION_ENV = { VIGIL_TABLE_NAME: 'vigil', VIGIL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts', AWS_REGION: 'eu-west-1' };

/** The problems a call reports through its configuration error, or none when it accepts. */
function problemsOf(read: () => unknown): readonly string[] {
  try {
    read();
    return [];
  } catch (e) {
    // A module loaded afresh throws its own copy of ConfigError: recognised by name.
    if (e instanceof ContextError || (e instanceof Error && e.name === ConfigError.name)) return (e as ConfigError).problems;
    throw e;
  }
}

/** Loads a deployed handler module afresh, as Lambda does at start-up, with `VIGIL_CLUSTERS` set to `clusters`. */
function loadHandler(module: string, clusters: readonly ClusterConfig[]): readonly string[] {
  const saved = process.env;
  process.env = { ...saved, ...FUNCTION_ENV, VIGIL_CLUSTERS: JSON.stringify(clusters) };
  try {
    return problemsOf(() => jest.isolateModules(() => require(module)));
  } finally {
    process.env = saved;
  }
}

/** Each place that reads the list, and the problems it reports about it (other settings are valid). */
const READERS: Record<string, (clusters: readonly ClusterConfig[]) => readonly string[]> = {
  'cdk.json context (bin/context.ts)': (clusters) => problemsOf(() => readVigilContext({ 'vigil:clusters': clusters })),
  'construct props (lib/vigil.ts)': (clusters) => vigilPropsProblems({ clusters: clusters.map((c) => ({ ...c })) }),
  'collector (lambdas/collector/config.ts)': (clusters) =>
    problemsOf(() => readCollectorConfig({ ...FUNCTION_ENV, VIGIL_CLUSTERS: JSON.stringify(clusters) })),
  'evaluator (lambdas/evaluator/handler.ts)': (clusters) => loadHandler('../../lambdas/evaluator/handler', clusters),
  'AWS events (lambdas/aws-events/handler.ts)': (clusters) => loadHandler('../../lambdas/aws-events/handler', clusters),
};

const many = (n: number): ClusterConfig[] => Array.from({ length: n }, (_, i) => ({ name: `c${i}` }));

// Each list below was accepted by one of the readers and refused by another before they shared the rules.
test.each<[string, ClusterConfig[], RegExp]>([
  ['the same name in two regions', [{ name: 'prod' }, { name: 'prod', region: 'us-east-1' }], /"prod" is listed twice/],
  ['no cluster', [], /must list at least one cluster/],
  [`more than ${MAX_CLUSTERS} clusters`, many(MAX_CLUSTERS + 1), /must list at most 100 clusters, got 101/],
  ['a region that is not one', [{ name: 'prod', region: 'Europe' }], /must be an AWS region like "eu-west-1", got "Europe"/],
])('%s: every reader refuses it, saying what is wrong', (_, clusters, message) => {
  for (const [reader, problems] of Object.entries(READERS)) {
    expect({ reader, problems: problems(clusters) }).toEqual({ reader, problems: [expect.stringMatching(message)] });
  }
});

test('a valid list, at the limit and across regions, is accepted by every reader', () => {
  const clusters = [{ name: 'prod', region: 'eu-west-1' }, { name: 'us_gov-1', region: 'us-gov-west-1' }, ...many(MAX_CLUSTERS - 2)];
  for (const [reader, problems] of Object.entries(READERS))
    expect({ reader, problems: problems(clusters) }).toEqual({ reader, problems: [] });
});

test('every problem of a list at once, each with its place in the list', () => {
  expect(clusterListProblems([{ name: '-x', region: 'eu-west' }, { name: 'a' }, { name: 'a', region: 'eu-west-1' }])).toEqual([
    { path: [0, 'name'], message: 'must be an EKS cluster name (1-100 of A-Z a-z 0-9 - _, a letter or digit first), got "-x"' },
    { path: [0, 'region'], message: 'must be an AWS region like "eu-west-1", got "eu-west"' },
    { path: [2, 'name'], message: `must be unique, in every region (the name keys the cluster's data): "a" is listed twice` },
  ]);
});
