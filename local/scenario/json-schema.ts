/** The scenario format as JSON Schema (draft 2020-12), generated from the zod schema so the two never drift. */
import { z } from 'zod';
import { scenarioSchema, SCENARIO_VERSION } from './format';

export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }),
    $id: `https://vigil.dev/schemas/scenario-v${SCENARIO_VERSION}.json`,
    title: `Vigil scenario, version ${SCENARIO_VERSION}`,
    description: 'A cluster, a timeline of happenings, and what Vigil must and must not say about it. See docs/scenarios.md.',
  };
}
