
const ENV_KEYS = ['VIGIL_SLACK_SECRET_NAME'];
afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
  jest.resetModules();
});

test('the entry point reads its configuration once at load and exports handler', () => {
  process.env.VIGIL_SLACK_SECRET_NAME = 'vigil/slack-webhook';
  jest.isolateModules(() => {
    const mod = require('../../../lambdas/notify/slack-handler') as { handler: unknown };
    expect(typeof mod.handler).toBe('function');
  });
});

test('a missing secret name fails at start-up, naming the variable', () => {
  jest.isolateModules(() => {
    expect(() => require('../../../lambdas/notify/slack-handler')).toThrow(expect.objectContaining({ name: 'ConfigError' }));
  });
  jest.isolateModules(() => {
    expect(() => require('../../../lambdas/notify/slack-handler')).toThrow(/VIGIL_SLACK_SECRET_NAME is required/);
  });
});
