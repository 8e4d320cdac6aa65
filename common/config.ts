/**
 * Reading configuration from the environment once, at start-up: every problem is collected and thrown
 * together, naming the variable and what was expected, so a misconfigured function fails on its first
 * invocation with one readable message.
 */
import type { z } from 'zod';
import { formatPath } from './json-path';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export class EnvReader {
  private readonly problems: string[] = [];
  constructor(private readonly env: Readonly<Record<string, string | undefined>> = process.env) {}

  /** A required string. */
  string(name: string): string;
  /** An optional string with a default. */
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string {
    const v = this.env[name];
    if (v === undefined || v === '') {
      if (fallback !== undefined) return fallback;
      this.problems.push(`${name} is required`);
      return '';
    }
    return v;
  }

  /** An integer in [min, max]. */
  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return v;
  }

  /** JSON validated by a zod schema; problems name the path inside the JSON. */
  json<T>(name: string, schema: z.ZodType<T>, fallback?: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') {
      if (fallback !== undefined) return fallback;
      this.problems.push(`${name} is required (JSON)`);
      return undefined as T;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      this.problems.push(`${name} is not valid JSON: ${(e as Error).message}`);
      return undefined as T;
    }
    const r = schema.safeParse(parsed);
    if (!r.success) {
      for (const i of r.error.issues) this.problems.push(`${name}${i.path.length ? ` at ${formatPath(i.path)}` : ''}: ${i.message}`);
      return undefined as T;
    }
    return r.data;
  }

  /** Throws every problem found so far, at once. */
  done(): void {
    if (this.problems.length) throw new ConfigError(this.problems);
  }
}
