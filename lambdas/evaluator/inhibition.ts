/**
 * Inhibition, as data: which present alerts mute which others (Alertmanager's `inhibit_rules`, research §7).
 *
 * - A critical alert about a node mutes warnings and info about that node and its pods.
 * - The domino alert mutes the findings it lists.
 * - Agent silence mutes everything derived from the agent's data; collector failure mutes what is derived
 *   from the AWS services that failed (those alerts are also held, see `frozen`). Never the domino: it is
 *   the alert that must get through, and one unrelated failure must not hide it.
 * - Within the same workload container or node, a broader alert mutes a narrower one.
 * - One instance is one story: its node's readiness and its EC2 status checks, whichever is told first.
 */
import type { Severity, Subject } from '../../model/domain';
import { scaleInUnderPressure } from './rules/capacity';
import { SEVERITY_RANK } from '../../model/notification';
import type { CloudService } from './context';
import type { AnyRule } from './rules/types';

/**
 * Same-subject inhibitions: while `source` fires, `target` with equal `equal` labels (and, when given, the
 * `detail` named) is part of its story and absorbed. `tells` when it is news to that story, told once as an
 * update: `always` (pods were lost), `worse` when more severe than the story (the workload is down).
 * `together`: a target that starts firing in the same evaluation as the source, neither told yet, is told by
 * the source's first message (absorbed without a message of its own): the source's story must say it.
 * An instance-keyed alert's `node` is its instance's node (its finding's one node).
 */
export const SAME_SUBJECT: readonly {
  readonly source: string;
  readonly target: string;
  readonly equal: readonly (keyof Subject)[];
  readonly detail?: string;
  readonly tells?: 'always' | 'worse';
  readonly together?: true;
}[] = [
  { source: 'container-restarts', target: 'container-oom-killed', equal: ['namespace', 'workload', 'container'] },
  { source: 'container-crash-looping', target: 'container-oom-killed', equal: ['namespace', 'workload', 'container'] },
  // A workload whose containers crash or cannot start is short of replicas: that is what those alerts say.
  { source: 'container-crash-looping', target: 'workload-replicas-unavailable', equal: ['namespace', 'workload'], tells: 'worse' },
  { source: 'container-waiting', target: 'workload-replicas-unavailable', equal: ['namespace', 'workload'], tells: 'worse' },
  // A node whose disk or memory runs low then gets the kubelet's pressure and evictions: the same story.
  { source: 'node-disk-low', target: 'node-pressure', equal: ['node'], detail: 'DiskPressure', tells: 'worse' },
  { source: 'node-disk-low', target: 'pod-evictions', equal: ['node'], tells: 'always' },
  { source: 'node-memory-low', target: 'node-pressure', equal: ['node'], detail: 'MemoryPressure', tells: 'worse' },
  { source: 'node-memory-low', target: 'pod-evictions', equal: ['node'], tells: 'always' },
  { source: 'node-not-ready', target: 'node-scrape-failing', equal: ['node'] },
  { source: 'node-not-ready', target: 'containers-without-memory-requests', equal: ['node'] },
  // An impaired instance's node stops being Ready: one story, begun by whichever is told first. The node's
  // summary names its instance's EC2 status checks, so only a system check failure (critical) is news to it.
  { source: 'node-not-ready', target: 'host-status-check-failed', equal: ['node'], tells: 'worse', together: true },
  { source: 'host-status-check-failed', target: 'node-not-ready', equal: ['node'], tells: 'always' },
  // A group short of capacity tells why (its last failure, how many): the failures are its story.
  { source: 'asg-capacity-shortfall', target: 'asg-activity-failed', equal: ['autoScalingGroup'] },
];

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

/**
 * The firing alert whose story `c` is part of, by a same-subject rule, and that rule. `fresh` when that alert
 * is not told yet either (a `together` rule): `c` is then told by its first message.
 */
function sameSubjectSource(c: Candidate, sources: readonly Source[], toldIds: ReadonlySet<string>, storytellers: readonly Source[]): { readonly src: Source; readonly r: (typeof SAME_SUBJECT)[number]; readonly fresh: boolean } | undefined {
  for (const r of SAME_SUBJECT) {
    if (r.target !== c.rule || (r.detail !== undefined && c.subject.detail !== r.detail)) continue;
    const matches = (s: Source): boolean => s.rule === r.source && s.id !== c.id && r.equal.every((k) => labelOf(s, k) !== undefined && labelOf(s, k) === labelOf(c, k));
    const told = storytellers.find(matches);
    if (told) return { src: told, r, fresh: false };
    const fresh = r.together && !toldIds.has(c.id) ? sources.find((s) => matches(s) && !toldIds.has(s.id)) : undefined;
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
   * It is news to the story of `by` (see `SAME_SUBJECT`'s `tells`): told once, as an update to it (the domino
   * tells what it lists itself). Its end is that story's, so it resolves without a message.
   */
  readonly joins?: boolean;
}

/**
 * Muted candidates, each with its reason. `failed` are the AWS services whose data this evaluation lacks.
 * `storytellers` may absorb by a same-subject rule: the alerts people were told fire, even one whose finding
 * is gone for now (a disk freed by the evictions it caused is still that disk's story).
 */
export function computeMutes(sources: readonly Source[], candidates: Iterable<Candidate>, rules: ReadonlyMap<string, AnyRule>, failed: ReadonlySet<CloudService>, storytellers: readonly Source[] = sources): Map<string, Mute> {
  const criticalNodes = new Map<string, string>();
  for (const s of sources) {
    const node = s.severity === 'critical' ? nodeOf(s) : undefined;
    if (node && !criticalNodes.has(node)) criticalNodes.set(node, s.id);
  }
  const mutedBy = new Map<string, string>();
  for (const s of sources) for (const m of s.mutes ?? []) if (!mutedBy.has(m)) mutedBy.set(m, s.id);
  const agentSilent = sources.find((s) => s.rule === 'agent-silent');
  const collectorFailing = sources.find((s) => s.rule === 'collector-failing');
  const toldIds = new Set(storytellers.map((s) => s.id));

  const out = new Map<string, Mute>();
  for (const c of candidates) {
    const rule = rules.get(c.rule);
    const blindnessMutes = c.rule !== scaleInUnderPressure.id;
    let mute: Mute | undefined;
    if (agentSilent && blindnessMutes && c.id !== agentSilent.id && rule?.sources.agent) mute = { by: agentSilent.id, absorbs: false };
    else if (collectorFailing && blindnessMutes && c.id !== collectorFailing.id && rule?.sources.cloud?.some((svc) => failed.has(svc))) mute = { by: collectorFailing.id, absorbs: false };
    else if (mutedBy.has(c.id)) mute = { by: mutedBy.get(c.id)!, absorbs: true };
    else if (c.severity !== 'critical' && c.nodes?.length && c.nodes.every((n) => criticalNodes.has(n) && criticalNodes.get(n) !== c.id)) mute = { by: criticalNodes.get(c.nodes[0])!, absorbs: false };
    else {
      const found = sameSubjectSource(c, sources, toldIds, storytellers);
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
