import { emfDocuments, type EvaluationFigures } from '../../lambdas/evaluator/emf';
import { METRICS, METRICS_NAMESPACE } from '../../model/metrics';
import { REMOVAL_ACTORS } from '../../model/removal';
import { dashboardBodies, vigilTemplate, type DashboardWidgetJson } from '../support/cdk';

/** One charted series: a metric by namespace, name and dimensions (values when known). */
interface Charted {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string | undefined>>;
}

const SEARCH = /SEARCH\('\{([^}]*)\}((?:\s+\w+="[^"]*")*)\s*',\s*'(\w+)',\s*(\d+)\)/g;

/** Every series a widget charts: plain metrics (`[namespace, name, dim, value, …, options]`) and SEARCH expressions. */
function chartedBy(w: DashboardWidgetJson): Charted[] {
  const out: Charted[] = [];
  for (const m of w.properties.metrics ?? []) {
    if (typeof m[0] === 'string') {
      const [namespace, name, ...rest] = m as [string, string, ...unknown[]];
      const dims: Record<string, string> = {};
      for (let i = 0; i + 1 < rest.length && typeof rest[i] === 'string'; i += 2) dims[rest[i] as string] = rest[i + 1] as string;
      out.push({ namespace, name, dimensions: dims });
      continue;
    }
    const expression = (m[0] as { expression?: string }).expression ?? '';
    const searches = [...expression.matchAll(SEARCH)];
    expect(searches.length).toBeGreaterThan(0); // every expression here is a search (or a sum of one)
    for (const s of searches) {
      const [namespace, ...dimNames] = s[1].split(',');
      const terms = Object.fromEntries([...s[2].matchAll(/(\w+)="([^"]*)"/g)].map((t) => [t[1], t[2]]));
      const { MetricName, ...filters } = terms;
      out.push({ namespace, name: MetricName, dimensions: Object.fromEntries(dimNames.map((d) => [d, filters[d]])) });
    }
  }
  return out;
}

/**
 * What the evaluator really emits: its EMF documents for an evaluation where every figure is known, as
 * `namespace name [dimension,…]`.
 */
function emitted(): Set<string> {
  const of = (dims: string) =>
    Object.fromEntries(
      Object.entries(METRICS)
        .filter(([, m]) => m.dimensions.join(',') === dims)
        .map(([k]) => [k, 1]),
    );
  const figures = {
    cluster: 'prod',
    at: 0,
    values: of('Cluster'),
    groups: [{ nodeGroup: 'general', values: of('Cluster,NodeGroup') }],
    removals: { 'spot-interruption': 1 },
  } as EvaluationFigures;
  return new Set(
    emfDocuments(figures).flatMap((d) =>
      d._aws.CloudWatchMetrics.flatMap((c) =>
        c.Dimensions.flatMap((dims) => c.Metrics.map((m) => `${c.Namespace} ${m.Name} [${[...dims].sort().join(',')}]`)),
      ),
    ),
  );
}

const AWS_NAMESPACES = ['AWS/EC2', 'AWS/AutoScaling', 'AWS/Lambda', 'AWS/DynamoDB'];
const vigilSpecs = Object.values(METRICS);

describe('Dashboards', () => {
  const { template } = vigilTemplate();
  const bodies = dashboardBodies(template);
  const overview = Object.entries(bodies).find(([id]) => id.includes('Overview'))?.[1];
  const hosts = Object.entries(bodies).find(([id]) => id.includes('HostsAndNodes'))?.[1];
  const all = [...(overview?.widgets ?? []), ...(hosts?.widgets ?? [])];
  const charted = all.flatMap(chartedBy);

  test('two dashboards, named after the stack and the region (dashboards are global to the account), whose bodies parse', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 2);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['Test-overview-', { Ref: 'AWS::Region' }]] },
    });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['Test-hosts-and-nodes-', { Ref: 'AWS::Region' }]] },
    });
    // The same stack in two regions of one account: two names, no collision.
    const names = (region: string) =>
      Object.values(
        vigilTemplate(undefined, undefined, { env: { account: '123456789012', region } }).template.findResources(
          'AWS::CloudWatch::Dashboard',
        ),
      ).map((d) => (d as { Properties: { DashboardName: string } }).Properties.DashboardName);
    expect(names('eu-west-1')).toEqual(['Test-overview-eu-west-1', 'Test-hosts-and-nodes-eu-west-1']);
    expect(names('us-east-1')).toEqual(['Test-overview-us-east-1', 'Test-hosts-and-nodes-us-east-1']);
    expect(overview?.widgets.length).toBeGreaterThan(10);
    expect(hosts?.widgets.length).toBeGreaterThan(5);
    for (const w of all) expect(w.width).toBeLessThanOrEqual(24);
  });

  test('every metric charted is one the evaluator emits (model/metrics.ts: name and dimension set) or an AWS namespace', () => {
    expect(charted.length).toBeGreaterThan(40);
    for (const c of charted) {
      if (c.namespace === METRICS_NAMESPACE) {
        const spec = vigilSpecs.find((s) => s.name === c.name);
        expect(spec).toBeDefined();
        expect(Object.keys(c.dimensions).sort()).toEqual([...(spec?.dimensions ?? [])].sort());
        expect(['prod', 'staging']).toContain(c.dimensions.Cluster);
      } else {
        expect(AWS_NAMESPACES).toContain(c.namespace);
      }
    }
  });

  test("every Vigil metric charted is in the evaluator's EMF output, with the same dimensions", () => {
    const emf = emitted();
    expect(emf.size).toBe(Object.keys(METRICS).length);
    for (const c of charted.filter((x) => x.namespace === METRICS_NAMESPACE)) {
      expect(emf).toContain(`${c.namespace} ${c.name} [${Object.keys(c.dimensions).sort().join(',')}]`);
    }
  });

  test('the overview shows each cluster: nodes, Auto Scaling per group, nodes per node group and NodePool, removals by actor, N-1 headroom, requests, pressure, restarts, OOM kills, alerts', () => {
    const names = (cluster: string) =>
      new Set(
        (overview?.widgets ?? [])
          .flatMap(chartedBy)
          .filter((c) => c.dimensions.Cluster === cluster)
          .map((c) => c.name),
      );
    for (const cluster of ['prod', 'staging']) {
      expect([...names(cluster)].sort()).toEqual(
        expect.arrayContaining(
          [
            METRICS.nodesReady,
            METRICS.nodesNotReady,
            METRICS.groupDesired,
            METRICS.groupInService,
            METRICS.groupPending,
            METRICS.groupNodes,
            METRICS.capacityRemovals,
            METRICS.n1HeadroomPct,
            METRICS.groupCpuRequestedPct,
            METRICS.groupMemoryRequestedPct,
            METRICS.nodesUnderPressure,
            METRICS.containerRestarts,
            METRICS.oomKills,
            METRICS.alertsFiring,
          ].map((m) => m.name),
        ),
      );
    }
  });

  test('removals are marked on the timeline stacked by actor, one series per actor of the removal model', () => {
    const graphs = (overview?.widgets ?? []).filter((w) => chartedBy(w).some((c) => c.name === METRICS.capacityRemovals.name));
    expect(graphs).toHaveLength(2);
    for (const g of graphs) {
      expect(g.properties.stacked).toBe(true);
      expect(chartedBy(g).map((c) => Object.keys(c.dimensions).sort())).toEqual([['Actor', 'Cluster']]);
      for (const actor of REMOVAL_ACTORS) expect(g.properties.title).toContain(actor);
    }
    // Each actor the evaluator emits is a value of that dimension, and nothing else is.
    const docs = emfDocuments({
      cluster: 'prod',
      at: 0,
      values: {},
      groups: [],
      removals: Object.fromEntries(REMOVAL_ACTORS.map((a) => [a, 1])),
    });
    expect(docs.map((d) => d.Actor)).toEqual([...REMOVAL_ACTORS]);
  });

  test("the hosts-and-nodes view puts the cluster's EC2 CPU with the kubelet node CPU and memory on one graph", () => {
    for (const cluster of ['prod', 'staging']) {
      const graph = (hosts?.widgets ?? []).find((w) =>
        chartedBy(w).some((x) => x.name === METRICS.groupHostCpuPct.name && x.dimensions.Cluster === cluster),
      );
      expect(graph).toBeDefined();
      expect(chartedBy(graph as DashboardWidgetJson).map((c) => [c.name, c.dimensions.Cluster])).toEqual([
        [METRICS.groupHostCpuPct.name, cluster],
        [METRICS.groupNodeCpuPct.name, cluster],
        [METRICS.groupNodeMemoryPct.name, cluster],
      ]);
    }
  });

  test("a cluster's section shows only its own hosts: nothing region-wide from AWS/EC2, every host series filtered to the cluster", () => {
    // AWS/EC2 has no cluster dimension: a SEARCH there charts every Auto Scaling group and instance of the region.
    expect(charted.filter((c) => c.namespace === 'AWS/EC2')).toEqual([]);
    const hostSeries = charted.filter(
      (c) => c.name === METRICS.groupHostCpuPct.name || c.name === METRICS.groupHostsStatusCheckFailed.name,
    );
    expect(hostSeries.length).toBeGreaterThanOrEqual(2 * 3);
    for (const c of hostSeries) expect(['prod', 'staging']).toContain(c.dimensions.Cluster);
  });

  test("Vigil's own section: its alarms, its functions and its table", () => {
    expect(all.some((w) => w.type === 'alarm' && (w.properties.alarms as unknown[]).length >= 10)).toBe(true);
    const aws = new Set(charted.filter((c) => c.namespace.startsWith('AWS/')).map((c) => `${c.namespace} ${c.name}`));
    expect([...aws]).toEqual(
      expect.arrayContaining(['AWS/Lambda Errors', 'AWS/Lambda Throttles', 'AWS/DynamoDB ConsumedWriteCapacityUnits']),
    );
  });
});
