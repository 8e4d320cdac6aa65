/**
 * The route labels of a cluster (`vigil:routeLabels`, e.g. `team`): for each namespace and each workload,
 * the values of those keys. Ingest lifts them from each full batch (workloads: the controller's labels,
 * else its pods' template labels; namespaces: from agents that report them) and stores them as one
 * document, rewritten only when they change (or a day old, so its TTL never lapses); the evaluator reads it
 * once per evaluation and labels each alert from its workload, else its namespace.
 */
import type { Logger } from '../../common/log';
import type { AgentBatch } from '../../model/batch';
import type { Subject } from '../../model/domain';
import type { Labels } from '../../model/route';
import { DAY_MS, type Clock, type EpochMs } from '../../model/time';
import type { VigilStore } from './store';

export const ROUTE_LABELS_KIND = 'labels';
export const ROUTE_LABELS_ID = 'routes';

export interface RouteLabels {
  /** Namespace → its route labels. */
  readonly namespaces: Readonly<Record<string, Labels>>;
  /** `<namespace>/<Kind>/<name>` → the workload's route labels. */
  readonly workloads: Readonly<Record<string, Labels>>;
}

function lift(labels: Readonly<Record<string, string>> | undefined, keys: readonly string[]): Labels | undefined {
  let out: Record<string, string> | undefined;
  for (const k of keys) if (labels?.[k] !== undefined) (out ??= {})[k] = labels[k];
  return out;
}

/**
 * The route labels a full batch tells; undefined for a change batch or a later part of a split one (the
 * workloads and namespaces ride in part 0). Only entries with a route label are kept.
 */
export function routeLabelsOf(batch: AgentBatch, keys: readonly string[]): RouteLabels | undefined {
  if (batch.kind !== 'full' || (batch.part?.index ?? 0) !== 0 || keys.length === 0) return undefined;
  const workloads: Record<string, Labels> = {};
  // Pods first, so a controller's own labels win over its pods' template labels.
  for (const p of [...batch.nodes.flatMap((n) => n.pods), ...batch.unscheduledPods]) {
    const l = lift(p.labels, keys);
    if (l) workloads[`${p.namespace}/${p.workload.kind}/${p.workload.name}`] ??= l;
  }
  for (const w of batch.workloads) {
    const l = lift(w.labels, keys);
    const id = `${w.namespace}/${w.kind}/${w.name}`;
    if (l) workloads[id] = { ...workloads[id], ...l };
  }
  const namespaces: Record<string, Labels> = {};
  for (const n of batch.namespaces ?? []) {
    const l = lift(n.labels, keys);
    if (l) namespaces[n.name] = l;
  }
  return { namespaces: sorted(namespaces), workloads: sorted(workloads) };
}

const sorted = <T>(r: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));

/** An alert's route labels: each key from its workload, else from its namespace; undefined when none applies. */
export function alertLabels(all: RouteLabels | undefined, subject: Subject): Labels | undefined {
  if (!all || subject.namespace === undefined) return undefined;
  const ns = all.namespaces[subject.namespace];
  const w = subject.workload === undefined ? undefined : all.workloads[`${subject.namespace}/${subject.workload}`];
  return ns || w ? { ...ns, ...w } : undefined;
}

/**
 * Stores a cluster's route labels when they differ from what this instance last stored, or a day has passed
 * (one read and one write; none in between). A write that loses to a concurrent one is left: both came from
 * current batches.
 */
export class RouteLabelsWriter {
  private readonly last = new Map<string, { readonly json: string; readonly at: EpochMs }>();

  constructor(private readonly deps: { readonly store: Pick<VigilStore, 'getDocument' | 'putDocument' | 'retentionDays'>; readonly clock: Clock; readonly logger: Logger }) {}

  async write(cluster: string, labels: RouteLabels): Promise<void> {
    const now = this.deps.clock.now();
    const json = JSON.stringify(labels);
    const last = this.last.get(cluster);
    if (last?.json === json && now - last.at < DAY_MS) return;
    try {
      const doc = await this.deps.store.getDocument<RouteLabels>(cluster, ROUTE_LABELS_KIND, ROUTE_LABELS_ID);
      await this.deps.store.putDocument(cluster, ROUTE_LABELS_KIND, ROUTE_LABELS_ID, labels, doc?.version, { expiresAt: now + this.deps.store.retentionDays * DAY_MS });
      this.last.set(cluster, { json, at: now });
    } catch (e) {
      // The next batch tries again; alerts keep the labels stored before.
      this.deps.logger.warn('route labels not stored', { cluster, error: e as Error });
    }
  }
}
