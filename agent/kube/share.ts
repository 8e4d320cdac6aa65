/**
 * One copy of the values that many kept pods repeat. Each object the API sends is parsed into fresh
 * strings and objects, so 30,000 pods would hold 30,000 copies of their namespace, node name, images,
 * labels, requests and placement, though a cluster has a few hundred distinct ones (the pods of a
 * ReplicaSet differ in little more than their name and uid). Kept values are never mutated (the agent
 * builds new objects from them), so equal ones can be one.
 */
import type { PodRecord } from './project';

/** Distinct values kept per kind; past it the table starts over (sharing resumes, nothing is lost). */
const MAX_ENTRIES = 50_000;

export class Shared {
  private readonly strings = new Map<string, string>();
  /** Objects by their JSON. */
  private readonly objects = new Map<string, unknown>();

  string<S extends string | undefined>(s: S): S {
    if (s === undefined) return s;
    const kept = this.strings.get(s);
    if (kept !== undefined) return kept as S;
    if (this.strings.size >= MAX_ENTRIES) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }

  /** The kept object equal to `v` (compared by its JSON, so key order counts): never to be mutated. */
  object<T extends object | undefined>(v: T): T {
    if (v === undefined) return v;
    const key = JSON.stringify(v);
    const kept = this.objects.get(key);
    if (kept !== undefined) return kept as T;
    if (this.objects.size >= MAX_ENTRIES) this.objects.clear();
    this.objects.set(key, v);
    return v;
  }
}

/** The pod record with its repeated strings and objects shared; its own name, uid and times stay its own. */
export function sharePod(r: PodRecord, shared: Shared): PodRecord {
  const p = r.pod;
  const pod = {
    ...p,
    namespace: shared.string(p.namespace),
    ...(p.node ? { node: shared.string(p.node) } : {}),
    labels: shared.object(p.labels),
    ...(p.placement ? { placement: shared.object(p.placement) } : {}),
    containers: p.containers.map((c) => ({
      ...c,
      name: shared.string(c.name),
      image: shared.string(c.image),
      requests: shared.object(c.requests),
      limits: shared.object(c.limits),
    })),
  };
  return {
    ...r,
    pod,
    ...(r.controller ? { controller: shared.object(r.controller) } : {}),
    ...(r.templateHash ? { templateHash: shared.string(r.templateHash) } : {}),
  };
}
