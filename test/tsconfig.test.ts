/**
 * `tsc --noEmit` is the project's type-check, so `tsconfig.json` must reach every TypeScript source:
 * a folder left out is checked only through what imports it, and a file nothing imports not at all.
 * The report page's browser script has its own (DOM, no Node): local/report/client/tsconfig.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');
/** Not sources: installed packages, synth output, git and tool folders. */
const SKIPPED = new Set(['node_modules', 'cdk.out']);

function typeScriptFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name.startsWith('.') || SKIPPED.has(e.name)) return [];
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return typeScriptFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The browser script's own program: the one folder the root tsconfig.json excludes. */
const PROJECTS = ['.', 'local/report/client'];

function filesOf(project: string): string[] {
  const dir = path.join(ROOT, project);
  const config = ts.readConfigFile(path.join(dir, 'tsconfig.json'), ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config.config, ts.sys, dir).fileNames.map((f) => path.resolve(f));
}

test('tsconfig.json and the browser script tsconfig together include every TypeScript file of the project', () => {
  const included = new Set(PROJECTS.flatMap(filesOf));
  const missing = typeScriptFiles(ROOT)
    .filter((f) => !included.has(f))
    .map((f) => path.relative(ROOT, f));
  expect(missing).toEqual([]);
});
