/**
 * What the rules learn from the cluster's AWS events (EventBridge, filed by the AWS events function): Spot
 * interruption warnings and rebalance recommendations, known minutes before the node goes; AWS Health
 * scheduled changes still open; Auto Scaling launches that failed, known before the collector reads the
 * group's activities. The evaluator reads the recent timeline once per cluster per run.
 */
import type { ScalingEvent, ScheduledEvent } from '../../model/aws-event';
import type { ScalingActivity, Subject } from '../../model/domain';
import { type EpochMs, HOUR_MS, MINUTE_MS, utc } from '../../model/time';
import type { EvaluationContext } from './context';

/** How far back the evaluator reads the timeline (scheduled changes are filed by their window, so they are read until it ends). */
export const AWS_EVENTS_LOOKBACK_MS = HOUR_MS;
/**
 * An event newer than this is an occurrence for occurrence rules (a failed launch): filed seconds after it
 * happens, it is seen by the next runs; a few runs seeing it again only extend the alert's hold by as much.
 */
export const FRESH_EVENT_MS = 5 * MINUTE_MS;
/** A Spot warning is two minutes ahead; a rebalance recommendation often more. After this, the instance has gone or stayed. */
export const NOTICE_VALID_MS = 15 * MINUTE_MS;

/** An advance notice that an instance is about to go. */
export interface InstanceNotice {
  readonly kind: 'spot-interruption' | 'rebalance-recommendation';
  readonly time: EpochMs;
  /** Spot: `terminate`, `stop` or `hibernate`. */
  readonly action?: string;
}

/**
 * Spot interruption warnings and rebalance recommendations of the last `withinMs`, by instance id: an
 * interruption outranks a recommendation, a newer notice an older one. For the capacity-removal logic to name
 * the actor ("Spot interruption") before the node goes.
 */
export function noticesByInstance(
  ctx: Pick<EvaluationContext, 'awsEvents' | 'now'>,
  withinMs = NOTICE_VALID_MS,
): Map<string, InstanceNotice> {
  const out = new Map<string, InstanceNotice>();
  for (const e of ctx.awsEvents) {
    if ((e.kind !== 'spot-interruption' && e.kind !== 'rebalance-recommendation') || e.time < ctx.now - withinMs) continue;
    const prev = out.get(e.instanceId);
    if (prev?.kind === 'spot-interruption' && e.kind !== 'spot-interruption') continue;
    out.set(e.instanceId, { kind: e.kind, time: e.time, ...(e.kind === 'spot-interruption' ? { action: e.action } : {}) });
  }
  return out;
}

export function noticeText(n: InstanceNotice): string {
  return n.kind === 'spot-interruption'
    ? `Spot interruption warning at ${utc(n.time)} (${n.action ?? 'terminate'})`
    : `Spot rebalance recommendation at ${utc(n.time)}`;
}

/** The newest report of each (Health event, instance) that is not closed. */
export function openScheduledEvents(ctx: Pick<EvaluationContext, 'awsEvents'>): ScheduledEvent[] {
  const newest = new Map<string, ScheduledEvent>();
  for (const e of ctx.awsEvents) {
    if (e.kind !== 'scheduled-event') continue;
    const prev = newest.get(e.id);
    if (!prev || prev.time <= e.time) newest.set(e.id, e);
  }
  return [...newest.values()].filter((e) => e.status !== 'closed');
}

/** Auto Scaling launches that failed since `since`, by group, newest first. */
export function failedLaunches(ctx: Pick<EvaluationContext, 'awsEvents'>, since: EpochMs): Map<string, ScalingEvent[]> {
  const out = new Map<string, ScalingEvent[]>();
  for (const e of [...ctx.awsEvents].reverse()) {
    if (e.kind !== 'asg-launch' || e.successful || e.time < since) continue;
    out.set(e.autoScalingGroup, [...(out.get(e.autoScalingGroup) ?? []), e]);
  }
  return out;
}

/** A failed launch as the scaling activity it is (same id), for rules on activities. */
export function activityOfEvent(e: ScalingEvent): ScalingActivity {
  return {
    activityId: e.activityId ?? e.id,
    autoScalingGroup: e.autoScalingGroup,
    status: 'Failed',
    cause: e.cause ?? '',
    description: `${e.kind === 'asg-launch' ? 'Launching a new' : 'Terminating an'} EC2 instance${e.instanceId ? `: ${e.instanceId}` : ''}`,
    ...(e.statusMessage ? { statusMessage: e.statusMessage } : {}),
    startTime: e.time,
  };
}

/** The instance a finding is about: its own, or its node's. */
function instanceOf(ctx: EvaluationContext, s: Subject): string | undefined {
  return s.instanceId ?? (s.node !== undefined ? ctx.nodeByName.get(s.node)?.summary.instanceId : undefined);
}

/** A finding about a node or instance with an advance notice carries it as evidence: the cause, known before the node goes. */
export function withNotice<F extends { readonly subject: Subject; readonly evidence: Readonly<Record<string, string | number>> }>(
  ctx: EvaluationContext,
  f: F,
  notices: ReadonlyMap<string, InstanceNotice>,
): F {
  const id = instanceOf(ctx, f.subject);
  const n = id === undefined ? undefined : notices.get(id);
  return n ? { ...f, evidence: { ...f.evidence, awsNotice: noticeText(n) } } : f;
}
