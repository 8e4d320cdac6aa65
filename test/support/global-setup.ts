/**
 * Once per jest run, before any test file: the run's own scratch root, and whether the browser tests run.
 * - `TMPDIR` points at a fresh directory for this run, so tests (and the processes they start) never see
 *   another run's or another program's temporary files; `global-teardown.ts` removes it.
 * - Without chromium the browser tests are skipped, and this says so in one line (under CI it is an error).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { browserTests } from '../local/report/chromium';

export const SCRATCH_ROOT_PREFIX = 'vigil-test-run-';

export default function globalSetup(): void {
  const browser = browserTests();
  if ('skipped' in browser) process.stderr.write(`\n${browser.skipped}\n`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), SCRATCH_ROOT_PREFIX));
  // Set on the real environment before the workers start: os.tmpdir() and child processes read it there.
  process.env.TMPDIR = root;
  process.env.VIGIL_TEST_SCRATCH_ROOT = root;
}
