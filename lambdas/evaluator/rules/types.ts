/**
 * What a rule is: a pure function from one evaluation's context to findings, plus the data that describes
 * it (title, meaning, what to do, defaults, the schema of its parameters). Everything a person reads about a
 * rule (the README table, the runbook line in a message) comes from here.
 */
import { z } from 'zod';
import type { AlertState, Finding, KubeEvent, Severity, Subject } from '../../../model/domain';
import type { CloudService, EvaluationContext } from '../context';
import { duration } from '../../../model/quantity';
import type { RemovalActor } from '../../../model/removal';
import type { AgentResource } from '../stale';
import type { RuleId } from './catalog';

/**
 * The data a rule reads. `agent`: the agent's data (its rules are blind while the agent is silent);
 * `resources`: which of the agent's resources, so the rule is also blind while one of them is stale (a rule
 * that names none is blind only while the agent is silent); `cloud`: the AWS services it needs.
 */
export interface RuleSources {
  readonly agent?: boolean;
  readonly resources?: readonly AgentResource[];
  readonly cloud?: readonly CloudService[];
}

/** An alert the domino finding mutes and lists in its own message. */
export interface Constituent {
  readonly id: string;
  /** Text, not `RuleId`: it is kept in the alert document, which may outlive its rule. */
  readonly rule: string;
  readonly summary: string;
}

export interface RuleFinding extends Finding {
  readonly rule: RuleId;
  /**
   * The nodes the finding is about. A critical finding about every one of them mutes this finding when it
   * is a warning or info (inhibition); not part of the alert's identity.
   */
  readonly nodes?: readonly string[];
  /**
   * Ask for a notification although the alert is already firing and notified (an event's count jumped). It
   * is sent only when `count` exceeds the count last told, which the alert document keeps: two overlapping
   * evaluations that both see the jump announce it once.
   */
  readonly renotify?: boolean;
  /** A count that only grows while the condition lasts (a Warning event's), for `renotify`. */
  readonly count?: number;
  /** Alerts this finding mutes and lists (the domino alert). */
  readonly constituents?: readonly Constituent[];
}

/** What a rule returns: `rule` is filled in by the runner, `runbook` defaults to the rule's `action`. */
export type Draft = Omit<RuleFinding, 'rule' | 'runbook'> & { readonly runbook?: string };
/** What an alert was raised on (its finding's evidence). */
export type Evidence = RuleFinding['evidence'];

/** What the meta rule (the domino) sees of the other rules' work in the same evaluation. */
export interface Prior {
  readonly findings: readonly RuleFinding[];
  /** Ids of alerts firing before this evaluation. */
  readonly firing: ReadonlySet<string>;
}

/**
 * What a rule needs of the evaluation besides its findings, from its settings: how long the memory keeps a
 * history it reads, the Warning events the memory tracks for it, the staleness limits it defines. The
 * evaluator combines every rule's (lambdas/evaluator/needs.ts) and names no rule.
 */
export interface RuleNeeds {
  /** Keep containers' restarts (the memory's `restarts`) at least this long. */
  readonly restartWindowMs?: number;
  /** Track these Warning events (the memory's `events`); a count grown by `countJump` (and doubled) is news. */
  readonly warningEvents?: { readonly track: (e: KubeEvent) => boolean; readonly countJump: number };
  /** The agent counts as silent after this long without data: its data is not read, its rules are blind. */
  readonly agentSilentAfterMs?: number;
  /** One of the agent's resources counts as stale after this long without a refresh. */
  readonly resourceStaleAfterMs?: number;
  /** The collector counts as silent after this long without a run. */
  readonly cloudSilentAfterMs?: number;
}

