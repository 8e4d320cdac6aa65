/**
 * Inhibition, as data: which present alerts mute which others (Alertmanager's `inhibit_rules`, research §7).
 * Each rule declares what its alerts inhibit (`inhibits`, rules/types.ts `Inhibition`); nothing here names a rule.
 * In this order, the first that applies:
 *
 * - declared inhibitions that last while their source fires: agent silence mutes everything derived from the
 *   agent's data, collector failure what is derived from the AWS services that failed (those alerts are also
 *   held, see `frozen`);
 * - the domino alert mutes the findings it lists;
 * - a critical alert about a node mutes warnings and info about that node and its pods;
 * - declared story inhibitions: within the same workload, container or node, a broader alert absorbs a
 *   narrower one; one instance is one story (its node's readiness and its EC2 status checks).
 */
import type { Severity, Subject } from '../../model/domain';
import { RULES } from './rules/catalog';
import { SEVERITY_RANK } from '../../model/notification';
import type { CloudService } from './context';
import type { AlertMatchers, AnyRule, Inhibition } from './rules/types';

/** An inhibition with its source matchers (Alertmanager's `inhibit_rules` entry): the rule that declares it. */
export interface InhibitRule extends Inhibition {
  readonly source: AlertMatchers;
}

/** The inhibitions the rules declare, in catalogue order (the first that applies is the one used). */
export function inhibitRules(rules: Iterable<AnyRule>): InhibitRule[] {
  return [...rules].flatMap((r) => (r.inhibits ?? []).map((i) => ({ ...i, source: { rule: r.id } })));
}

const INHIBIT_RULES = inhibitRules(RULES);

/** Whether alerts of `target` are part of the story of `source`'s (told with it). */
export function partOfStory(source: string, target: string): boolean {
  return INHIBIT_RULES.some((r) => r.story && r.source.rule === source && r.target.rule === target);
}

/** An alert that can mute: one that fires and was found this evaluation, or is held firing (its rule is blind). */
export interface Source {
  readonly id: string;
  readonly rule: string;
  readonly severity: Severity;
  readonly subject: Subject;
  readonly nodes?: readonly string[];
  readonly mutes?: readonly string[];
}

export interface Candidate {
  readonly id: string;
  readonly rule: string;
  readonly severity: Severity;
  readonly subject: Subject;
  readonly nodes?: readonly string[];
}

/** Whether a source is "about a node": a node or instance subject with exactly that node. */
function nodeOf(s: Source): string | undefined {
  if (s.subject.namespace !== undefined || s.nodes?.length !== 1) return undefined;
  return s.subject.node !== undefined || s.subject.instanceId !== undefined ? s.nodes[0] : undefined;
}

/** A label of an alert's subject; an instance's `node` is the one node its finding names. */
function labelOf(a: Candidate, k: keyof Subject): string | undefined {
  const v = a.subject[k];
  if (v !== undefined || k !== 'node' || a.subject.instanceId === undefined || a.nodes?.length !== 1) return v;
  return a.nodes[0];
}

/** What matchers are checked against besides the alert: the rules (what each reads) and the failed AWS services. */
interface MatchContext {
  readonly rules: ReadonlyMap<string, AnyRule>;
  readonly failed: ReadonlySet<CloudService>;
}

function matches(m: AlertMatchers, a: Candidate, ctx: MatchContext): boolean {
  const reads = ctx.rules.get(a.rule)?.sources;
  return (
    (m.rule === undefined || a.rule === m.rule) &&
    !(m.ruleNot ?? []).some((r) => r === a.rule) &&
    (m.detail === undefined || a.subject.detail === m.detail) &&
    (m.reads !== 'agent' || reads?.agent === true) &&
    (m.reads !== 'failed-cloud' || (reads?.cloud ?? []).some((svc) => ctx.failed.has(svc)))
  );
}

/** Whether `s` is a source of `r` for the target `c`: it matches, is another alert, and has `c`'s `equal` labels. */
function inhibits(r: InhibitRule, s: Source, c: Candidate, ctx: MatchContext): boolean {
  return s.id !== c.id && matches(r.source, s, ctx) && r.equal.every((k) => labelOf(s, k) !== undefined && labelOf(s, k) === labelOf(c, k));
}

