/**
 * One evaluation of one cluster: read what is new since the last evaluation, update the memory, run the
 * rules, advance every alert's state machine, apply inhibition, store the transitions with conditional
 * writes, publish one grouped message, emit the EMF metrics.
 *
 * Two overlapping runs never notify the same transition twice: every alert write is conditional on the
 * version read, and only transitions whose write won are published. A message that cannot be published is
 * put back as owed (the next evaluation sends it) and the run fails, so Lambda's error metrics see it.
 */
import { createHash } from 'crypto';
import type { Logger } from '../../common/log';
import type { HostNodeMinute, NodeMinute, Subject } from '../../model/domain';
import { activeSilences, SILENCE_KIND, silenceOf, type ActiveSilence, type MaintenanceWindow, type Silence } from '../../model/silence';
import { MINUTE_MS, type Clock, type EpochMs, type Minute } from '../../model/time';
import { mapLimit } from '../../common/concurrency';
import type { StoredDocument } from '../store/documents';
import type { VigilStore } from '../store/store';
import type { AlertPublisher } from '../message/publisher';
import type { AlertChange } from '../../model/notification';
import { composeMessages } from '../message/routes';
import { DEFAULT_ROUTE_LABELS, type Routing } from '../../model/route';
import { alertLabels, ROUTE_LABELS_ID, ROUTE_LABELS_KIND, type RouteLabels } from '../store/route-labels';
import { ALERT_DEFAULTS, runbookUrlOf, type ResolvedRule } from './config';
import { AWS_EVENTS_LOOKBACK_MS } from './aws-events';
import { buildContext, newestKubeMinute, type EvaluationContext } from './context';
import { emfDocuments, figuresOf, type EmfDocument } from './emf';
import { computeMutes, type Mute } from './inhibition';
import {
  boundMemory,
  EMPTY_MEMORY,
  keepEc2Checks,
  MEMORY_VERSION,
  memoryRetentionMs,
  observe,
  observeFrom,
  storedMemory,
  type EvaluatorMemory,
} from './memory';
import { evaluationNeeds } from './needs';
import { isFrozen, runRules, type RuleRun } from './run-rules';
import type { AnyRule } from './rules/types';
import { advance, ALERT_KIND, decide, needsWrite, told, type AlertDoc, type AlertTiming, type Decision } from './state';
import { boundTrend, EMPTY_TREND, sampleTrend, TREND_RETENTION_MS, TREND_VERSION, type TrendMemory } from './trend';

export const MEMORY_KIND = 'memory';
const MEMORY_ID = 'evaluator';
const TREND_ID = 'trend';
const PARALLEL_WRITES = 8;
const MEMORY_WRITE_ATTEMPTS = 3;
const OWE_ATTEMPTS = 3;

/** What the evaluator needs of the store (the real `VigilStore` in Lambda, local mode and tests). */
export type EvaluatorStore = Pick<
  VigilStore,
  'heartbeat' | 'awsEvents' | 'rollups' | 'kubeMinutes' | 'hostParts' | 'getDocument' | 'listDocuments' | 'putDocument' | 'deleteDocument'
>;

export interface EvaluatorDeps {
  readonly store: EvaluatorStore;
  readonly publisher: AlertPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rules: readonly ResolvedRule[];
  /** Where EMF lines go: stdout in Lambda (CloudWatch Logs extracts the metrics). */
  readonly emit: (line: string) => void;
  /** CloudWatch period of the host metrics (1 with detailed monitoring, 5 with basic). @default 1 */
  readonly hostPeriodMinutes?: number;
  /** Recurring maintenance windows (`vigil:maintenanceWindows`): silences declared in configuration. @default none */
  readonly maintenanceWindows?: readonly MaintenanceWindow[];
  /** Runbook pages are this followed by the rule id, unless a rule has its own `runbookUrl`. @default none */
  readonly runbookBaseUrl?: string;
  /** Which receivers hear of what (`vigil:routes`). @default none: one message per evaluation for every receiver */
  readonly routes?: Routing;
  /** Label keys lifted from each alert's workload or namespace (`vigil:routeLabels`). @default DEFAULT_ROUTE_LABELS */
  readonly routeLabels?: readonly string[];
}

