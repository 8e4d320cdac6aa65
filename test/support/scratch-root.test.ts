import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { SCRATCH_ROOT_PREFIX } from './global-setup';

test("a test run's temporary files go to its own scratch root, in this process and in those it starts", () => {
  const root = process.env.VIGIL_TEST_SCRATCH_ROOT;
  expect(root).toBeDefined();
  expect(path.basename(root!)).toMatch(new RegExp(`^${SCRATCH_ROOT_PREFIX}`));
  expect(os.tmpdir()).toBe(root);
  const child = execFileSync(process.execPath, ['-e', 'process.stdout.write(require("os").tmpdir())'], {
    env: process.env,
    encoding: 'utf8',
  });
  expect(child).toBe(root);
});
