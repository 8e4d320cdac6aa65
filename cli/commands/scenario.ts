import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runScenario } from '../../local/run';
import { scenarioJsonSchema } from '../../local/scenario/json-schema';
import { loadScenario, shippedScenarios } from '../../local/scenario/load';
import { ScenarioError } from '../../local/scenario/format';
import type { Command } from '../command';
import { UsageError } from '../command';

export const scenarioCheckCommand: Command = {
  words: ['scenario', 'check'],
  summary: 'replay scenarios as fast as possible; non-zero exit listing every unmet expectation',
  usage: `Usage: vigil scenario check FILE|NAME… | --all

Replays each scenario through the whole pipeline (simulated cluster and AWS, the real agent, ingest,
collector and evaluator) as fast as the CPU allows, and checks its expectations: the alerts that must
fire within a time of the onset, and those that must not, and its message budget. Prints per scenario
the messages sent / its budget; exits 1 listing every unmet expectation.

  --all   every shipped scenario (vigil scenario list)`,
  run: async (args, io) => {
    const all = args.includes('--all');
    const names = all ? shippedScenarios() : args.filter((a) => a !== '--all');
    if (names.length === 0) throw new UsageError('name at least one scenario file or name, or --all');
    const unknown = names.filter((n) => n.startsWith('-'));
    if (unknown.length) throw new UsageError(`unknown option ${unknown.join(', ')}`);
    let failed = 0;
    // The runs' outboxes go here and nowhere else: a check leaves nothing behind.
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-check-'));
    try {
      for (const name of names) {
        let scenario;
        try {
          scenario = loadScenario(name);
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
          io.err(`✗ ${e.message}`);
          failed++;
          continue;
        }
        const started = Date.now();
        const r = await runScenario({ scenario, outDir, report: false });
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        const sent = `${r.notifications.length}${scenario.expect.budget ? `/${scenario.expect.budget.messages}` : ''} messages`;
        if (r.unmet.length === 0) io.out(`✓ ${scenario.name}: ${sent}, every expectation met (${secs} s)`);
        else {
          failed++;
          io.out(`✗ ${scenario.name}: ${sent}, ${r.unmet.length} unmet (${secs} s)`);
          for (const u of r.unmet) io.out(`    - ${u.message}`);
        }
      }
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
    return failed ? 1 : 0;
  },
};

export const scenarioListCommand: Command = {
  words: ['scenario', 'list'],
  summary: 'list the shipped scenarios',
  usage: 'Usage: vigil scenario list',
  run: async (_args, io) => {
    for (const name of shippedScenarios()) {
      const s = loadScenario(name);
      io.out(`${name.padEnd(28)} ${s.duration.padStart(6)}  ${s.description.split('. ')[0]}.`);
    }
    return 0;
  },
};

export const scenarioSchemaCommand: Command = {
  words: ['scenario', 'schema'],
  summary: 'print the JSON Schema of the scenario format',
  usage: 'Usage: vigil scenario schema',
  run: async (_args, io) => {
    io.out(JSON.stringify(scenarioJsonSchema(), null, 2));
    return 0;
  },
};
