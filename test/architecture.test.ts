/**
 * The layering docs/architecture.md describes, checked on the source tree: no function imports another
 * function's folder (only the shared layers the page names), no source module imports a test, the import
 * graph has no cycle, and the page's module layout names every source folder.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');
const ARCHITECTURE = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');

/** Module → the modules it imports (`import`, `import type`, `export … from`, `require`, `import()`), both as paths from the root. */
type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** The top-level folders of TypeScript source, from tsconfig.json's `include`, tests aside. */
function sourceFolders(): string[] {
  const { include } = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
  return include.map((p) => p.split('/')[0]).filter((d) => d !== 'test');
}

function tsFilesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFilesUnder(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** The file a relative specifier names, as TypeScript resolves it here; undefined for packages. */
function resolve(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier)).replace(/\.js$/, '');
  const isFile = (f: string) => fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile();
  return [`${base}.ts`, `${base}/index.ts`, base, `${base}.js`].find(isFile) ?? `${base} (missing)`;
}

/** The specifiers a module imports for types only (`import type`, `export type … from`, every binding `type`): erased when compiled. */
function typeOnlySpecifiers(file: string, text: string): Set<string> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const typeOnly = new Set<string>();
  const runtime = new Set<string>();
  for (const s of source.statements) {
    if (ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier)) {
      const c = s.importClause;
      const bindings = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const erased =
        c !== undefined &&
        (c.isTypeOnly || (!c.name && bindings !== undefined && bindings.length > 0 && bindings.every((b) => b.isTypeOnly)));
      (erased ? typeOnly : runtime).add(s.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(s) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier)) {
      (s.isTypeOnly ? typeOnly : runtime).add(s.moduleSpecifier.text);
    }
  }
  return new Set([...typeOnly].filter((t) => !runtime.has(t)));
}

/**
 * The import graph of `files` (paths from the root, `.ts` and `.js`). `runtime` leaves out imports of types
 * only: they are erased, so they cannot make modules load each other in a circle.
 */
function importGraph(files: readonly string[], runtime = false): ImportGraph {
  return new Map(
    files.map((f) => {
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
      const erased = runtime ? typeOnlySpecifiers(f, text) : new Set<string>();
      const { importedFiles } = ts.preProcessFile(text, true, true);
      return [f, importedFiles.filter((i) => !erased.has(i.fileName)).flatMap((i) => resolve(f, i.fileName) ?? [])];
    }),
  );
}

/** `lambdas/<name>/…` → `<name>`; undefined outside a function's folder. */
const functionFolder = (file: string, shared: ReadonlySet<string>): string | undefined => {
  const m = /^lambdas\/([^/]+)\//.exec(file);
  return m && !shared.has(`lambdas/${m[1]}/`) ? m[1] : undefined;
};

/** Every import from one function's folder into another's, or into anything but a shared layer under lambdas/. */
function crossFunctionImports(graph: ImportGraph, shared: ReadonlySet<string>): string[] {
  return [...graph].flatMap(([from, targets]) => {
    const own = functionFolder(from, shared);
    if (own === undefined) return [];
    return targets
      .filter(
        (t) =>
          t.startsWith('lambdas/') &&
          !shared.has(t) &&
          ![...shared].some((s) => s.endsWith('/') && t.startsWith(s)) &&
          functionFolder(t, shared) !== own,
      )
      .map((t) => `${from} imports ${t}`);
  });
}

/** Each cycle of the graph once, as `a → b → a`, found by Tarjan's strongly connected components. */
function importCycles(graph: ImportGraph): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(cyclePath(graph, new Set(component)));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** One way round a strongly connected component, from its first module back to it: the imports to untangle. */
function cyclePath(graph: ImportGraph, component: ReadonlySet<string>): string {
  const start = [...component].sort()[0];
  const seen = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (w === start) {
        const way = [start];
        for (let u = v; u !== start; u = seen.get(u)!) way.splice(1, 0, u);
        return [...way, start].join(' → ');
      }
      if (component.has(w) && !seen.has(w)) {
        seen.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component].join(' → ');
}

/** The shared layers docs/architecture.md names on its "Shared layers:" line. */
function sharedLayers(): Set<string> {
  const line = /^Shared layers: (.*)$/m.exec(ARCHITECTURE);
  if (!line) throw new Error('docs/architecture.md has no "Shared layers:" line');
  return new Set([...line[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]));
}

