/**
 * Rule configuration: every rule's defaults (`RULE_DEFAULTS`) and the schema of overrides
 * (`ruleOverridesSchema`), which the CDK app uses to validate its `vigil:rules` context at synth time and the
 * evaluator uses to read `VIGIL_RULES`. Overrides are JSON keyed by rule id:
 *
 * ```json
 * { "node-not-ready": { "for": "10m", "criticalNodes": 3 },
 *   "peer-outlier": { "enabled": false },
 *   "container-restarts": { "restarts": 5, "namespaces": { "exclude": ["batch-*"] } } }
 * ```
 *
 * Each rule accepts `enabled`, `severity`, `for`, `resolveAfter`, `renotifyEvery`, `namespaces`
 * (`include`/`exclude` globs) and its own parameters; anything else is an error naming the key.
 */
import { z } from 'zod';
import type { Severity } from '../../model/domain';
import { formatPath } from '../../common/json-path';
import { HOUR_MS, MINUTE_MS } from '../../model/time';
import { RULES } from './rules/catalog';
import { param, type AnyRule, type CommonSettings, type RuleSettings } from './rules/types';

/** How alerts behave when a rule does not say otherwise. */
export const ALERT_DEFAULTS = {
  /** Hysteresis: a finding must be absent this long before its alert resolves. */
  resolveAfter: '5m',
  /** Re-notification of a firing alert. */
  renotifyCritical: '4h',
  renotifyOther: '24h',
  /** An alert that fires this many times within `flapWindow` is flapping: one notice, then held. */
  flapFirings: 3,
  flapWindowMs: HOUR_MS,
  /** A flapping alert resolves only after being absent this long. */
  flapResolveAfterMs: 30 * MINUTE_MS,
  /** Resolved alerts are kept this long (flap detection), then expire. */
  resolvedRetentionMs: HOUR_MS,
  /** A firing alert whose includes grew (the domino's cascade) is updated at most this often. */
  updateEveryMs: 15 * MINUTE_MS,
  /** A firing alert's stored evidence is refreshed at most this often. */
  refreshMs: 10 * MINUTE_MS,
} as const;

/** A rule's settings as JSON (durations as text), defaults or an override. */
export interface RuleOverride {
  readonly enabled?: boolean;
  readonly severity?: Severity;
  readonly for?: string;
  readonly resolveAfter?: string;
  readonly renotifyEvery?: string;
  readonly namespaces?: { readonly include?: readonly string[]; readonly exclude?: readonly string[] };
  readonly [param: string]: unknown;
}
export type RuleOverrides = Readonly<Record<string, RuleOverride>>;

function defaultsOf(r: AnyRule): RuleOverride {
  const { severity, for: forText, resolveAfter, renotifyEvery, ...params } = r.defaults;
  return {
    enabled: true,
    severity,
    for: forText,
    resolveAfter: resolveAfter ?? ALERT_DEFAULTS.resolveAfter,
    renotifyEvery: renotifyEvery ?? (severity === 'critical' ? ALERT_DEFAULTS.renotifyCritical : ALERT_DEFAULTS.renotifyOther),
    namespaces: { include: [], exclude: [] },
    ...params,
  };
}

/** Every rule's default settings, by rule id. */
export const RULE_DEFAULTS: Readonly<Record<string, RuleOverride>> = Object.fromEntries(RULES.map((r) => [r.id, defaultsOf(r)]));

const COMMON_KEYS = ['enabled', 'severity', 'for', 'resolveAfter', 'renotifyEvery', 'namespaces', 'runbookUrl'];

/** A runbook link: https, and nothing a chat link syntax would break on (whitespace, <, >, |). */
export const RUNBOOK_URL = /^https:\/\/[^\s<>|]{1,1990}$/;
export const runbookUrlSchema = z.string().regex(RUNBOOK_URL, 'expected an https URL (no spaces, <, > or |)');