/**
 * The firing alert whose story `c` is part of, by a story inhibition, and that inhibition. `fresh` when that
 * alert is not told yet either (a `together` one): `c` is then told by its first message.
 */
function storySource(
  c: Candidate,
  stories: readonly InhibitRule[],
  sources: readonly Source[],
  toldIds: ReadonlySet<string>,
  storytellers: readonly Source[],
  ctx: MatchContext,
): { readonly src: Source; readonly r: InhibitRule; readonly fresh: boolean } | undefined {
  for (const r of stories) {
    if (!matches(r.target, c, ctx)) continue;
    const told = storytellers.find((s) => inhibits(r, s, c, ctx));
    if (told) return { src: told, r, fresh: false };
    const fresh = r.together && !toldIds.has(c.id) ? sources.find((s) => inhibits(r, s, c, ctx) && !toldIds.has(s.id)) : undefined;
    if (fresh) return { src: fresh, r, fresh: true };
  }
  return undefined;
}

/**
 * Why an alert is muted: `by` is the alert that mutes it. `absorbs` when that alert tells its story (the
 * domino lists it, or a broader alert about the same subject): it then stays under it until it ends.
 * Blindness and a critical node alert only mute while they last.
 */
export interface Mute {
  readonly by: string;
  readonly absorbs: boolean;
  /**
   * It is news to the story of `by` (see `Inhibition`'s `tells`): told once, as an update to it (the domino
   * tells what it lists itself). Its end is that story's, so it resolves without a message.
   */
  readonly joins?: boolean;
}

/**
 * Muted candidates, each with its reason. `failed` are the AWS services whose data this evaluation lacks.
 * `storytellers` may absorb by a same-subject rule: the alerts people were told fire, even one whose finding
 * is gone for now (a disk freed by the evictions it caused is still that disk's story).
 */
export function computeMutes(
  sources: readonly Source[],
  candidates: Iterable<Candidate>,
  rules: ReadonlyMap<string, AnyRule>,
  failed: ReadonlySet<CloudService>,
  storytellers: readonly Source[] = sources,
): Map<string, Mute> {
  const ctx: MatchContext = { rules, failed };
  const declared = inhibitRules(rules.values());
  const whileFiring = declared.filter((r) => !r.story);
  const stories = declared.filter((r) => r.story);
  const criticalNodes = new Map<string, string>();
  for (const s of sources) {
    const node = s.severity === 'critical' ? nodeOf(s) : undefined;
    if (node && !criticalNodes.has(node)) criticalNodes.set(node, s.id);
  }
  const mutedBy = new Map<string, string>();
  for (const s of sources) for (const m of s.mutes ?? []) if (!mutedBy.has(m)) mutedBy.set(m, s.id);
  const toldIds = new Set(storytellers.map((s) => s.id));

  const out = new Map<string, Mute>();
  for (const c of candidates) {
    let mute: Mute | undefined;
    const blinding = whileFiring.flatMap((r) => (matches(r.target, c, ctx) ? sources.filter((s) => inhibits(r, s, c, ctx)) : []))[0];
    if (blinding) mute = { by: blinding.id, absorbs: false };
    else if (mutedBy.has(c.id)) mute = { by: mutedBy.get(c.id)!, absorbs: true };
    else if (c.severity !== 'critical' && c.nodes?.length && c.nodes.every((n) => criticalNodes.has(n) && criticalNodes.get(n) !== c.id))
      mute = { by: criticalNodes.get(c.nodes[0])!, absorbs: false };
    else {
      const found = storySource(c, stories, sources, toldIds, storytellers, ctx);
      if (found) {
        const { src, r, fresh } = found;
        const joins = !fresh && (r.tells === 'always' || (r.tells === 'worse' && SEVERITY_RANK[c.severity] > SEVERITY_RANK[src.severity]));
        mute = { by: src.id, absorbs: true, ...(joins ? { joins } : {}) };
      }
    }
    if (mute) out.set(c.id, mute);
  }
  return out;
}