export interface ClusterEvaluation {
  readonly cluster: string;
  readonly evaluatedAt: EpochMs;
  readonly findings: number;
  /** Rules that were blind this time (data unavailable or an error). */
  readonly blindRules: readonly string[];
  /** What was published (empty when nothing changed). */
  readonly changes: readonly AlertChange[];
  /** The first message's id. */
  readonly messageId?: string;
  /** Messages published: one, or one per receiver with routes. */
  readonly messages: number;
  /** Alert writes that lost to a concurrent evaluation (their notifications were left to it). */
  readonly conflicts: number;
  readonly firing: number;
  readonly muted: number;
  /** Firing alerts a silence or maintenance window holds quiet (counted in `muted`): still shown, not sent. */
  readonly silenced: readonly SilencedAlert[];
  readonly emf: readonly EmfDocument[];
}

export interface SilencedAlert {
  readonly id: string;
  readonly rule: string;
  readonly severity: AlertDoc['severity'];
  readonly summary: string;
  readonly subject: Subject;
  /** The silence's id, or `window:<name>`. */
  readonly silence: string;
}

export class PublishError extends Error {
  override readonly name = 'PublishError';
}

interface Step {
  readonly id: string;
  readonly prev?: StoredDocument<AlertDoc>;
  next?: AlertDoc;
  readonly timing: AlertTiming;
  readonly frozen: boolean;
  readonly renotify: boolean;
  decision?: Decision;
}

/** The document id of an alert: its id, shortened with a hash when it nears DynamoDB's 1,024-byte sort key limit. */
export function alertDocId(id: string): string {
  return Buffer.byteLength(id) <= 900 ? id : `${id.slice(0, 700)}#${createHash('sha256').update(id).digest('hex').slice(0, 24)}`;
}

