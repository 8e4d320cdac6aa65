/** Removes the run's scratch root (`global-setup.ts`). */
import * as fs from 'fs';

export default function globalTeardown(): void {
  const root = process.env.VIGIL_TEST_SCRATCH_ROOT;
  if (root) fs.rmSync(root, { recursive: true, force: true });
}
