/**
 * The route labels of a cluster (`vigil:routeLabels`, e.g. `team`): for each namespace and each workload,
 * the values of those keys. Ingest lifts them from each full batch (workloads: the controller's labels,
 * else its pods' template labels; namespaces: from agents that report them) and stores them as one
 * document, rewritten only when they change (or a day old, so its TTL never lapses); the evaluator reads it
 * once per evaluation and labels each alert from its workload, else its namespace. Without any route label
 * in the cluster nothing is stored.
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
 * The route labels a full batch tells; undefined for a change batch, a later part of a split one or a shard other
 * than 0 of a sharded agent (the workloads and namespaces ride in part 0 of shard 0). Only entries with a route
 * label are kept.
 */
export function routeLabelsOf(batch: AgentBatch, keys: readonly string[]): RouteLabels | undefined {
  if (batch.kind !== 'full' || (batch.part?.index ?? 0) !== 0 || (batch.shard?.index ?? 0) !== 0 || keys.length === 0) return undefined;
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

/** The document: the labels and when they were stored (rewritten a day later at the latest, so the TTL never lapses). */
interface StoredRouteLabels extends RouteLabels {
  readonly writtenAt: EpochMs;
}

const isEmpty = (l: RouteLabels) => Object.keys(l.namespaces).length + Object.keys(l.workloads).length === 0;

/**
 * Stores a cluster's route labels when they changed or the stored ones are a day old: the same batch twice
 * writes nothing new. Between changes an instance neither reads nor writes (it remembers what is stored).
 * A write that loses to a concurrent one is left: both came from current batches.
 */
export class RouteLabelsWriter {
  private readonly stored = new Map<string, { readonly json: string; readonly writtenAt: EpochMs }>();

  constructor(
    private readonly deps: {
      readonly store: Pick<VigilStore, 'getDocument' | 'putDocument' | 'retentionDays'>;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  async write(cluster: string, labels: RouteLabels): Promise<void> {
    const now = this.deps.clock.now();
    const json = JSON.stringify(labels);
    const known = this.stored.get(cluster);
    if (known?.json === json && now - known.writtenAt < DAY_MS) return;
    try {
      const doc = await this.deps.store.getDocument<StoredRouteLabels>(cluster, ROUTE_LABELS_KIND, ROUTE_LABELS_ID);
      const current =
        doc &&
        JSON.stringify({ namespaces: doc.value.namespaces, workloads: doc.value.workloads }) === json &&
        now - doc.value.writtenAt < DAY_MS;
      if (current) {
        this.stored.set(cluster, { json, writtenAt: doc.value.writtenAt });
        return;
      }
      if (doc || !isEmpty(labels)) {
        const value: StoredRouteLabels = { ...labels, writtenAt: now };
        await this.deps.store.putDocument(cluster, ROUTE_LABELS_KIND, ROUTE_LABELS_ID, value, doc?.version, {
          expiresAt: now + this.deps.store.retentionDays * DAY_MS,
        });
      }
      this.stored.set(cluster, { json, writtenAt: now });
    } catch (e) {
      // The next batch tries again; alerts keep the labels stored before.
      this.deps.logger.warn('route labels not stored', { cluster, error: e as Error });
    }
  }
}