/** The runbook link of a rule: its own `runbookUrl`, else the base URL (`vigil:runbookBaseUrl`) followed by the rule id. */
export function runbookUrlOf(
  settings: Pick<CommonSettings, 'runbookUrl'> | undefined,
  rule: string,
  baseUrl: string | undefined,
): string | undefined {
  return settings?.runbookUrl ?? (baseUrl === undefined ? undefined : `${baseUrl}${rule}`);
}
const namespaceGlob = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$/, 'expected a namespace name or a glob like "team-*"');

function overrideSchema(r: AnyRule) {
  const valid = [...COMMON_KEYS, ...Object.keys(r.params)];
  return z.strictObject(
    {
      enabled: z.boolean().optional(),
      severity: z.enum(['info', 'warning', 'critical']).optional(),
      for: param.duration().optional(),
      resolveAfter: param.duration().optional(),
      renotifyEvery: param.duration().optional(),
      namespaces: z
        .strictObject({ include: z.array(namespaceGlob).max(100).optional(), exclude: z.array(namespaceGlob).max(100).optional() })
        .optional(),
      runbookUrl: runbookUrlSchema.optional(),
      ...Object.fromEntries(Object.entries(r.params).map(([k, s]) => [k, s.optional()])),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? iss.keys.map((k) => `unknown setting "${k}"${suggest(k, valid)} (valid: ${valid.join(', ')})`).join('; ')
          : undefined,
    },
  );
}

const RULE_IDS = RULES.map((r) => r.id);

/** The schema of `VIGIL_RULES` / the `vigil:rules` context: rule id → override. Durations parse to ms. */
export const ruleOverridesSchema = z.strictObject(Object.fromEntries(RULES.map((r) => [r.id, overrideSchema(r).optional()])), {
  error: (iss) =>
    iss.code === 'unrecognized_keys' ? iss.keys.map((k) => `unknown rule "${k}"${suggest(k, RULE_IDS)}`).join('; ') : undefined,
});

/** Parsed overrides: durations in ms. */
export type ParsedOverrides = Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;

export class RuleConfigError extends Error {
  override readonly name = 'RuleConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid rule overrides:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * Validates rule overrides given as JSON text or as an object (a `cdk.json` context value). Returns them
 * unchanged (JSON form) or throws a `RuleConfigError` that names every bad key and value.
 */
export function parseRuleOverrides(json: unknown): RuleOverrides {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new RuleConfigError([`not valid JSON: ${(e as Error).message}`]);
    }
  }
  const r = ruleOverridesSchema.safeParse(value);
  if (!r.success) throw new RuleConfigError(r.error.issues.map((i) => (i.path.length ? `${formatPath(i.path)}: ${i.message}` : i.message)));
  return value as RuleOverrides;
}

export interface ResolvedRule {
  readonly rule: AnyRule;
  readonly settings: RuleSettings<Readonly<Record<string, unknown>>>;
}

/** Every rule with its settings: defaults, then the (already parsed) overrides on top. */
export function resolveRules(overrides: ParsedOverrides = {}): ResolvedRule[] {
  return RULES.map((rule) => {
    const defaults = overrideSchema(rule).parse(RULE_DEFAULTS[rule.id]) as Record<string, unknown>;
    const o = overrides[rule.id] ?? {};
    const merged: Record<string, unknown> = { ...defaults, ...o };
    const ns = { ...(defaults.namespaces as object), ...((o.namespaces as object | undefined) ?? {}) } as CommonSettings['namespaces'];
    const params = Object.fromEntries(Object.keys(rule.params).map((k) => [k, merged[k]]));
    return {
      rule,
      settings: {
        enabled: merged.enabled as boolean,
        severity: merged.severity as Severity,
        forMs: merged.for as number,
        resolveAfterMs: merged.resolveAfter as number,
        renotifyEveryMs: merged.renotifyEvery as number,
        namespaces: { include: ns.include ?? [], exclude: ns.exclude ?? [] },
        ...(merged.runbookUrl !== undefined ? { runbookUrl: merged.runbookUrl as string } : {}),
        params,
      },
    };
  });
}

/** ` (did you mean "x"?)` when a valid name is a couple of edits away. */
function suggest(name: string, valid: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const v of valid) {
    const d = editDistance(name.toLowerCase(), v.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = v;
    }
  }
  return best && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