export function createEvaluator(deps: EvaluatorDeps) {
  // Keyed by text: stored alerts name their rule as text, which may be a rule no longer in the catalogue.
  const rulesById = new Map<string, ResolvedRule>(deps.rules.map((r) => [r.rule.id, r]));
  const ruleDefinitions = new Map<string, AnyRule>(deps.rules.map((r) => [r.rule.id, r.rule]));
  const { observe: observeOpts, agentStaleAfterMs, cloudStaleAfterMs, resourceStaleAfterMs } = evaluationNeeds(deps.rules);
  const hostPeriod = deps.hostPeriodMinutes ?? 1;
  const memoryRetention = memoryRetentionMs(observeOpts);
  const routing = { routing: deps.routes, routeLabels: deps.routeLabels ?? DEFAULT_ROUTE_LABELS };

  async function readMemory(cluster: string): Promise<StoredDocument<EvaluatorMemory> | undefined> {
    const doc = await deps.store.getDocument<EvaluatorMemory>(cluster, MEMORY_KIND, MEMORY_ID);
    return doc && doc.value.v === MEMORY_VERSION ? { ...doc, value: storedMemory(doc.value) } : undefined;
  }

  async function evaluateCluster(cluster: string): Promise<ClusterEvaluation> {
    const started = process.hrtime.bigint();
    const now = deps.clock.now();
    const log = deps.logger.child({ cluster });
    const [heartbeat, memoryDoc, trendDoc, alertDocs, awsEvents, silenceDocs, labelsDoc] = await Promise.all([
      deps.store.heartbeat(cluster),
      readMemory(cluster),
      deps.store.getDocument<TrendMemory>(cluster, MEMORY_KIND, TREND_ID),
      deps.store.listDocuments<AlertDoc>(cluster, ALERT_KIND),
      deps.store.awsEvents(cluster, now - AWS_EVENTS_LOOKBACK_MS),
      deps.store.listDocuments<Silence>(cluster, SILENCE_KIND),
      routing.routeLabels.length ? deps.store.getDocument<RouteLabels>(cluster, ROUTE_LABELS_KIND, ROUTE_LABELS_ID) : undefined,
    ]);
    const silences = activeSilences(
      silenceDocs.map((d) => d.value),
      deps.maintenanceWindows ?? [],
      now,
    );
    const memory = memoryDoc?.value ?? EMPTY_MEMORY;
    const trend = trendDoc?.value.v === TREND_VERSION ? trendDoc.value : EMPTY_TREND;

    // Read only what is new: the rollups since the last observed minute, one minute of node-minutes, host metrics once per period.
    const rollups = await deps.store.rollups(cluster, observeFrom(memory, now), now);
    const newestKube = newestKubeMinute(rollups, now, agentStaleAfterMs);
    const kubeFresh = newestKube?.kube !== undefined && newestKube.kube.collectedAt >= now - agentStaleAfterMs;
    const hostsDue = memory.hostReadAt === undefined || now - memory.hostReadAt >= hostPeriod * MINUTE_MS - 30_000;
    const newestCloud = [...rollups].reverse().find((r) => r.cloud)?.cloud;
    const instances = (newestCloud?.hosts ?? []).filter((h) => h.state === 'running').map((h) => h.instanceId);
    const [nodeMinutes, hostMinutes] = await Promise.all([
      kubeFresh ? deps.store.kubeMinutes(cluster, newestKube!.minute) : Promise.resolve<NodeMinute[]>([]),
      hostsDue && instances.length
        ? deps.store.hostParts(cluster, instances, hostMinutesToRead(now, hostPeriod))
        : Promise.resolve<HostNodeMinute[] | undefined>(undefined),
    ]);

    const observation = { now, rollups, nodes: nodeMinutes };
    const observed = observe(memory, observation, observeOpts);
    const nextMemory: EvaluatorMemory = { ...observed.memory, hostReadAt: hostMinutes ? now : memory.hostReadAt };
    const sampled = kubeFresh
      ? sampleTrend(
          trend,
          nodeMinutes.flatMap((n) => (n.kube ? [n.kube] : [])),
          newestKube!.minute,
        )
      : undefined;

    const ctx = buildContext({
      cluster,
      now,
      heartbeat,
      rollups,
      nodeMinutes,
      hostMinutes,
      awsEvents,
      memory: nextMemory,
      fresh: observed.fresh,
      trend: sampled ?? trend,
      agentStaleAfterMs,
      cloudStaleAfterMs,
      resourceStaleAfterMs,
    });
    const firingBefore = new Set(alertDocs.filter((d) => d.value.phase === 'firing').map((d) => d.value.id));
    const run = runRules(ctx, deps.rules, firingBefore, log);
    const steps = plan(ctx, run, alertDocs, now);
    for (const s of steps) if (s.next) s.next = labelled(s.next, s.prev?.value, labelsDoc?.value);
    const mutes = applyInhibition(ctx, steps, run);
    for (const s of steps) decideStep(s, mutes, now, silences);

    const { won, conflicts } = await writeSteps(cluster, steps, now, log);
    const notReady = [...ctx.nodeByName.values()]
      .filter((n) => n.summary.ready !== 'True')
      .map((n) => ({ name: n.name, instanceId: n.summary.instanceId }));
    await writeMemory(
      cluster,
      memoryDoc,
      { ...nextMemory, ec2Checks: keepEc2Checks(nextMemory.ec2Checks, notReady, ctx.hosts) },
      observation,
      log,
    );
    if (sampled) {
      const v = await deps.store
        .putDocument(cluster, MEMORY_KIND, TREND_ID, boundTrend(sampled), trendDoc?.version, { expiresAt: now + TREND_RETENTION_MS })
        .catch((e: Error) => {
          log.warn('trend sample not stored', { error: e });
          return undefined;
        });
      if (v === undefined) log.debug('trend sample written by a concurrent evaluation');
    }

    const active = steps.filter((s) => s.next?.phase === 'firing');
    const muted = (s: Step) => mutes.has(s.id) || s.next?.absorbedBy !== undefined || s.next?.silencedBy !== undefined;
    const activeCounts = {
      firing: active.filter((s) => !muted(s)).length,
      critical: active.filter((s) => !muted(s) && s.next!.severity === 'critical').length,
      muted: active.filter(muted).length,
    };
    const silenced = active.flatMap(({ next: a }) =>
      a?.silencedBy
        ? [{ id: a.id, rule: a.rule, severity: a.severity, summary: a.summary, subject: a.subject, silence: a.silencedBy }]
        : [],
    );
    const changes = won
      .filter((s) => !s.decision!.silent)
      .map((s) => changeOf(s, runbookUrlOf(rulesById.get(s.next!.rule)?.settings, s.next!.rule, deps.runbookBaseUrl)));
    const messages = changes.length ? composeMessages(routing, cluster, now, changes, activeCounts) : [];
    const published = await Promise.allSettled(messages.map((m) => deps.publisher.publish(m.message)));
    published.forEach((p, i) => {
      const { attributes } = messages[i].message;
      if (p.status === 'fulfilled')
        log.info('notification published', {
          messageId: p.value,
          severity: attributes.severity,
          rule: attributes.rule,
          receiver: attributes.receiver,
          changes: messages[i].alertIds.length,
        });
    });
    const failed = messages.filter((_, i) => published[i].status === 'rejected');
    if (failed.length) {
      // Owed to every receiver of the alert: one that got it may hear of it twice, none misses it.
      const unsent = new Set(failed.flatMap((m) => m.alertIds));
      await owe(
        cluster,
        won.filter((s) => unsent.has(s.id)),
        now,
        log,
      );
      const reason = published.find((p): p is PromiseRejectedResult => p.status === 'rejected')!.reason as Error;
      throw new PublishError(
        `cluster ${cluster}: ${unsent.size} alert changes not published${failed[0].message.attributes.receiver ? ` (to ${failed.map((m) => m.message.attributes.receiver).join(', ')})` : ''} (kept for the next evaluation): ${reason.message}`,
      );
    }
    const first = published[0];
    const messageId = first?.status === 'fulfilled' ? first.value : undefined;

    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const emf = emfDocuments(figuresOf(ctx, activeCounts, seconds));
    for (const d of emf) deps.emit(JSON.stringify(d));
    log.info('cluster evaluated', {
      findings: run.findings.size,
      blindRules: [...run.blind],
      firing: activeCounts.firing,
      muted: activeCounts.muted,
      changes: changes.length,
      conflicts,
      seconds,
    });
    return {
      cluster,
      evaluatedAt: now,
      findings: run.findings.size,
      blindRules: [...run.blind],
      changes,
      messageId,
      messages: messages.length,
      conflicts,
      firing: activeCounts.firing,
      muted: activeCounts.muted,
      silenced,
      emf,
    };
  }

  /** Each alert's next state, before inhibition and notification. */
  function plan(ctx: EvaluationContext, run: RuleRun, docs: readonly StoredDocument<AlertDoc>[], now: EpochMs): Step[] {
    const byId = new Map(docs.map((d) => [d.value.id, d]));
    const ids = new Set([...byId.keys(), ...run.findings.keys()]);
    return [...ids].map((id): Step => {
      const prev = byId.get(id);
      const f = run.findings.get(id);
      const resolved = rulesById.get(f?.rule ?? prev!.value.rule);
      const timing: AlertTiming = {
        title: resolved?.rule.title ?? prev?.value.title ?? id,
        forMs: resolved?.settings.forMs ?? 0,
        resolveAfterMs: resolved?.settings.resolveAfterMs ?? 0,
        renotifyEveryMs: resolved?.settings.renotifyEveryMs ?? 0,
        event: resolved?.rule.event ?? prev?.value.event ?? false,
      };
      const frozen =
        !f &&
        prev !== undefined &&
        resolved?.settings.enabled === true &&
        isFrozen(run, resolved.rule, ctx, prev.value.subject, prev.value.evidence);
      const gone = !f && prev !== undefined && resolved?.rule.goneWithNode === true && nodeLeft(ctx, prev.value.subject);
      const next = frozen ? prev!.value : gone ? undefined : advance(prev?.value, f, timing, id, now);
      return {
        id,
        prev,
        next: next && resolvedNow(prev?.value, next) ? endOf(ctx, next, resolved) : next,
        timing,
        frozen,
        renotify: f?.renotify ?? false,
      };
    });
  }

  /**
   * Which firing alerts are muted. Only an alert that fires, and was found this time or is held, mutes: a
   * finding still pending its `for` (perhaps a blip) must not hide what people would be told.
   */
  function applyInhibition(ctx: EvaluationContext, steps: readonly Step[], run: RuleRun): Map<string, Mute> {
    const firing = steps.filter((s) => s.next?.phase === 'firing');
    const sources = firing.filter((s) => s.frozen || run.findings.has(s.id)).map((s) => s.next!);
    // A story absorbs what comes after it was told: what begins with it (the kill that makes the third restart) is told with it.
    const storytellers = firing.filter((s) => s.next!.notified?.phase === 'firing').map((s) => s.next!);
    return computeMutes(
      sources,
      firing.map((s) => s.next!),
      ruleDefinitions,
      ctx.blind.services,
      storytellers,
    );
  }

  function decideStep(s: Step, mutes: ReadonlyMap<string, Mute>, now: EpochMs, silences: readonly ActiveSilence[]): void {
    if (s.frozen && !s.next?.owed) return;
    const mute = mutes.get(s.id);
    if (mute?.absorbs && s.next && s.next.phase !== 'resolved') s.next = { ...s.next, absorbedBy: mute.by };
    const muted = mute !== undefined || s.next?.absorbedBy !== undefined;
    s.decision = decide(s.next, s.timing, { muted, joins: mute?.joins === true, renotify: s.renotify, now });
    if (s.next) ({ next: s.next, decision: s.decision } = silenced(s.next, s.decision, muted, silenceOf(silences, s.next)));
    if (s.decision && s.next) s.next = told(s.next, s.decision, now);
  }

  async function writeSteps(
    cluster: string,
    steps: readonly Step[],
    now: EpochMs,
    log: Logger,
  ): Promise<{ won: Step[]; conflicts: number }> {
    let conflicts = 0;
    const won: Step[] = [];
    await mapLimit(steps, PARALLEL_WRITES, async (s) => {
      try {
        if (!s.next) {
          if (s.prev && !(await deps.store.deleteDocument(cluster, ALERT_KIND, alertDocId(s.id), s.prev.version))) conflicts++;
          return;
        }
        if (!needsWrite(s.prev?.value, s.next, now)) return;
        const next: AlertDoc = { ...s.next, updatedAt: now };
        const expiresAt = next.phase === 'resolved' ? now + ALERT_DEFAULTS.resolvedRetentionMs : undefined;
        const version = await deps.store.putDocument(cluster, ALERT_KIND, alertDocId(s.id), next, s.prev?.version, { expiresAt });
        if (version === undefined) conflicts++;
        else {
          s.next = { ...next, version };
          if (s.decision) won.push(s);
        }
      } catch (e) {
        // One alert that cannot be stored must not stop the others; it is retried next evaluation.
        log.error('alert state not stored', { alert: s.id, error: e as Error });
      }
    });
    return { won, conflicts };
  }

  /**
   * Puts undelivered notifications back so the next evaluation sends them. A slow failure may find the alert
   * already changed by the next minute's run (which believed it told): the owed notification is then put back
   * on top of that run's document, so it is sent late rather than lost, and no resolution goes out alone.
   */
  async function owe(cluster: string, won: readonly Step[], now: EpochMs, log: Logger): Promise<void> {
    await mapLimit(won, PARALLEL_WRITES, async (s) => {
      const ours = s.next!;
      let current: AlertDoc | undefined = ours;
      for (let attempt = 1; current && attempt <= OWE_ATTEMPTS; attempt++) {
        // Someone told people something about it since: that message carries the alert as it is now.
        if (current.notified?.at !== ours.notified?.at) return;
        const back = owed(current, s.prev?.value, now);
        if (
          (await deps.store.putDocument(cluster, ALERT_KIND, alertDocId(s.id), back, current.version).catch(() => undefined)) !== undefined
        )
          return;
        const doc = await deps.store.getDocument<AlertDoc>(cluster, ALERT_KIND, alertDocId(s.id)).catch(() => undefined);
        current = doc && { ...doc.value, version: doc.version };
      }
      log.error('undelivered notification could not be put back', { alert: s.id });
    });
  }

  async function writeMemory(
    cluster: string,
    doc: StoredDocument<EvaluatorMemory> | undefined,
    next: EvaluatorMemory,
    obs: Parameters<typeof observe>[1],
    log: Logger,
  ): Promise<void> {
    let version = doc?.version;
    let value = next;
    for (let attempt = 1; attempt <= MEMORY_WRITE_ATTEMPTS; attempt++) {
      const bounded = boundMemory(value);
      if (bounded.dropped) log.warn('evaluator memory over its size limit; oldest entries dropped', { dropped: bounded.dropped });
      if (
        (await deps.store.putDocument(cluster, MEMORY_KIND, MEMORY_ID, bounded.memory, version, {
          expiresAt: obs.now + memoryRetention,
        })) !== undefined
      )
        return;
      // A concurrent evaluation wrote first: observe the same minutes on top of its memory (idempotent).
      const theirs = await readMemory(cluster);
      version = theirs?.version;
      const merged = observe(theirs?.value ?? EMPTY_MEMORY, obs, observeOpts).memory;
      value = { ...merged, hostReadAt: Math.max(merged.hostReadAt ?? 0, next.hostReadAt ?? 0) || undefined };
    }
    log.warn('evaluator memory not stored after concurrent updates; the next evaluation re-observes', { cluster });
  }

  return { evaluateCluster };
}