/** Settings every rule has, resolved from defaults and overrides (durations in ms). */
export interface CommonSettings {
  readonly enabled: boolean;
  readonly severity: Severity;
  /** How long a finding must hold before its alert fires. */
  readonly forMs: number;
  /** How long a finding must be absent before its alert resolves (for event rules: how long it is held). */
  readonly resolveAfterMs: number;
  /** Re-notify a firing alert this often; 0 = never. */
  readonly renotifyEveryMs: number;
  /** Globs on the finding's namespace; findings without a namespace are not filtered. */
  readonly namespaces: { readonly include: readonly string[]; readonly exclude: readonly string[] };
  /** The rule's runbook page, in every message about it. @default `vigil:runbookBaseUrl` + the rule id, if set */
  readonly runbookUrl?: string;
}

export interface RuleSettings<P> extends CommonSettings {
  readonly params: P;
}

/** A parameter's schema: a bounded number, a duration (text → ms), a list of strings, a flag… */
export type ParamSchema = z.ZodType<unknown, unknown>;

/**
 * Alertmanager's matchers, on what a Vigil alert carries: its rule (\`=\`, and \`!=\` as \`ruleNot\`), the condition
 * its subject names (\`detail\`), the data its rule reads (\`reads\`: the agent's, or an AWS service that failed
 * this evaluation). \`T\` is the rule id type: \`RuleId\` once the catalogue checks it.
 */
export interface AlertMatchers<T extends string = RuleId> {
  readonly rule?: T;
  readonly ruleNot?: readonly T[];
  readonly detail?: string;
  readonly reads?: 'agent' | 'failed-cloud';
}

/**
 * What a rule's firing alert inhibits (an entry of Alertmanager's \`inhibit_rules\` whose source matcher is the
 * rule): alerts matching \`target\` whose \`equal\` labels have the same values as its own. Unlike Alertmanager,
 * a label absent from either alert is never equal (an instance-keyed alert's \`node\` is its finding's one node).
 * Without \`story\` the target is muted while the source lasts (blindness). With \`story\` the target is part of the
 * source's story and absorbed under it until it ends: \`tells\` when it is news to that story, told once as an
 * update (\`always\`: pods were lost; \`worse\`: more severe than the story); \`together\`: a target that starts
 * firing in the same evaluation as the source, neither told yet, is told by the source's first message.
 */
export interface Inhibition<T extends string = RuleId> {
  readonly target: AlertMatchers<T>;
  readonly equal: readonly (keyof Subject)[];
  readonly story?: true;
  readonly tells?: 'always' | 'worse';
  readonly together?: true;
}

export interface RuleDefinition<I extends string, S extends Record<string, ParamSchema>, T extends string> {
  /** Stable kebab-case id: in alert ids, SNS attributes, overrides and the README. */
  readonly id: I;
  /** A short name people read, e.g. "Node not ready". */
  readonly title: string;
  /** What it means, one or two sentences (README table). */
  readonly meaning: string;
  /** What to do, one line (the runbook line of every message). */
  readonly action: string;
  /** The data it reads. When the agent's data is stale, or a listed service failed, it is blind. */
  readonly sources: RuleSources;
  /**
   * Occurrence rules (an OOM kill, a failed scaling activity, a Warning event): a finding is an occurrence,
   * the alert is held for `resolveAfter` after the last one and then ends without a "resolved" message.
   */
  readonly event?: boolean;
  /**
   * Its alerts are about what runs on a node: when the node leaves the cluster they end without a message
   * (gone, not resolved: nothing was fixed).
   */
  readonly goneWithNode?: boolean;
  readonly defaults: {
    readonly severity: Severity;
    readonly for: string;
    readonly resolveAfter?: string;
    readonly renotifyEvery?: string;
  } & { readonly [K in keyof S]: z.input<S[K]> };
  /** The rule's own parameters; defaults and overrides are both parsed by them. */
  readonly params: S;
  /** The default threshold in words, for the README table. */
  readonly threshold: (p: { readonly [K in keyof S]: z.output<S[K]> }) => string;
  /** Runs after every other rule, with their findings (the domino). */
  readonly meta?: boolean;
  /** The removals of capacity it covers, by actor (README and docs/alerts.md say so). */
  readonly covers?: RemovalCoverage;
  /** What its firing alerts inhibit (lambdas/evaluator/inhibition.ts). */
  readonly inhibits?: readonly Inhibition<T>[];
  evaluate(ctx: EvaluationContext, settings: RuleSettings<{ readonly [K in keyof S]: z.output<S[K]> }>, prior: Prior): Draft[];
  /** What it needs of the evaluation besides its findings (a history kept, a staleness limit). */
  needs?(settings: RuleSettings<{ readonly [K in keyof S]: z.output<S[K]> }>): RuleNeeds;
  /**
   * True when this evaluation has no data about `subject` (its node could not be scraped, its host has no
   * metrics yet, a figure the alert's `evidence` rests on is unknown): the alert is kept as it is instead of
   * resolving. Source-level blindness is handled for every rule from `sources`.
   */
  blind?(ctx: EvaluationContext, subject: Subject, evidence?: Evidence): boolean;
  /**
   * What its resolution says, from this evaluation (what came back), instead of the alert's last values;
   * `undefined` keeps them.
   */
  resolution?(
    ctx: EvaluationContext,
    alert: AlertState,
    settings: RuleSettings<{ readonly [K in keyof S]: z.output<S[K]> }>,
  ): Resolution | undefined;
}

