/**
 * `tsc --noEmit` is the project's one type-check, so `tsconfig.json` must reach every TypeScript source:
 * a folder left out is checked only through what imports it, and a file nothing imports not at all.
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

test('tsconfig.json includes every TypeScript file of the project', () => {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const included = new Set(ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).fileNames.map((f) => path.resolve(f)));
  const missing = typeScriptFiles(ROOT).filter((f) => !included.has(f)).map((f) => path.relative(ROOT, f));
  expect(missing).toEqual([]);
});
