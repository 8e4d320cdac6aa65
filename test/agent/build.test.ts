import { spawn } from 'child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { createInterface } from 'readline';
import { AGENT_NODE_FLAGS, bundleAgent, REPO_ROOT } from '../../agent/build';
import { ManualClock } from '../../model/time';
import { startSimKube, type SimKube } from '../../sim/kube/env';
import { simClusterFrom } from '../../sim/kube/from-synthetic';
import { startIngestEndpoint, type SimIngestEndpoint } from '../../sim/aws/ingest-endpoint';
import { syntheticCluster } from '../../sim/synthetic';
import { eventually } from './eventually';

const dockerfile = readFileSync(path.join(REPO_ROOT, 'agent', 'Dockerfile'), 'utf8');
const buildStage = dockerfile.split(/^FROM /m)[1];
/** The sources the build stage copies in (`COPY <src> <dest>`, not `--from`). */
const copied = [...buildStage.matchAll(/^COPY (?!--)(.+) (\S+)$/gm)].flatMap((m) => m[1].split(' '));

let dir: string;
let bundle: string;
beforeAll(async () => {
  // Build from a copy holding only what the Dockerfile copies: the image build would fail the same way.
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-agent-build-'));
  const src = path.join(dir, 'src');
  for (const c of copied) cpSync(path.join(REPO_ROOT, c), path.join(src, c), { recursive: true });
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(src, 'node_modules'), 'dir');
  bundle = path.join(dir, 'out', 'agent.js');
  const b = await bundleAgent(bundle, src);
  inputs = b.inputs;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let inputs: readonly string[] = [];

function run(env: Record<string, string>): { lines: Record<string, unknown>[]; exited: Promise<number | null>; kill: () => void } {
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, bundle], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l));
    } catch {
      lines.push({ text: l });
    }
  });
  return { lines, exited: new Promise((r) => child.on('exit', r)), kill: () => child.kill('SIGTERM') };
}

describe("the agent image's build", () => {
  it('needs only what the Dockerfile copies, and leaves zod and the unused kubeconfig features out', () => {
    expect(copied).toEqual(['package.json', 'package-lock.json', 'tsconfig.json', 'agent', 'model', 'common']);
    const local = inputs.filter((f) => !f.includes('node_modules/'));
    expect(local.every((f) => copied.some((c) => f === c || f.startsWith(`${c}/`)))).toBe(true);
    expect(inputs.some((f) => f.includes('node_modules/zod/'))).toBe(false);
    expect(inputs.some((f) => f.includes('node_modules/openid-client/'))).toBe(false);
    expect(inputs.some((f) => f.includes('node_modules/@aws-sdk/client-dynamodb/'))).toBe(false);
  });

  it('lets in exactly that context (agent/Dockerfile.dockerignore)', () => {
    const ignore = readFileSync(path.join(REPO_ROOT, 'agent', 'Dockerfile.dockerignore'), 'utf8').split('\n');
    for (const c of copied) expect(ignore).toContain(c.includes('.') ? `!${c}` : `!${c}/**`);
  });

  it('pins every base image by tag and digest, so a rebuild at deploy gets the image that was tested', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(bases).toHaveLength(2);
    for (const b of bases) expect(b).toMatch(/^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
  });

  it('starts Node with the flags the benchmark measured, as a non-root user on distroless', () => {
    expect(dockerfile).toContain(`ENTRYPOINT ["/nodejs/bin/node", ${AGENT_NODE_FLAGS.map((f) => `"${f}"`).join(', ')}, "/app/agent.js"]`);
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/nodejs22-debian12:nonroot@sha256:[0-9a-f]{64}$/m);
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
  });
});

describe('the bundled agent process', () => {
  it('exits 1 listing every configuration problem', async () => {
    const p = run({ VIGIL_INGEST_URL: 'ftp://x', VIGIL_INTERVAL_SECONDS: '1' });
    expect(await p.exited).toBe(1);
    expect(p.lines[0]).toMatchObject({
      level: 'error',
      message: 'invalid configuration',
      problems: [
        'VIGIL_CLUSTER is required',
        'VIGIL_INTERVAL_SECONDS must be an integer from 10 to 3600, got "1"',
        'VIGIL_INGEST_URL must be https (plain http only to a loopback address), got "ftp://x"',
        'AWS_REGION is required when VIGIL_INGEST_URL is not a Lambda Function URL naming its region',
      ],
    });
  });

  describe('against the loopback cluster', () => {
    let kube: SimKube;
    let ingest: SimIngestEndpoint;
    beforeAll(async () => {
      const now = Date.now();
      kube = await startSimKube({ cluster: simClusterFrom(syntheticCluster({ nodes: 2, podsPerNode: 6, now }), new ManualClock(now)) });
      ingest = await startIngestEndpoint({
        credentials: { accessKeyId: 'AKIDPROCESS', secretAccessKey: 'process-secret' },
        region: 'eu-west-1',
      });
    });
    afterAll(async () => {
      await kube.close();
      await ingest.close();
    });

    it("pushes a signed batch with the SDK's default credential chain, serves its probes, and stops cleanly on SIGTERM", async () => {
      const kubeconfig = path.join(dir, 'kubeconfig.json');
      writeFileSync(kubeconfig, kube.kubeconfigFile());
      const p = run({
        VIGIL_CLUSTER: 'prod-eu-1',
        VIGIL_INGEST_URL: ingest.url,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDPROCESS',
        AWS_SECRET_ACCESS_KEY: 'process-secret',
        AWS_EC2_METADATA_DISABLED: 'true',
        KUBECONFIG: kubeconfig,
        VIGIL_HEALTH_PORT: '0',
      });
      await eventually(() => expect(ingest.received.length).toBeGreaterThanOrEqual(1), 20_000);
      expect(ingest.received[0].batch).toMatchObject({ cluster: 'prod-eu-1', kind: 'full', seq: 1 });
      expect(ingest.received[0].batch.nodes).toHaveLength(2);
      const port = (p.lines.find((l) => l.message === 'probes listening') as { port: number }).port;
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      p.kill();
      expect(await p.exited).toBe(0);
      expect(p.lines.map((l) => l.message)).toEqual(expect.arrayContaining(['agent starting', 'cycle', 'stopping', 'agent stopped']));
    }, 60_000);
  });
});