const resolvedNow = (prev: AlertDoc | undefined, next: AlertDoc) => next.phase === 'resolved' && prev?.phase === 'firing';

/** A resolving alert in its rule's words of the end (what came back), when the rule has them. */
function endOf(ctx: EvaluationContext, doc: AlertDoc, r: ResolvedRule | undefined): AlertDoc {
  const end = r?.rule.resolution?.(ctx, doc, r.settings);
  return end ? { ...doc, summary: end.summary, evidence: end.evidence } : doc;
}

/** Whether the alert's node is no longer in the cluster (by fresh data from the agent). */
function nodeLeft(ctx: EvaluationContext, subject: Subject): boolean {
  return ctx.kube !== undefined && subject.node !== undefined && !ctx.nodeByName.has(subject.node);
}

/**
 * The minutes whose host parts may hold an instance's newest CloudWatch figures. The collector writes one
 * part per CloudWatch period, aligned to the period. Status checks come every minute and fill the part of
 * the period being reported (up to the minute before now); CPU and the rest arrive a few minutes after
 * their period ends (CloudWatch's delay, then the collector's next run), in the two periods before the last
 * one. Each candidate costs one key per instance (a BatchGet), read once per period.
 */
export function hostMinutesToRead(now: EpochMs, periodMinutes: number): Minute[] {
  const period = periodMinutes * MINUTE_MS;
  const newest = Math.floor((now - MINUTE_MS) / period) * period;
  return [0, 1, 2, 3].map((k) => newest - k * period);
}

