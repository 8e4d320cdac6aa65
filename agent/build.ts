/**
 * Bundles the agent into one file with the locally installed esbuild: what the Dockerfile runs, and what
 * the tests and the benchmark run as a child process, so the measured agent is the shipped one.
 *   npx tsx agent/build.ts [outfile]   (default dist/agent/agent.js)
 */
import * as path from 'path';
import { build, type BuildOptions } from 'esbuild';

/** The repository root this file sits in. */
export const REPO_ROOT = path.join(__dirname, '..');

/**
 * V8 flags the image starts Node with (the Dockerfile's ENTRYPOINT repeats them; a test checks they
 * agree), chosen with `npm run bench`:
 * - `--max-semi-space-size=1`: a 1-MiB young generation, so each cycle's parsed summaries are collected
 *   young instead of inflating the heap;
 * - `--optimize-for-size`: V8 collects the old generation sooner instead of letting it grow. At 1,000
 *   nodes / 30,000 pods a cycle leaves some 80 MB of garbage (each part's JSON and gzip input), and the
 *   peak resident memory fell from 266 to 185 MiB with it (heap growth held to 20 %: 201 MiB).
 * Not `--jitless` any more: it saved about 15 MiB at 1,500 pods, but at 30,000 pods the agent's own
 * JavaScript (projection, the batch's node reports, weighing and checking each part's JSON) dominates a
 * cycle, which took 5.6-5.7 s of CPU interpreted against 3.2-3.5 s with the JIT, for 185 vs 187 MiB peak.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size'] as const;

/** esbuild's options for the agent, for sources under `root` (a copy of the repository, in the tests). */
export function agentBundleOptions(root: string = REPO_ROOT): BuildOptions {
  const shim = (file: string) => path.join(root, 'agent', 'bundle', file);
  return {
    entryPoints: [path.join(root, 'agent', 'main.ts')],
    // Both cut resident memory; see the two files for what they leave out and why that is safe.
    alias: {
      'whatwg-url': shim('whatwg-url.js'),
      'openid-client': shim('unsupported.js'),
      'jsonpath-plus': shim('unsupported.js'),
      'socks-proxy-agent': shim('unsupported.js'),
    },
    bundle: true,
    platform: 'node',
    // Node 20 runs it on development machines; the image runs Node 22.
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  };
}

export interface AgentBundle {
  readonly outfile: string;
  /** Size of the JavaScript written. */
  readonly bytes: number;
  /** The source files with code in the bundle, relative to the root (node_modules ones included). */
  readonly inputs: readonly string[];
}

export async function bundleAgent(outfile: string, root: string = REPO_ROOT): Promise<AgentBundle> {
  const result = await build({ ...agentBundleOptions(root), outfile, metafile: true, absWorkingDir: root });
  const js = Object.entries(result.metafile?.outputs ?? {}).filter(([file]) => file.endsWith('.js'));
  const bytes = js.reduce((a, [, o]) => a + o.bytes, 0);
  const inputs = js.flatMap(([, o]) =>
    Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([f]) => f),
  );
  return { outfile, bytes, inputs };
}

if (require.main === module) {
  const out = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'dist', 'agent', 'agent.js'));
  bundleAgent(out).then(
    (r) => console.log(`agent bundle: ${path.relative(process.cwd(), r.outfile)} (${(r.bytes / 1024).toFixed(0)} KiB)`),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