/** The module layout block of docs/architecture.md. */
function moduleLayout(): string {
  const m = /## Module layout\n[\s\S]*?```\n([\s\S]*?)```/.exec(ARCHITECTURE);
  if (!m) throw new Error('docs/architecture.md has no "Module layout" block');
  return m[1];
}

describe('the checks, on small graphs', () => {
  const shared = new Set(['lambdas/store/', 'lambdas/env.ts']);
  test('an import from one function into another is named; into a shared layer it is not', () => {
    const graph = new Map([
      [
        'lambdas/ingest/handler.ts',
        ['lambdas/collector/config.ts', 'lambdas/store/store.ts', 'lambdas/env.ts', 'lambdas/ingest/ingest.ts', 'model/batch.ts'],
      ],
      ['lambdas/ingest/ingest.ts', []],
      ['lib/vigil.ts', ['lambdas/collector/config.ts']],
    ]);
    expect(crossFunctionImports(graph, shared)).toEqual(['lambdas/ingest/handler.ts imports lambdas/collector/config.ts']);
  });
  test('a cycle is named by its path, a diamond is none', () => {
    const graph = new Map([
      ['a.ts', ['b.ts', 'c.ts']],
      ['b.ts', ['d.ts']],
      ['c.ts', ['d.ts']],
      ['d.ts', ['e.ts']],
      ['e.ts', ['c.ts']],
      ['f.ts', ['f.ts']],
    ]);
    expect(importCycles(graph)).toEqual(['c.ts → d.ts → e.ts → c.ts', 'f.ts → f.ts']);
    expect(
      importCycles(
        new Map([
          ['a.ts', ['b.ts', 'c.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', []],
        ]),
      ),
    ).toEqual([]);
  });
  test('imports of types only are told apart from those that load a module', () => {
    const text = [
      "import type { A } from './a';",
      "import { type B, type C } from './b';",
      "import { type D, e } from './d';",
      "import { F } from './f';",
      "import type { G } from './g';",
      "import { g } from './g';",
      "export type { H } from './h';",
      "export { i } from './i';",
    ].join('\n');
    expect([...typeOnlySpecifiers('x.ts', text)].sort()).toEqual(['./a', './b', './h']);
  });
});

describe('the source tree', () => {
  const folders = sourceFolders();
  const files = folders.flatMap(tsFilesUnder);
  const graph = importGraph(files);

  test('the graph is read: every relative import resolves to a module', () => {
    expect(files.length).toBeGreaterThan(200);
    expect([...graph].flatMap(([from, to]) => to.filter((t) => t.endsWith('(missing)')).map((t) => `${from} imports ${t}`))).toEqual([]);
  });

  test("no function imports another function's modules, only the shared layers docs/architecture.md names", () => {
    const shared = sharedLayers();
    for (const layer of shared) expect(fs.existsSync(path.join(ROOT, layer))).toBe(true);
    expect(crossFunctionImports(graph, shared)).toEqual([]);
  });

  test('no source module imports a test module', () => {
    expect([...graph].flatMap(([from, to]) => to.filter((t) => t.startsWith('test/')).map((t) => `${from} imports ${t}`))).toEqual([]);
  });

  // Types may refer back (the rules' types name `RuleId`, which is derived from the catalogue of the rules).
  test('the import graph has no cycle, imports of types aside', () => {
    expect(importCycles(importGraph(files, true))).toEqual([]);
  });

  test("docs/architecture.md's module layout names every source folder and every folder of modules in it", () => {
    const layout = moduleLayout();
    const named = (dir: string) => new RegExp(`(^|[\\s(;,])${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`, 'm').test(layout);
    // What .gitignore names (node_modules, cdk.out, local mode's vigil-out) is not the project's.
    const ignored = new Set(
      fs
        .readFileSync(path.join(ROOT, '.gitignore'), 'utf8')
        .split('\n')
        .map((l) => l.trim().replace(/^\/|\/$/g, '')),
    );
    const moduleDirs = fs
      .readdirSync(ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !ignored.has(e.name))
      .map((e) => e.name);
    const nested = [...new Set(files.map((f) => path.posix.dirname(f)).filter((d) => d.includes('/')))];
    expect([...moduleDirs, ...nested].filter((d) => !named(d)).sort()).toEqual([]);
    // And nothing it names is gone.
    const listed = [...layout.matchAll(/(?:^|[\s(;,])((?:[a-z-]+\/)+)/gm)].map((m) => m[1].replace(/\/$/, ''));
    expect(listed.filter((d) => !fs.existsSync(path.join(ROOT, d)))).toEqual([]);
  });
});