/**
 * Applies a silence (or maintenance window) to an alert's decision. While silenced nothing is sent: a
 * resolution is recorded as told without a message, anything else waits. When the silence ends, an alert
 * still firing (and not told under another's story) is told once, even if people heard of it before.
 */
export function silenced(
  next: AlertDoc,
  decision: Decision | undefined,
  muted: boolean,
  silence: ActiveSilence | undefined,
): { next: AlertDoc; decision: Decision | undefined } {
  if (silence)
    return {
      next: { ...next, silencedBy: silence.id },
      decision: decision?.kind === 'resolved' ? { ...decision, silent: true } : undefined,
    };
  if (next.silencedBy === undefined) return { next, decision };
  const announce = !decision && !muted && next.phase === 'firing' && next.absentSince === undefined;
  const settled = decision !== undefined || announce || muted || next.phase !== 'firing';
  return {
    next: settled ? { ...next, silencedBy: undefined } : next,
    decision: announce ? { kind: next.notified?.phase === 'firing' ? 'repeat' : 'firing', silent: false } : decision,
  };
}

/**
 * The alert with its route labels. Once people were told of it, it keeps the labels it was told with, so its
 * updates and resolution reach the receivers that heard it fire (one story), even after its workload is gone;
 * firing again after it resolved is a new story, labelled afresh.
 */
