
const ENV_KEYS = ['VIGIL_SLACK_SECRET_ARN'];
afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
  jest.resetModules();
});

test('the entry point reads its configuration once at load and exports handler', () => {
  process.env.VIGIL_SLACK_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vigil/slack-webhook-AbCdEf';
  jest.isolateModules(() => {
    const mod = require('../../../lambdas/notify/slack-handler') as { handler: unknown };
    expect(typeof mod.handler).toBe('function');
  });
});

test('a missing secret ARN fails at start-up, naming the variable', () => {
  jest.isolateModules(() => {
    expect(() => require('../../../lambdas/notify/slack-handler')).toThrow(expect.objectContaining({ name: 'ConfigError' }));
  });
  jest.isolateModules(() => {
    expect(() => require('../../../lambdas/notify/slack-handler')).toThrow(/VIGIL_SLACK_SECRET_ARN is required/);
  });
});
