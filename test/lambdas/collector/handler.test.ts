/** The Lambda entry point reads its configuration once, when loaded, and fails with every problem listed. */
import { loadWithEnv } from './load-module';

const path = require.resolve('../../../lambdas/collector/handler');

test('loads with a valid environment', () => {
  const mod = loadWithEnv(path, { VIGIL_TABLE_NAME: 'vigil', VIGIL_CLUSTERS: '[{"name":"prod"}]', AWS_REGION: 'eu-west-1' }) as {
    handler: unknown;
  };
  expect(typeof mod.handler).toBe('function');
});

test('refuses to start misconfigured, listing every problem', () => {
  expect(() => loadWithEnv(path, {})).toThrow(
    /invalid configuration:\s+- VIGIL_TABLE_NAME is required\s+- VIGIL_CLUSTERS is required \(JSON\)\s+- AWS_REGION is required/,
  );
});