function labelled(next: AlertDoc, prev: AlertDoc | undefined, labels: RouteLabels | undefined): AlertDoc {
  const kept = prev?.notified && prev.phase !== 'resolved' ? prev.labels : undefined;
  const current = kept ?? alertLabels(labels, next.subject) ?? prev?.labels;
  return current === next.labels ? next : { ...next, labels: current };
}

/** `current` with what people were told rolled back to before the undelivered message (`before`). */
function owed(current: AlertDoc, before: AlertDoc | undefined, now: EpochMs): AlertDoc {
  return { ...current, notified: before?.notified, lastNotifiedAt: before?.lastNotifiedAt, owed: true, updatedAt: now };
}

function changeOf(s: Step, runbookUrl: string | undefined): AlertChange {
  const d = s.next!;
  const kind = s.decision!.kind;
  return {
    kind,
    id: d.id,
    rule: d.rule,
    title: d.title,
    // A resolution has the severity people were told it fired with, so whoever got the alert gets its end.
    severity: kind === 'resolved' ? (s.prev?.value.notified?.severity ?? d.severity) : d.severity,
    subject: d.subject,
    summary: d.summary,
    evidence: d.evidence,
    since: d.pendingSince,
    firingSince: d.firingSince,
    resolvedAt: d.resolvedAt,
    runbook: d.runbook,
    ...(runbookUrl ? { runbookUrl } : {}),
    ...(d.constituents?.length ? { includes: d.constituents.map((c) => ({ rule: c.rule, summary: c.summary })) } : {}),
    ...(d.labels ? { labels: d.labels } : {}),
  };
}

