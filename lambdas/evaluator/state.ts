/**
 * The alert state machine, pure: given an alert's stored state and this evaluation's finding (or its
 * absence), the next state and the notification it calls for.
 *
 *   (none) ──finding──▶ pending ──held `for`──▶ firing ──absent `resolveAfter`──▶ resolved ──▶ (expires)
 *                          │ absent                │  ▲ present again: stays firing (hysteresis)
 *                          ▼                       │  └ re-notified every `renotifyEvery`, on escalation
 *                       (deleted)            resolved ──finding──▶ pending … (3 firings in 1 h: flapping)
 *
 * Identity is `alertId(rule, subject)`; values (summary, evidence, severity) are updated in place.
 * A flapping alert is announced once and then resolves only after 30 quiet minutes. Occurrence rules
 * (`event`) resolve without a message. Notifications are decided after inhibition: a muted alert moves
 * through its states but is not announced; if it was announced, its resolution still is.
 */
import type { AlertState, Severity } from '../../model/domain';
import type { EpochMs } from '../../model/time';
import { type ChangeKind, SEVERITY_RANK } from '../../model/notification';
import { ALERT_DEFAULTS } from './config';
import { partOfStory } from './inhibition';
import type { Constituent, RuleFinding } from './rules/types';

export const ALERT_KIND = 'alert';

export interface Notified {
  readonly phase: 'firing' | 'resolved';
  readonly severity: Severity;
  readonly at: EpochMs;
  readonly flapping?: boolean;
  /** The finding's `count` when told. */
  readonly count?: number;
  /** The rules of the constituents told (what a domino included). */
  readonly includes?: readonly string[];
  /** Told as an update to the story that absorbed it: that story's resolution is its own. */
  readonly joined?: boolean;
}

