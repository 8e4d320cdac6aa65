/**
 * The Lambda bundles and synth time: each handler bundled (minified, source maps) by the local esbuild as
 * `cdk deploy` bundles it, its size against the 1 MB budget, and how long synth takes in process and
 * through the CDK CLI (`npm run synth`, what a user waits for).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { deflateRawSync } from 'zlib';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../bin/app';
import { cdkJsonContext } from '../bin/cdk-json';
import type { BenchFigure, BenchSection } from './report';

const ROOT = path.join(__dirname, '..');
const MB = 1024 * 1024;

/** Wall time of one in-process synth of the app from cdk.json's context, in ms, and its cloud assembly directory. */
function synth(bundle: boolean): { ms: number; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-'));
  const start = performance.now();
  // Asset metadata (as the CLI asks for it) says which asset directory is which function's.
  const context = { ...cdkJsonContext(), 'aws:cdk:enable-asset-metadata': true, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) };
  const app = new App({ outdir, context });
  buildApp(app);
  app.synth();
  return { ms: performance.now() - start, outdir };
}

interface Bundle {
  readonly entry: string;
  readonly bytes: number;
  readonly mapBytes: number;
  readonly zippedBytes: number;
  /** npm packages in the bundle (from the source map's sources). */
  readonly packages: readonly string[];
}

/** Each function's bundle in a cloud assembly, named by its handler entry (read from the source map). */
function bundles(outdir: string, stackName: string): Bundle[] {
  const template = JSON.parse(fs.readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => {
      const dir = path.join(outdir, r.Metadata?.['aws:asset:path'] ?? '');
      const code = fs.readFileSync(path.join(dir, 'index.js'));
      const map = JSON.parse(fs.readFileSync(path.join(dir, 'index.js.map'), 'utf8')) as { sources: string[] };
      const entry = map.sources.find((s) => /lambdas\/.*handler\.ts$/.test(s))?.replace(/^.*(lambdas\/)/, '$1') ?? '?';
      const packages = [
        ...new Set(
          map.sources
            .filter((s) => s.includes('node_modules/'))
            .map(
              (s) =>
                s
                  .split('node_modules/')
                  .pop()
                  ?.split('/')
                  .slice(0, s.includes('node_modules/@') ? 2 : 1)
                  .join('/') ?? '',
            ),
        ),
      ];
      return {
        entry,
        bytes: code.length,
        mapBytes: fs.statSync(path.join(dir, 'index.js.map')).size,
        zippedBytes: deflateRawSync(code).length,
        packages,
      };
    })
    .sort((a, b) => a.entry.localeCompare(b.entry));
}

export async function bench(): Promise<BenchSection[]> {
  synth(false); // loads aws-cdk-lib and cdk-nag once, so the timings below are of synth itself
  const skipped = synth(false);
  const bundled = synth(true);
  const stackName = 'Vigil';
  const found = bundles(bundled.outdir, stackName);

  const cliOut = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-cli-'));
  const cliStart = performance.now();
  const cli = spawnSync('npm', ['run', '--silent', 'synth', '--', '--output', cliOut], { cwd: ROOT, encoding: 'utf8' });
  const cliMs = performance.now() - cliStart;
  if (cli.status !== 0) throw new Error(`npm run synth failed: ${cli.stderr}`);

  for (const d of [skipped.outdir, bundled.outdir, cliOut]) fs.rmSync(d, { recursive: true, force: true });

  const sizes: BenchFigure[] = found.flatMap((b) => [
    { name: `${b.entry}: index.js (minified)`, value: round(b.bytes / 1024), unit: 'KB', budget: { max: MB / 1024 } },
    { name: `${b.entry}: zipped (what Lambda loads)`, value: round(b.zippedBytes / 1024), unit: 'KB' },
    { name: `${b.entry}: source map`, value: round(b.mapBytes / 1024), unit: 'KB' },
  ]);
  return [
    {
      component: 'Lambda bundles',
      setup: `esbuild ${require('esbuild/package.json').version} via NodejsFunction: minify, source maps without sources content, target node24, CommonJS, @aws-sdk/* left to the runtime; app from cdk.json's sample context`,
      figures: sizes,
      notes: found.map((b) => `${b.entry} bundles ${b.packages.length ? b.packages.join(', ') : 'no npm package'}`),
    },
    {
      component: 'synth',
      setup: `cdk.json's sample context (1 cluster, 4 functions), cdk-nag AwsSolutions on; wall time on ${os.cpus().length} cores, Node ${process.version}`,
      figures: [
        { name: 'in process, bundling skipped (what unit tests do)', value: Math.round(skipped.ms), unit: 'ms' },
        { name: 'in process, bundling the 4 functions', value: Math.round(bundled.ms), unit: 'ms' },
        { name: '`npm run synth` (CDK CLI, new process, bundling)', value: Math.round(cliMs), unit: 'ms' },
      ],
      notes: ['NodejsFunction runs esbuild through `npx --no-install esbuild`, about a second per function of npm start-up.'],
    },
  ];
}

const round = (v: number) => Math.round(v * 10) / 10;
