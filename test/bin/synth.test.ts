/**
 * `npm run synth` as a user runs it on a fresh clone: the real CDK CLI, the real esbuild bundling of every
 * handler (the one test that bundles), no AWS credentials, and any attempt to reach the network recorded
 * and refused.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/** Loaded into every Node process of the run (the CLI, the app): records and refuses TCP connections and DNS lookups. */
const BLOCK_NETWORK = `
const fs = require('fs'), net = require('net'), dns = require('dns');
const record = (what) => fs.appendFileSync(process.env.VIGIL_NETWORK_LOG, what + '\\n');
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const opts = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] };
  if (opts.path) return connect.apply(this, args); // local IPC (pipes, unix sockets) is not network
  record('connect ' + (opts.host || 'localhost') + ':' + opts.port);
  process.nextTick(() => this.destroy(new Error('network blocked by the synth test')));
  return this;
};
const refuse = (name) => (host, ...rest) => {
  record(name + ' ' + host);
  const cb = rest.find((a) => typeof a === 'function');
  const err = Object.assign(new Error('network blocked by the synth test'), { code: 'ENOTFOUND' });
  if (cb) process.nextTick(() => cb(err));
};
dns.lookup = refuse('lookup');
dns.resolve = refuse('resolve');
dns.promises.lookup = async (host) => { record('lookup ' + host); throw Object.assign(new Error('network blocked'), { code: 'ENOTFOUND' }); };
`;

describe('npm run synth', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('synthesizes offline, with no credentials, and bundles each handler with the local esbuild', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-synth-'));
    dirs.push(work);
    const preload = path.join(work, 'block-network.js');
    const log = path.join(work, 'network.log');
    const out = path.join(work, 'cdk.out');
    fs.writeFileSync(preload, BLOCK_NETWORK);
    fs.writeFileSync(log, '');
    // A `docker` (and CDK_DOCKER) that records being run: synth hashes the agent image's context, never builds it.
    const bin = path.join(work, 'bin');
    const dockerLog = path.join(work, 'docker.log');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\necho "docker $*" >> ${JSON.stringify(dockerLog)}\nexit 1\n`, { mode: 0o755 });
    fs.writeFileSync(dockerLog, '');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_OPTIONS: `--require ${preload}`,
      VIGIL_NETWORK_LOG: log,
      HOME: work,
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
      CDK_DOCKER: path.join(bin, 'docker'),
    };
    for (const k of Object.keys(env)) if (k.startsWith('AWS_') && k !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED') delete env[k];
    delete env.CDK_DEFAULT_ACCOUNT;
    delete env.CDK_DEFAULT_REGION;

    const r = spawnSync('npm', ['run', '--silent', 'synth', '--', '--output', out], { cwd: ROOT, env, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/Error|fail/i);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toBe('');
    expect(fs.readFileSync(dockerLog, 'utf8')).toBe('');

    const template = JSON.parse(fs.readFileSync(path.join(out, 'Vigil.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const entries = functions.map((f) => {
      const asset = path.join(out, f.Metadata?.['aws:asset:path'] ?? '');
      expect(fs.readFileSync(path.join(asset, 'index.js'), 'utf8')).toMatch(/\/\/# sourceMappingURL=index\.js\.map\n?$/);
      const map = JSON.parse(fs.readFileSync(path.join(asset, 'index.js.map'), 'utf8')) as { sources: string[] };
      // The AWS SDK is left to the Lambda runtime.
      expect(map.sources.some((s) => s.includes('node_modules/@aws-sdk/client-'))).toBe(false);
      return map.sources.find((s) => /lambdas\/.*handler\.ts$/.test(s))?.replace(/^.*(lambdas\/)/, '$1');
    });
    expect(entries.sort()).toEqual([
      'lambdas/aws-events/handler.ts',
      'lambdas/collector/handler.ts',
      'lambdas/evaluator/handler.ts',
      'lambdas/ingest/handler.ts',
    ]);

    // The agent image: one Docker image asset from agent/Dockerfile, staged without node_modules.
    const assets = JSON.parse(fs.readFileSync(path.join(out, 'Vigil.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
    };
    const images = Object.values(assets.dockerImages).map((i) => i.source);
    expect(images).toEqual([{ directory: expect.any(String), dockerFile: 'agent/Dockerfile', platform: 'linux/amd64' }]);
    expect(fs.existsSync(path.join(out, images[0].directory, 'node_modules'))).toBe(false);
  }, 240_000);
});
