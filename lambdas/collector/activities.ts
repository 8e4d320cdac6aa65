/**
 * Which scaling activities are news. The collector keeps, per Auto Scaling group, a watermark in a store
 * document: activities that started at or after `since` were read, with the status last reported. An
 * activity is reported when it is new *or its status changed*: a launch first seen `InProgress` that later
 * `Failed` is reported twice, because the failure is what matters.
 *
 * `DescribeScalingActivities` is read only when it can have news: the group's desired capacity or
 * instances changed, an activity is still open, the group is short of capacity, or a quarter of an hour
 * passed. A steady cluster costs one `DescribeAutoScalingGroups` a minute, not one call per group.
 */
import type { AutoScalingGroup, ScalingActivity } from '../../model/domain';
import { DAY_MS, HOUR_MS, MINUTE_MS, type EpochMs } from '../../model/time';
import { isFinalActivity } from '../aws/autoscaling';

export interface GroupWatermark {
  /** Activities that started at or after this were read. */
  readonly since: EpochMs;
  /** Activity id → status last reported, for activities at or after `since`. */
  readonly seen: Readonly<Record<string, string>>;
  /** Desired capacity and instance states when last read (see {@link groupFingerprint}). */
  readonly fingerprint: string;
  readonly checkedAt: EpochMs;
}

/** How far back the first read of a group looks. */
export const FIRST_LOOKBACK_MS = HOUR_MS;
/** An activity stuck open is not followed further back than this. */
export const MAX_LOOKBACK_MS = DAY_MS;
/** A group with no visible change is still read this often. */
export const RECHECK_MS = 15 * MINUTE_MS;
/** Bounds the watermark document. */
const MAX_SEEN = 200;

/** What changes when the group scales: its desired capacity and its instances' lifecycle states. */
export function groupFingerprint(g: AutoScalingGroup): string {
  return `${g.desired}|${g.instances
    .map((i) => `${i.instanceId}:${i.lifecycleState}`)
    .sort()
    .join(',')}`;
}

export function needsActivityRead(g: AutoScalingGroup, prev: GroupWatermark | undefined, now: EpochMs): boolean {
  if (!prev) return true;
  return (
    prev.fingerprint !== groupFingerprint(g) ||
    g.desired !== g.inService ||
    Object.values(prev.seen).some((s) => !isFinalActivity(s)) ||
    now - prev.checkedAt >= RECHECK_MS
  );
}

/** Where the next read of the group starts. */
export function activitiesSince(prev: GroupWatermark | undefined, now: EpochMs): EpochMs {
  return prev ? Math.max(prev.since, now - MAX_LOOKBACK_MS) : now - FIRST_LOOKBACK_MS;
}

/**
 * Given the activities read since {@link activitiesSince}, returns those to report and the next watermark.
 * The watermark stays at the oldest activity still open, so its end is seen; else it moves to the newest.
 */
export function advanceWatermark(
  g: AutoScalingGroup,
  prev: GroupWatermark | undefined,
  read: readonly ScalingActivity[],
  now: EpochMs,
): { report: ScalingActivity[]; next: GroupWatermark } {
  const seen = prev?.seen ?? {};
  const report = read.filter((a) => seen[a.activityId] !== a.status).sort((a, b) => a.startTime - b.startTime);
  const open = read.filter((a) => !isFinalActivity(a.status)).map((a) => a.startTime);
  const since = open.length ? Math.min(...open) : read.length ? Math.max(...read.map((a) => a.startTime)) : activitiesSince(prev, now);
  const kept = read
    .filter((a) => a.startTime >= since)
    .sort((a, b) => b.startTime - a.startTime)
    .slice(0, MAX_SEEN);
  return {
    report,
    next: { since, seen: Object.fromEntries(kept.map((a) => [a.activityId, a.status])), fingerprint: groupFingerprint(g), checkedAt: now },
  };
}
