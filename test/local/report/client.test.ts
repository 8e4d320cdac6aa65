/**
 * The report page's script is a typed module (local/report/client/main.ts, checked against the DOM) that
 * esbuild bundles into the page; browser.test.ts checks what it does in chromium.
 */
import { createHash } from 'crypto';
import { buildSync } from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { CLIENT_BUNDLE_OPTIONS, CLIENT_ENTRY, clientScript } from '../../../local/report/client';
import { renderReport } from '../../../local/report/html';
import { dominoRecord } from './fixture';

const CLIENT_DIR = path.dirname(CLIENT_ENTRY);

test('the script type-checks as browser code: the DOM library, no Node types', () => {
  const config = ts.readConfigFile(path.join(CLIENT_DIR, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, CLIENT_DIR);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(errors).toEqual([]);
  expect(parsed.fileNames.map((f) => path.relative(CLIENT_DIR, f))).toContain('main.ts');
  expect(parsed.options.lib).toEqual(expect.arrayContaining(['lib.dom.d.ts']));
  expect(parsed.options.types).toEqual([]);
});

test("the page runs esbuild's bundle of the typed module, allowed by its hash", () => {
  const html = renderReport(dominoRecord());
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  expect(scripts).toEqual([clientScript()]);
  // Built from main.ts now, not a copy kept somewhere: the same bytes as a fresh bundle of the module.
  expect(scripts[0]).toBe(buildSync({ entryPoints: [CLIENT_ENTRY], ...CLIENT_BUNDLE_OPTIONS }).outputFiles[0].text);
  const sha = createHash('sha256').update(scripts[0]).digest('base64');
  expect(html).toContain(`script-src 'sha256-${sha}'`);
  // One browser script: ES modules bundled flat (no loader shims), nothing to load.
  expect(scripts[0]).not.toMatch(/\brequire\(|\bimport\b|__commonJS|__esm/);
  // The tooltip formats values with the same function as the server-drawn axes and legends (svg.ts).
  expect(fs.readFileSync(CLIENT_ENTRY, 'utf8')).toMatch(/import \{[^}]*\bformatValue\b[^}]*\} from '\.\.\/svg'/);
  expect(scripts[0]).toContain('function formatValue(');
});

test('the bundle is built once per process', () => {
  expect(clientScript()).toBe(clientScript());
});
