/**
 * `vigil scenario check`, through the command line's entry point: scenarios replayed through the whole
 * pipeline, exit 1 with every unmet expectation listed, exit 0 when all are met, and nothing left behind.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../cli/main';
import type { ScenarioInput } from '../../../local/scenario/format';

async function vigil(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-scenario-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A quiet ten minutes of three nodes and one well-sized workload, with `expect` as given. */
function scenarioFile(name: string, expect: ScenarioInput['expect']): string {
  const s: ScenarioInput = {
    version: 1,
    name,
    description: 'Three nodes, one workload, nothing happening.',
    duration: '10m',
    cluster: {
      name: 'quiet',
      nodeGroups: [
        {
          name: 'general',
          instanceType: 'm6i.large',
          size: { min: 3, max: 3, desired: 3 },
          node: { cpu: '2', memory: '8Gi', pods: 29, disk: '80Gi' },
        },
      ],
      workloads: [
        {
          namespace: 'shop',
          name: 'web',
          replicas: 3,
          containers: [
            {
              name: 'web',
              image: 'shop/web:1.0.0',
              requests: { cpu: '200m', memory: '512Mi' },
              limits: { memory: '1Gi' },
              usage: { cpu: '100m', memory: '400Mi' },
            },
          ],
        },
      ],
    },
    expect,
  };
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(s));
  return file;
}

/** The check's scratch directories in the temporary folder. */
const scratch = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('vigil-check-'));

test('exits 1 listing every unmet expectation of every scenario, and a file that is no scenario', async () => {
  const before = scratch();
  const bad = scenarioFile('expects-too-much', {
    fire: [
      { rule: 'node-not-ready', within: '5m' },
      { rule: 'container-oom-killed', within: '5m', subject: { namespace: 'shop' } },
    ],
    notFire: 'others',
  });
  const broken = path.join(dir, 'broken.json');
  fs.writeFileSync(broken, JSON.stringify({ version: 1, name: 'broken' }));
  const r = await vigil('scenario', 'check', bad, broken);
  expect(r.code).toBe(1);
  expect(r.out).toContain('✗ expects-too-much: 0 messages, 2 unmet');
  expect(r.out).toContain('    - node-not-ready never fired');
  expect(r.out).toContain('    - container-oom-killed for namespace=shop never fired');
  expect(r.err).toMatch(/✗ .*broken\.json: invalid scenario\n {2}- description: /);
  expect(scratch()).toEqual(before);
}, 60_000);

test('exits 0 when every expectation is met', async () => {
  const before = scratch();
  const r = await vigil('scenario', 'check', scenarioFile('quiet', { fire: [], notFire: 'others', budget: { messages: 0 } }));
  expect(r).toMatchObject({ code: 0, err: '' });
  expect(r.out).toMatch(/^✓ quiet: 0\/0 messages, every expectation met \(\d+\.\d s\)$/);
  expect(scratch()).toEqual(before);
}, 60_000);
