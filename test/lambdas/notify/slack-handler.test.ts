/** The notifiers' entry points (Slack, the generic webhook, PagerDuty, Teams): configuration read once at load. */
const load = (entry: string) => () => require(`../../../lambdas/notify/${entry}`) as { handler: unknown };

describe.each([
  ['slack-handler', 'VIGIL_SLACK_SECRET_NAME', {}],
  ['webhook-handler', 'VIGIL_WEBHOOK_SECRET_NAME', {}],
  ['pagerduty-handler', 'VIGIL_PAGERDUTY_SECRET_NAME', { VIGIL_RECEIVES: '["critical","resolved","health"]' }],
  ['teams-handler', 'VIGIL_TEAMS_SECRET_NAME', {}],
])('%s', (entry, variable, more: Record<string, string>) => {
  afterEach(() => {
    for (const v of [variable, ...Object.keys(more)]) delete process.env[v];
    jest.resetModules();
  });

  test('the entry point reads its configuration once at load and exports handler', () => {
    process.env[variable] = 'vigil/webhook';
    Object.assign(process.env, more);
    jest.isolateModules(() => {
      expect(typeof load(entry)().handler).toBe('function');
    });
  });

  test('a missing secret name fails at start-up, naming the variable', () => {
    jest.isolateModules(() => {
      expect(load(entry)).toThrow(expect.objectContaining({ name: 'ConfigError' }));
    });
    jest.isolateModules(() => {
      expect(load(entry)).toThrow(new RegExp(`${variable} is required`));
    });
  });
});

const SECRET_VARIABLES = ['VIGIL_SLACK_SECRET_NAME', 'VIGIL_WEBHOOK_SECRET_NAME', 'VIGIL_PAGERDUTY_SECRET_NAME', 'VIGIL_TEAMS_SECRET_NAME'];

describe.each(['slack-handler', 'webhook-handler', 'pagerduty-handler', 'teams-handler'])('%s: what it receives', (entry) => {
  afterEach(() => {
    for (const v of [...SECRET_VARIABLES, 'VIGIL_RECEIVES']) delete process.env[v];
    jest.resetModules();
  });

  test('is checked at start-up, naming the variable and the bad entry', () => {
    for (const v of SECRET_VARIABLES) process.env[v] = 'vigil/secret';
    process.env.VIGIL_RECEIVES = '["critical","page"]';
    jest.isolateModules(() => {
      expect(load(entry)).toThrow(/VIGIL_RECEIVES at \[1\]: must be one of "critical", "warning", "info", "resolved", "health"/);
    });
    process.env.VIGIL_RECEIVES = '[]';
    jest.isolateModules(() => {
      expect(load(entry)).toThrow(/VIGIL_RECEIVES: must not be empty/);
    });
  });
});
