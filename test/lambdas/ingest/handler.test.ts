/** The Lambda entry point reads its configuration once, when loaded, and fails with every problem listed. */
import { loadWithEnv } from '../collector/load-module';

const path = require.resolve('../../../lambdas/ingest/handler');

test('needs only the table; the cluster list is optional', () => {
  const mod = loadWithEnv(path, { VIGIL_TABLE_NAME: 'vigil' }) as { handler: unknown };
  expect(typeof mod.handler).toBe('function');
});

test('refuses to start misconfigured, listing every problem', () => {
  expect(() => loadWithEnv(path, { VIGIL_RETENTION_DAYS: 'forever' })).toThrow(
    /VIGIL_TABLE_NAME is required\s+- VIGIL_RETENTION_DAYS must be an integer from 1 to 3650, got "forever"/,
  );
  expect(() => loadWithEnv(path, { VIGIL_TABLE_NAME: 'vigil', VIGIL_CLUSTERS: '[{"name":"bad name"}]' })).toThrow(/VIGIL_CLUSTERS at \[0\]\.name/);
});
