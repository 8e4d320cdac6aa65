import { Duration, Stack } from 'aws-cdk-lib';
import { METRICS } from '../../model/metrics';
import { clusterMetric, METRIC_STATISTICS, nodeGroupSearch, searchExpression } from '../../lib/vigil-metrics';
import { testApp } from '../support/cdk';

describe('searchExpression', () => {
  test('quotes the metric name and dimension values for exact matches', () => {
    expect(
      searchExpression({
        namespace: 'Vigil',
        dimensions: ['Cluster', 'NodeGroup'],
        metricName: 'CpuRequested',
        filters: { Cluster: 'prod' },
        statistic: 'Average',
        period: Duration.minutes(1),
      }),
    ).toBe(`SEARCH('{Vigil,Cluster,NodeGroup} MetricName="CpuRequested" Cluster="prod"', 'Average', 60)`);
  });
});

describe('the metric factory', () => {
  test('every Vigil metric has a statistic', () => {
    expect(Object.keys(METRIC_STATISTICS).sort()).toEqual(Object.keys(METRICS).sort());
  });

  test('cluster metrics carry the contract name, unit and Cluster dimension', () => {
    const m = clusterMetric('n1HeadroomPct', 'prod');
    expect([m.namespace, m.metricName, m.dimensions, m.unit, m.statistic, m.period.toSeconds()]).toEqual([
      'Vigil',
      'N1MemoryHeadroom',
      { Cluster: 'prod' },
      'Percent',
      'Minimum',
      60,
    ]);
  });

  test('a metric is only ever built with the dimension set it is published with', () => {
    expect(() => clusterMetric('groupDesired', 'prod')).toThrow(/DesiredCapacity is published with dimensions \[Cluster, NodeGroup\]/);
    expect(() => nodeGroupSearch('nodesReady', 'prod', 'x')).toThrow(/NodesReady is published with dimensions \[Cluster\]/);
  });

  test('node group searches label each line with its node group, at the period asked', () => {
    const stack = new Stack(testApp(), 'S');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudWatch's label syntax, not a template
    expect(stack.resolve(nodeGroupSearch('groupDesired', 'prod', 'Desired').label)).toBe("Desired ${PROP('Dim.NodeGroup')}");
    const host = nodeGroupSearch('groupHostCpuPct', 'prod', 'CPU', Duration.minutes(5));
    expect(host.expression).toBe(`SEARCH('{Vigil,Cluster,NodeGroup} MetricName="HostCpuUsed" Cluster="prod"', 'Average', 300)`);
  });
});
