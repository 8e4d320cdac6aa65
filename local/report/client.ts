/**
 * The report page's script: client/main.ts (typed against the DOM, see client/tsconfig.json), bundled by
 * esbuild into one browser script the first time a report is written in this process. Bundling when the
 * report is written, not in a build step, keeps `npm start` and `npm test` working on a fresh clone.
 * esbuild reads the module from disk, so what runs in the browser is never jest's instrumented copy.
 */
import { buildSync } from 'esbuild';
import * as path from 'path';

export const CLIENT_ENTRY = path.join(__dirname, 'client', 'main.ts');

/** ES2022 as the sources are (tsconfig.json's target): any current browser, and no class-field shims. */
export const CLIENT_BUNDLE_OPTIONS = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  write: false,
  logLevel: 'silent',
} as const;

let bundled: string | undefined;

/** The bundled script, built once per process. */
export function clientScript(): string {
  bundled ??= buildSync({ entryPoints: [CLIENT_ENTRY], ...CLIENT_BUNDLE_OPTIONS }).outputFiles[0].text;
  return bundled;
}
