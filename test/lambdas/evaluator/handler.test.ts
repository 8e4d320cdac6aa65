const ENV_KEYS = ['VIGIL_TABLE_NAME', 'VIGIL_CLUSTERS', 'VIGIL_TOPIC_ARN', 'VIGIL_RULES', 'VIGIL_HOST_METRICS_PERIOD_MINUTES'];
afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
  jest.resetModules();
});

const load = () => require('../../../lambdas/evaluator/handler') as { handler: unknown };

test('the entry point reads its configuration once at load and exports handler', () => {
  Object.assign(process.env, {
    VIGIL_TABLE_NAME: 'Vigil-StoreTable-1ABC',
    VIGIL_CLUSTERS: '[{"name":"prod-eu-1","region":"eu-west-1"}]',
    VIGIL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:vigil-alerts',
    VIGIL_RULES: '{"node-not-ready":{"for":"10m"}}',
  });
  jest.isolateModules(() => expect(typeof load().handler).toBe('function'));
});

test('every configuration problem is reported at once, naming the variable and the key', () => {
  Object.assign(process.env, {
    VIGIL_CLUSTERS: '[{"name":"prod eu"}]',
    VIGIL_RULES: '{"node-not-ready":{"for":"soon"},"node-presure":{}}',
    VIGIL_HOST_METRICS_PERIOD_MINUTES: '9',
  });
  jest.isolateModules(() => {
    let err: unknown;
    try {
      load();
    } catch (e) {
      err = e;
    }
    // A module registry of its own: the error class is another copy, so compare by name.
    expect(err).toMatchObject({ name: 'ConfigError' });
    expect((err as { problems: string[] }).problems).toEqual([
      'VIGIL_TABLE_NAME is required',
      expect.stringMatching(/^VIGIL_CLUSTERS at \[0\]\.name: must be an EKS cluster name .*, got "prod eu"$/),
      'VIGIL_TOPIC_ARN is required',
      expect.stringMatching(/^VIGIL_RULES at node-not-ready\.for: expected a duration/),
      'VIGIL_RULES: unknown rule "node-presure" (did you mean "node-pressure"?)',
      expect.stringMatching(/^VIGIL_HOST_METRICS_PERIOD_MINUTES: Invalid input/),
    ]);
  });
});
