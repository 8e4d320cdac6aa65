/** Loads a Lambda entry point afresh with exactly `env` (plus the rest of the environment minus Vigil's), as a cold start does. */
export function loadWithEnv(path: string, env: Record<string, string>): unknown {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('VIGIL_') || k === 'AWS_REGION') delete process.env[k];
  Object.assign(process.env, env);
  try {
    let mod: unknown;
    jest.isolateModules(() => {
      mod = require(path);
    });
    return mod;
  } finally {
    process.env = saved;
  }
}
