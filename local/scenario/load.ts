/** Finding and reading scenario files: a shipped scenario by name, or any file by path. */
import * as fs from 'fs';
import * as path from 'path';
import { parseScenario, ScenarioError, type Scenario } from './format';

/** Where the shipped scenarios live. */
export const SCENARIOS_DIR = path.join(__dirname, '..', '..', 'scenarios');
export const DEFAULT_SCENARIO = 'domino';

export function shippedScenarios(): string[] {
  return fs
    .readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** `domino` → the shipped file; anything with a `/` or ending `.json` → that file. */
export function scenarioPath(nameOrFile: string): string {
  if (nameOrFile.includes('/') || nameOrFile.endsWith('.json')) return path.resolve(nameOrFile);
  const file = path.join(SCENARIOS_DIR, `${nameOrFile}.json`);
  if (!fs.existsSync(file)) {
    throw new ScenarioError(nameOrFile, [
      `no shipped scenario named "${nameOrFile}"; shipped: ${shippedScenarios().join(', ')} (or give a file path)`,
    ]);
  }
  return file;
}

export function loadScenario(nameOrFile: string): Scenario {
  const file = scenarioPath(nameOrFile);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(file, [`cannot read the file: ${(e as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, [`not valid JSON: ${(e as Error).message}`]);
  }
  return parseScenario(json, path.relative(process.cwd(), file) || file);
}