/** Which removal actors a capacity rule covers, and any limit on it in words. */
export interface RemovalCoverage {
  readonly actors: readonly RemovalActor[];
  readonly note?: string;
}

/** The words of an alert's resolution. */
export type Resolution = Pick<Finding, 'summary' | 'evidence'>;

/**
 * A rule with its parameter types erased, for lists of rules. \`I\` keeps its id's literal type for \`RuleId\`;
 * \`T\`, the ids its inhibitions name, is checked against \`RuleId\` by the catalogue (a rule's own type cannot
 * depend on \`RuleId\`, which is derived from it).
 */
export interface AnyRule<I extends string = RuleId, T extends string = RuleId> {
  readonly id: I;
  readonly title: string;
  readonly meaning: string;
  readonly action: string;
  readonly sources: RuleSources;
  readonly event?: boolean;
  readonly goneWithNode?: boolean;
  readonly defaults: Readonly<Record<string, unknown>> & {
    readonly severity: Severity;
    readonly for: string;
    readonly resolveAfter?: string;
    readonly renotifyEvery?: string;
  };
  readonly params: Readonly<Record<string, ParamSchema>>;
  readonly threshold: (p: Readonly<Record<string, unknown>>) => string;
  readonly meta?: boolean;
  readonly covers?: RemovalCoverage;
  readonly inhibits?: readonly Inhibition<T>[];
  evaluate(ctx: EvaluationContext, settings: RuleSettings<Readonly<Record<string, unknown>>>, prior: Prior): Draft[];
  needs?(settings: RuleSettings<Readonly<Record<string, unknown>>>): RuleNeeds;
  blind?(ctx: EvaluationContext, subject: Subject, evidence?: Evidence): boolean;
  resolution?(ctx: EvaluationContext, alert: AlertState, settings: RuleSettings<Readonly<Record<string, unknown>>>): Resolution | undefined;
}

export function defineRule<const I extends string, S extends Record<string, ParamSchema>, const T extends string = never>(
  rule: RuleDefinition<I, S, T>,
): AnyRule<I, T> {
  return rule as unknown as AnyRule<I, T>;
}

// Parameter schemas, each bounded so a typo cannot make a rule meaningless.
export const param = {
  pct: (max = 100) => z.number().min(0).max(max),
  count: (min = 0, max = 1_000_000) => z.number().int().min(min).max(max),
  number: (min: number, max: number) => z.number().min(min).max(max),
  bool: () => z.boolean(),
  strings: () => z.array(z.string().min(1).max(253)).max(100),
  duration: () =>
    z.string().transform((text, ctx) => {
      const ms = duration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like "90s", "15m", "1h30m" or "0", got "${text}"` });
        return z.NEVER;
      }
      return ms;
    }),
};
