import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../bin/app';
import { cdkJsonContext } from '../../bin/cdk-json';
import { testApp } from '../support/cdk';

const ROOT = path.join(__dirname, '..', '..');

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Runs bin/app.ts the way the CDK CLI does: context in CDK_CONTEXT_JSON, output directory in CDK_OUTDIR. */
function runApp(context: Record<string, unknown>) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-app-'));
  dirs.push(outdir);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'bin', 'app.ts')], {
    cwd: ROOT,
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    encoding: 'utf8',
  });
  return { ...r, outdir };
}

describe('bin/app.ts', () => {
  test("synthesizes from cdk.json's sample context, cdk-nag checks included", () => {
    const app = testApp();
    const stack = buildApp(app);
    expect(() => app.synth()).not.toThrow();
    expect(stack.stackName).toBe('Vigil');
    // Ingest, collector, AWS events, evaluator: no Slack function until a secret is named.
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 4);
  });

  test('as a program: writes the template, and on bad context exits 1 with the message alone', () => {
    const good = runApp({ ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] });
    expect(good.stderr).not.toMatch(/Error/);
    expect(good.status).toBe(0);
    expect(fs.existsSync(path.join(good.outdir, 'Vigil.template.json'))).toBe(true);

    const bad = runApp({ ...cdkJsonContext(), 'vigil:clusters': [], 'vigil:retentionDays': -1 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(
      'Vigil cannot synthesize: fix these context values (cdk.json "context", or -c key=value):\n' +
        '  - vigil:clusters must list at least one cluster, like [{"name": "prod", "region": "eu-west-1"}]\n' +
        '  - vigil:retentionDays must be at least 1\n',
    );
    expect(fs.existsSync(path.join(bad.outdir, 'Vigil.template.json'))).toBe(false);
  }, 120_000);
});
