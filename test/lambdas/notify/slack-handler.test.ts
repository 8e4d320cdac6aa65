/** The notifiers' entry points (Slack, the generic webhook, PagerDuty, Teams): configuration read once at load. */
describe.each([
  ['slack-handler', 'VIGIL_SLACK_SECRET_NAME'],
  ['webhook-handler', 'VIGIL_WEBHOOK_SECRET_NAME'],
  ['pagerduty-handler', 'VIGIL_PAGERDUTY_SECRET_NAME'],
  ['teams-handler', 'VIGIL_TEAMS_SECRET_NAME'],
])('%s', (entry, variable) => {
  const load = () => require(`../../../lambdas/notify/${entry}`) as { handler: unknown };
  afterEach(() => {
    delete process.env[variable];
    jest.resetModules();
  });

  test('the entry point reads its configuration once at load and exports handler', () => {
    process.env[variable] = 'vigil/webhook';
    jest.isolateModules(() => {
      expect(typeof load().handler).toBe('function');
    });
  });

  test('a missing secret name fails at start-up, naming the variable', () => {
    jest.isolateModules(() => {
      expect(load).toThrow(expect.objectContaining({ name: 'ConfigError' }));
    });
    jest.isolateModules(() => {
      expect(load).toThrow(new RegExp(`${variable} is required`));
    });
  });
});
