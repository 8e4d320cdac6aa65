/**
 * Every shipped scenario replayed through the whole pipeline — simulated cluster and AWS account, the real
 * agent over loopback HTTPS, SigV4 to the loopback Function URL, the real ingest, collector and evaluator
 * on dynalite — and its expectations checked: `vigil scenario check --all`, as a test.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runScenario } from '../../local/run';
import { loadScenario, shippedScenarios } from '../../local/scenario/load';

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-shipped-'));
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

describe.each(shippedScenarios())('scenario %s', (name) => {
  test('meets every expectation', async () => {
    const r = await runScenario({ scenario: loadScenario(name), outDir, report: false });
    expect(r.unmet.map((u) => u.message)).toEqual([]);
    // Every batch the agent sent was accepted by the signature check.
    expect(r.refusedRequests).toEqual([]);
  }, 600_000);
});