/** What is stored per alert: the model's `AlertState` plus what the state machine needs. */
export interface AlertDoc extends AlertState {
  readonly title: string;
  readonly event?: boolean;
  readonly nodes?: readonly string[];
  readonly constituents?: readonly Constituent[];
  /** The finding's `count` (a Warning event's): a re-notification needs it above the count last told. */
  readonly count?: number;
  /** First evaluation in which the finding was missing (hysteresis). */
  readonly absentSince?: EpochMs;
  /** Recent transitions to firing (flap detection). */
  readonly firings?: readonly EpochMs[];
  readonly flapping?: boolean;
  /** What people were last told. */
  readonly notified?: Notified;
  /** The alert whose story this one went under (inhibition's `absorbs`): silent until it ends. */
  readonly absorbedBy?: string;
  /** A message about it could not be delivered: the next evaluation tells its state, even one clearing or resolved. */
  readonly owed?: boolean;
  /** The silence or maintenance window (`window:<name>`) keeping it quiet; when that ends, a firing alert is told once. */
  readonly silencedBy?: string;
  /** Its route labels (e.g. `team`) from its workload or namespace: kept once told, so its story stays on one route. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly updatedAt: EpochMs;
}

export interface AlertTiming {
  readonly title: string;
  readonly forMs: number;
  readonly resolveAfterMs: number;
  readonly renotifyEveryMs: number;
  readonly event: boolean;
}

/** The next state of one alert; `undefined` when there is none (delete it if it was stored). */
export function advance(
  prev: AlertDoc | undefined,
  f: RuleFinding | undefined,
  t: AlertTiming,
  id: string,
  now: EpochMs,
): AlertDoc | undefined {
  if (f) {
    const values = {
      id,
      rule: f.rule,
      subject: f.subject,
      title: t.title,
      severity: f.severity,
      summary: f.summary,
      evidence: f.evidence,
      runbook: f.runbook,
      nodes: f.nodes,
      constituents: f.constituents,
      mutes: f.constituents?.map((c) => c.id),
      count: f.count,
      event: t.event || undefined,
      lastSeen: now,
    };
    if (!prev || prev.phase === 'resolved') {
      // The data may say the condition started earlier (a condition's transition time), never before it last resolved.
      const since = Math.min(now, Math.max(f.since ?? now, prev?.resolvedAt ?? 0));
      return toPendingOrFiring(
        {
          ...values,
          phase: 'pending',
          pendingSince: since,
          firings: prev?.firings,
          notified: prev?.notified,
          version: prev?.version ?? 0,
          updatedAt: prev?.updatedAt ?? now,
        },
        t,
        now,
      );
    }
    if (prev.phase === 'pending') return toPendingOrFiring({ ...prev, ...values }, t, now);
    return { ...prev, ...values, absentSince: undefined };
  }
  if (!prev) return undefined;
  if (prev.phase === 'pending') return prev.firings?.length ? { ...prev, phase: 'resolved', resolvedAt: now } : undefined;
  if (prev.phase === 'firing') {
    const absentSince = prev.absentSince ?? now;
    const delay = prev.flapping ? Math.max(t.resolveAfterMs, ALERT_DEFAULTS.flapResolveAfterMs) : t.resolveAfterMs;
    if (now - absentSince >= delay) return { ...prev, phase: 'resolved', resolvedAt: now, absentSince: undefined, flapping: false };
    return prev.absentSince === undefined ? { ...prev, absentSince } : prev;
  }
  return prev;
}

function toPendingOrFiring(doc: AlertDoc, t: AlertTiming, now: EpochMs): AlertDoc {
  if (now - (doc.pendingSince ?? now) < t.forMs) return doc;
  const firings = [...(doc.firings ?? []).filter((x) => x >= now - ALERT_DEFAULTS.flapWindowMs), now];
  return {
    ...doc,
    phase: 'firing',
    firingSince: now,
    resolvedAt: undefined,
    absentSince: undefined,
    firings,
    flapping: firings.length >= ALERT_DEFAULTS.flapFirings,
  };
}

export interface Decision {
  readonly kind: ChangeKind;
  /** Recorded as told, but no message (occurrence rules end quietly). */
  readonly silent: boolean;
}

/** The notification `next` calls for, given whether it is muted and whether its rule asked for one. */
export function decide(
  next: AlertDoc | undefined,
  t: AlertTiming,
  opts: { readonly muted: boolean; readonly joins?: boolean; readonly renotify: boolean; readonly now: EpochMs },
): Decision | undefined {
  if (!next) return undefined;
  const told = next.notified;
  if (next.phase === 'firing') {
    // Muted alerts are not announced. Nor is one whose finding is gone this minute: its values are the last
    // ones found (perhaps while muted or held), and a message says what is true when it is sent.
    if (next.absentSince !== undefined && !next.owed) return undefined;
    // One that joins another's story (absorbed by a same-subject rule) is told once, as an update to it.
    if (opts.muted) return opts.joins && told?.phase !== 'firing' ? { kind: 'updated', silent: false } : undefined;
    if (!told || told.phase !== 'firing') return { kind: next.flapping ? 'flapping' : 'firing', silent: false };
    if (next.flapping && !told.flapping) return { kind: 'flapping', silent: false };
    if (SEVERITY_RANK[next.severity] > SEVERITY_RANK[told.severity]) return { kind: 'escalated', silent: false };
    // What it includes grew by a kind of trouble not told yet: one update per `updateEvery` carries all that is new.
    if (includedRules(next).some((r) => !toldOf(told, r)) && opts.now - told.at >= ALERT_DEFAULTS.updateEveryMs)
      return { kind: 'updated', silent: false };
    // A count that grew enough to be news (the rule decides when) is something new learned, not a reminder.
    if (opts.renotify && (next.count ?? 0) > (told.count ?? 0)) return { kind: 'updated', silent: false };
    if (t.renotifyEveryMs > 0 && opts.now - told.at >= t.renotifyEveryMs) return { kind: 'repeat', silent: false };
    return undefined;
  }
  // An alert absorbed into another's story ends with it: one resolution, the story's.
  if (next.phase === 'resolved' && (told?.phase === 'firing' || next.owed))
    return { kind: 'resolved', silent: t.event || told?.joined === true };
  return undefined;
}

/** The state after telling people. */
export function told(doc: AlertDoc, d: Decision, now: EpochMs): AlertDoc {
  // What was told stays told while it fires: a constituent that comes back is not news.
  const includes = [
    ...new Set([
      ...(d.kind === 'resolved' || doc.notified?.phase !== 'firing' ? [] : (doc.notified.includes ?? [])),
      ...includedRules(doc),
    ]),
  ].sort();
  return {
    ...doc,
    notified: {
      phase: d.kind === 'resolved' ? 'resolved' : 'firing',
      severity: doc.severity,
      at: now,
      ...(doc.flapping ? { flapping: true } : {}),
      ...(doc.count !== undefined ? { count: doc.count } : {}),
      ...(includes.length ? { includes } : {}),
      ...(d.kind === 'updated' && doc.absorbedBy !== undefined ? { joined: true } : {}),
    },
    lastNotifiedAt: now,
    owed: undefined,
  };
}

/**
 * Whether people were told of this kind of trouble: the rule itself, or one whose story it is part of (an
 * OOM kill is told by the container's restarts or crash loop, see the rules' `inhibits`).
 */
function toldOf(told: Notified, rule: string): boolean {
  return told.includes?.some((r) => r === rule || partOfStory(r, rule)) === true;
}

/** The distinct rules of an alert's constituents, sorted. */
function includedRules(doc: AlertDoc): string[] {
  return [...new Set((doc.constituents ?? []).map((c) => c.rule))].sort();
}

/** Whether `next` differs from what is stored in a way worth a write. */
export function needsWrite(prev: AlertDoc | undefined, next: AlertDoc, now: EpochMs): boolean {
  if (!prev) return true;
  if (
    prev.phase !== next.phase ||
    prev.severity !== next.severity ||
    prev.absentSince !== next.absentSince ||
    prev.flapping !== next.flapping ||
    prev.owed !== next.owed ||
    prev.absorbedBy !== next.absorbedBy ||
    prev.silencedBy !== next.silencedBy ||
    JSON.stringify(prev.notified) !== JSON.stringify(next.notified) ||
    JSON.stringify(prev.labels) !== JSON.stringify(next.labels) ||
    JSON.stringify(prev.mutes ?? []) !== JSON.stringify(next.mutes ?? [])
  ) {
    return true;
  }
  // Values change every minute; they are refreshed now and then so a "resolved" message shows recent ones.
  return (
    next.phase !== 'resolved' &&
    now - prev.updatedAt >= ALERT_DEFAULTS.refreshMs &&
    (prev.summary !== next.summary || JSON.stringify(prev.evidence) !== JSON.stringify(next.evidence))
  );
}
