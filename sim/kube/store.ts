/**
 * The API server's object store: the objects of each resource as served, a resourceVersion bumped by every
 * write, and the change history watches resume from (older resourceVersions get 410 Gone, as after etcd
 * compaction). It knows nothing of what the objects mean; `cluster.ts` renders them from its models.
 */
export type Resource =
  | 'nodes'
  | 'pods'
  | 'events'
  | 'deployments'
  | 'statefulsets'
  | 'daemonsets'
  | 'replicasets'
  | 'jobs'
  | 'persistentvolumeclaims'
  | 'persistentvolumes'
  | 'namespaces'
  | KarpenterResource;
/** Karpenter's cluster-scoped custom resources (`karpenter.sh/v1`), served only while `servesKarpenter`. */
export type KarpenterResource = 'nodepools' | 'nodeclaims';
export const RESOURCES: readonly Resource[] = [
  'nodes',
  'pods',
  'events',
  'deployments',
  'statefulsets',
  'daemonsets',
  'replicasets',
  'jobs',
  'persistentvolumeclaims',
  'persistentvolumes',
  'namespaces',
  'nodepools',
  'nodeclaims',
];

export type Json = Record<string, unknown>;

export interface Change {
  readonly rv: number;
  readonly resource: Resource;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object as of this change (never mutated afterwards). */
  readonly object: Json;
}

export class ObjectStore {
  private rv = 1000;
  private readonly objects = new Map<Resource, Map<string, Json>>(RESOURCES.map((r) => [r, new Map()]));
  private history: Change[] = [];
  /** The oldest resourceVersion a watch may still resume from. */
  private oldestResumable = 0;

  /** `onChange` hears every change as it is recorded (the cluster re-emits it to open watches). */
  constructor(
    private readonly historySize: number,
    private readonly onChange: (c: Change) => void,
  ) {}

  get resourceVersion(): number {
    return this.rv;
  }

  list(resource: Resource): Json[] {
    return [...(this.objects.get(resource) as Map<string, Json>).values()];
  }

  get(resource: Resource, key: string): Json | undefined {
    return this.objects.get(resource)?.get(key);
  }

  /** Changes to `resource` after `rv`, or `gone` when they are no longer kept (410). */
  changesSince(resource: Resource, rv: number): Change[] | 'gone' {
    if (rv < this.oldestResumable) return 'gone';
    return this.history.filter((c) => c.rv > rv && c.resource === resource);
  }

  /** Forgets the change history, as etcd compaction does: resuming watches get 410 Gone. */
  compact(): void {
    this.history = [];
    this.oldestResumable = this.rv;
  }

  write(resource: Resource, key: string, object: Json, type: 'ADDED' | 'MODIFIED'): void {
    const rv = ++this.rv;
    (object.metadata as Json).resourceVersion = String(rv);
    (this.objects.get(resource) as Map<string, Json>).set(key, object);
    this.record({ rv, resource, type, object });
  }

  remove(resource: Resource, key: string): void {
    const map = this.objects.get(resource) as Map<string, Json>;
    const old = map.get(key);
    if (!old) return;
    map.delete(key);
    const rv = ++this.rv;
    this.record({
      rv,
      resource,
      type: 'DELETED',
      object: { ...old, metadata: { ...(old.metadata as Json), resourceVersion: String(rv) } },
    });
  }

  private record(c: Change): void {
    this.history.push(c);
    if (this.history.length > this.historySize) {
      const dropped = this.history.splice(0, this.history.length - this.historySize);
      this.oldestResumable = dropped[dropped.length - 1].rv;
    }
    this.onChange(c);
  }
}