export type Evaluator = ReturnType<typeof createEvaluator>;

export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
  constructor(readonly failures: readonly { readonly cluster: string; readonly error: string }[]) {
    super(`evaluation failed for ${failures.length} cluster(s): ${failures.map((f) => `${f.cluster}: ${f.error}`).join('; ')}`);
  }
}

export interface EvaluatorHandlerDeps extends EvaluatorDeps {
  readonly clusters: readonly { readonly name: string }[];
  /** Clusters evaluated at once. @default 4 */
  readonly concurrency?: number;
}

/**
 * The scheduled handler: every cluster, failures isolated (one cluster's failure does not stop the others),
 * then an `EvaluationError` naming the failed clusters so Lambda's error metric and alarms see it.
 */
export function createEvaluatorHandler(deps: EvaluatorHandlerDeps) {
  const evaluator = createEvaluator(deps);
  return async (): Promise<{ readonly clusters: readonly ClusterEvaluation[] }> => {
    const failures: { cluster: string; error: string }[] = [];
    const results = await mapLimit(deps.clusters, deps.concurrency ?? 4, async (c) => {
      try {
        return await evaluator.evaluateCluster(c.name);
      } catch (e) {
        deps.logger.error('cluster evaluation failed', { cluster: c.name, error: e as Error });
        failures.push({ cluster: c.name, error: (e as Error).message });
        return undefined;
      }
    });
    if (failures.length) throw new EvaluationError(failures);
    return { clusters: results.filter((r): r is ClusterEvaluation => r !== undefined) };
  };
}
