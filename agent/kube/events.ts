/**
 * Events to report, deduplicated by (involved object uid, reason): an event is reported when it is new
 * or when its `count` or last-seen time moved since it was last reported. A CrashLoopBackOff that
 * repeats 300 times an hour is one entry whose count grows, not 300 entries.
 */
import type { KubeEvent } from '../../model/domain';
import type { EpochMs } from '../../model/time';

export interface EventTrackerOptions {
  /**
   * Events waiting to be reported; the least recently seen are dropped beyond it (checked every tenth
   * more, so a relist of many events costs a sort per tenth, not a scan per event). @default 5000
   */
  readonly maxPending?: number;
  /** How long a reported event is remembered for deduplication. @default 2 hours (events live 1 hour) */
  readonly rememberMs?: number;
}

const keyOf = (e: KubeEvent) => `${e.objectUid}|${e.reason}`;

export class EventTracker {
  private readonly pending = new Map<string, KubeEvent>();
  private readonly reported = new Map<string, { count: number; lastSeen: EpochMs }>();
  private readonly maxPending: number;
  private readonly rememberMs: number;
  /** Pending events dropped because too many were waiting. */
  overflowed = 0;

  constructor(opts: EventTrackerOptions = {}) {
    this.maxPending = opts.maxPending ?? 5000;
    this.rememberMs = opts.rememberMs ?? 2 * 3_600_000;
  }

  observe(e: KubeEvent): void {
    const key = keyOf(e);
    const seen = this.reported.get(key);
    if (seen && e.count <= seen.count && e.lastSeen <= seen.lastSeen) return;
    const waiting = this.pending.get(key);
    if (waiting && waiting.lastSeen > e.lastSeen) return;
    this.pending.delete(key); // re-insert: the map's order is the order of last change
    this.pending.set(key, e);
    if (this.pending.size > this.maxPending + Math.ceil(this.maxPending / 10)) this.dropLeastRecent();
  }

  get size(): number {
    return this.pending.size;
  }

  /** Up to `max` events to report, most recently seen first; the rest wait for the next batch. */
  take(max: number, now: EpochMs): KubeEvent[] {
    for (const [k, v] of this.reported) if (now - v.lastSeen > this.rememberMs) this.reported.delete(k);
    const out = [...this.pending.values()].sort((a, b) => b.lastSeen - a.lastSeen).slice(0, max);
    for (const e of out) {
      const key = keyOf(e);
      this.pending.delete(key);
      this.reported.set(key, { count: e.count, lastSeen: e.lastSeen });
    }
    return out;
  }

  /** Down to `maxPending`, dropping the least recently seen. */
  private dropLeastRecent(): void {
    const excess = this.pending.size - this.maxPending;
    const oldest = [...this.pending].sort(([, a], [, b]) => a.lastSeen - b.lastSeen).slice(0, excess);
    for (const [k] of oldest) this.pending.delete(k);
    this.overflowed += oldest.length;
  }
}
