/** The Lambda entry point reads its configuration once, when loaded, and fails with every problem listed. */
import { loadWithEnv } from '../collector/load-module';

const path = require.resolve('../../../lambdas/ingest/handler');

const roles = JSON.stringify([{ roleArn: 'arn:aws:iam::123456789012:role/vigil-agent', cluster: 'prod' }]);

test('needs the table and the agent roles', () => {
  const mod = loadWithEnv(path, { VIGIL_TABLE_NAME: 'vigil', VIGIL_AGENT_ROLES: roles }) as { handler: unknown };
  expect(typeof mod.handler).toBe('function');
});

test('refuses to start misconfigured, listing every problem', () => {
  expect(() => loadWithEnv(path, { VIGIL_RETENTION_DAYS: 'forever' })).toThrow(
    /VIGIL_TABLE_NAME is required\s+- VIGIL_RETENTION_DAYS must be an integer from 1 to 3650, got "forever"\s+- VIGIL_AGENT_ROLES is required/,
  );
  expect(() =>
    loadWithEnv(path, {
      VIGIL_TABLE_NAME: 'vigil',
      VIGIL_AGENT_ROLES: '[{"roleArn":"arn:aws:sts::123456789012:assumed-role/a/b","cluster":"bad name"}]',
    }),
  ).toThrow(/VIGIL_AGENT_ROLES at \[0\]\.roleArn: expected an IAM role ARN[\s\S]*VIGIL_AGENT_ROLES at \[0\]\.cluster/);
});
