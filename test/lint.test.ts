/**
 * `npm test` lints and format-checks first (`npm run lint`, Biome with biome.jsonc): these run the project's
 * own configuration on a scratch tree, so a rule switched off or a glob gone wrong shows here.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const BIOME = path.join(ROOT, 'node_modules', '.bin', 'biome');

/** Writes `files` under a scratch copy of biome.jsonc and runs `npm run lint`'s check on it. */
function lint(files: Record<string, string>): { status: number | null; rules: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-lint-'));
  fs.copyFileSync(path.join(ROOT, 'biome.jsonc'), path.join(dir, 'biome.jsonc'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  // No git repository here: the real tree's .gitignore is what keeps node_modules, cdk.out and vigil-out out.
  const args = ['ci', '--error-on-warnings', '--vcs-enabled=false', '--colors=off', '--reporter=github', '.'];
  const run = spawnSync(BIOME, args, { cwd: dir, encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  const rules = [...run.stdout.matchAll(/^::\w+ title=([^,]+),file=([^,]+)/gm)].map((m) => `${path.relative(dir, m[2])} ${m[1]}`);
  return { status: run.status, rules: rules.sort() };
}

const FORMATTED = 'export const answer = (x: number): number => x * 2;\n';

test('fails on an unused import or variable, a floating promise and a promise used as a condition', () => {
  const probe = [
    "import { readFile } from 'fs';",
    '',
    'async function save(): Promise<boolean> {',
    '  return true;',
    '}',
    '',
    'export function run(): void {',
    '  const unused = 1;',
    '  save();',
    '  if (save()) return;',
    '}',
    '',
  ].join('\n');
  const { status, rules } = lint({ 'agent/probe.ts': probe });
  expect(rules).toEqual([
    'agent/probe.ts lint/correctness/noUnusedImports',
    'agent/probe.ts lint/correctness/noUnusedVariables',
    'agent/probe.ts lint/nursery/noFloatingPromises',
    'agent/probe.ts lint/nursery/noMisusedPromises',
  ]);
  expect(status).not.toBe(0);
});

test('fails on code the formatter would change, and on a focused test', () => {
  const { status, rules } = lint({
    'lambdas/messy.ts': 'export const answer = (x: number): number => x*2\n',
    'test/focused.test.ts': "fit('runs alone', () => {});\n",
  });
  expect(rules).toEqual(['lambdas/messy.ts format', 'test/focused.test.ts lint/suspicious/noFocusedTests']);
  expect(status).not.toBe(0);
});

test('checks TypeScript and JavaScript only: JSON fixtures and scenarios stay as written', () => {
  const { status, rules } = lint({
    'lambdas/ok.ts': FORMATTED,
    'bin/ok.js': FORMATTED.replace(': number', '').replace(': number', ''),
    'scenarios/messy.json': '{"name":"x",   "steps":[ ]}',
    'test/fixtures/messy.json': '{ "a" :1}',
    // lambdas/notify/slack.ts has a `fit()` of its own: only tests can be focused.
    'lambdas/notify/fit.ts': "const fit = (s: string): string => s;\nexport const x = fit('a');\n",
  });
  expect(rules).toEqual([]);
  expect(status).toBe(0);
});

test('npm test lints before it type-checks and runs jest', () => {
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  expect(scripts.test.split(' && ')).toEqual(['npm run lint', 'tsc --noEmit', 'jest']);
  expect(scripts.lint).toBe('biome ci --error-on-warnings .');
});
