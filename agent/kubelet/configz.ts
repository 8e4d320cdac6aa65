/**
 * Each kubelet's real eviction thresholds, from its `/configz` (`evictionHard`, `evictionSoft`). From
 * Kubernetes 1.33 (KEP-2862, beta; stable 1.36) the kubelet authorizes `/configz` as the `nodes/configz`
 * subresource, so it needs no `nodes/proxy`; older kubelets, or a cluster without that grant, answer 403,
 * which is an answer, not an error: the node keeps the defaults (the evaluator says so) and is asked again
 * an hour later. The configuration changes only when the kubelet restarts, so each node is read once an
 * hour, in the background of the cycle, never delaying a batch.
 */
import { BATCH_LIMITS } from '../../model/batch-constants';
import type { EvictionThreshold, KubeletEviction } from '../../model/domain';
import { bytes, quantity } from '../../model/quantity';
import { mapLimit } from '../../common/concurrency';
import type { KubeletTarget } from '../kube/project';
import type { SummarySource } from './scraper';

export const CONFIGZ_PATH = '/configz';

function thresholdsOf(raw: unknown): Record<string, EvictionThreshold> | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const out: Record<string, EvictionThreshold> = {};
  for (const [signal, value] of Object.entries(raw as Record<string, unknown>).slice(0, BATCH_LIMITS.maxEvictionSignals)) {
    if (typeof value !== 'string' || !signal || signal.length > 64) continue;
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
    if (pct) {
      const v = Number(pct[1]);
      if (v >= 0 && v <= 100) out[signal] = { pct: v };
      continue;
    }
    // `pid.available` is a count; the others are bytes.
    const q = signal.startsWith('pid.') ? quantity(value) : bytes(value);
    if (q !== undefined && q >= 0 && q <= BATCH_LIMITS.maxBytes) out[signal] = { quantity: q };
  }
  return out;
}

/** The eviction thresholds in a `/configz` answer (`{"kubeletconfig": {...}}`); undefined when it has none. */
export function evictionOf(configz: unknown): KubeletEviction | undefined {
  const config = (configz as { kubeletconfig?: { evictionHard?: unknown; evictionSoft?: unknown } } | undefined)?.kubeletconfig;
  const hard = thresholdsOf(config?.evictionHard);
  if (!hard) return undefined;
  const soft = thresholdsOf(config?.evictionSoft);
  return { hard, ...(soft && Object.keys(soft).length ? { soft } : {}) };
}

export interface KubeletConfigsOptions {
  readonly source: SummarySource;
  /** @default Date.now */
  readonly now?: () => number;
  /** How long a node's thresholds (or a refusal) are kept before it is asked again. @default 1 hour */
  readonly refreshMs?: number;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  /** Told once per node and outcome kind, so a refusal or failure shows without flooding the log. */
  readonly onOutcome?: (node: string, outcome: 'read' | 'denied' | 'failed', detail?: string) => void;
}

interface Entry {
  readonly eviction?: KubeletEviction;
  readonly at: number;
}

/** Per node: the thresholds last read, cached for `refreshMs`. */
export class KubeletConfigs {
  private readonly entries = new Map<string, Entry>();
  private running?: Promise<void>;

  constructor(private readonly opts: KubeletConfigsOptions) {}

  get(node: string): KubeletEviction | undefined {
    return this.entries.get(node)?.eviction;
  }

  /**
   * Reads the nodes not read within `refreshMs` (new ones first), and forgets nodes no longer listed. One
   * refresh at a time: a call while one runs returns that one.
   */
  refresh(targets: readonly KubeletTarget[]): Promise<void> {
    if (this.running !== undefined) return this.running;
    const now = (this.opts.now ?? Date.now)();
    const listed = new Set(targets.map((t) => t.node));
    for (const n of this.entries.keys()) if (!listed.has(n)) this.entries.delete(n);
    const refreshMs = this.opts.refreshMs ?? 3_600_000;
    const due = targets.filter((t) => {
      const e = this.entries.get(t.node);
      return !e || now - e.at >= refreshMs;
    });
    if (due.length === 0) return Promise.resolve();
    this.running = mapLimit(due, this.opts.concurrency ?? 4, (t) => this.read(t, now)).then(
      () => undefined,
      () => undefined,
    );
    void this.running.finally(() => (this.running = undefined));
    return this.running;
  }

  private async read(t: KubeletTarget, now: number): Promise<void> {
    const prev = this.entries.get(t.node);
    try {
      const eviction = evictionOf(await this.opts.source.fetch(t, this.opts.timeoutMs ?? 5000, undefined, CONFIGZ_PATH));
      this.entries.set(t.node, { ...(eviction ? { eviction } : {}), at: now });
      if (!prev) this.opts.onOutcome?.(t.node, 'read');
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const denied = /HTTP (401|403)\b|\b403\b|forbidden/i.test(message);
      // A refusal is kept for the hour; another failure keeps what was read before, and is retried then too.
      this.entries.set(t.node, { ...(prev?.eviction ? { eviction: prev.eviction } : {}), at: now });
      this.opts.onOutcome?.(t.node, denied ? 'denied' : 'failed', message);
    }
  }
}
