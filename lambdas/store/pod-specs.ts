/**
 * A node-minute's Kubernetes part, split into what changes every minute and what does not.
 *
 * A pod's identity, labels, images, requests, limits and placement constraints (its *spec*) stay the same for its whole life, but
 * they are two thirds of a node-minute's bytes. The spec of all pods on a node is stored once per distinct
 * content (keyed by its hash) and each minute stores only the changing half plus that hash. A node whose pods
 * do not change writes ~1.8 KB a minute instead of ~4.6 KB (2 write units instead of 5).
 *
 * The split is by field name and lossless: `joinKubeMinute(splitKubeMinute(x))` deep-equals `x`. New fields
 * land in the minute half unless listed here.
 */
import { createHash } from 'crypto';
import type { Container, KubeNodeMinute, Pod } from '../../model/domain';

/** Pod fields fixed for the pod's life (labels can change, which just makes a new spec). */
const POD_SPEC_FIELDS = ['uid', 'namespace', 'name', 'qos', 'workload', 'labels', 'createdAt', 'placement'] as const;
const CONTAINER_SPEC_FIELDS = ['name', 'image', 'requests', 'limits'] as const;

type PodSpecField = (typeof POD_SPEC_FIELDS)[number];
type ContainerSpecField = (typeof CONTAINER_SPEC_FIELDS)[number];

export type ContainerSpec = Pick<Container, ContainerSpecField>;
export type PodSpec = Pick<Pod, PodSpecField> & { readonly containers: readonly ContainerSpec[] };
export type ContainerMinute = Omit<Container, ContainerSpecField>;
export type PodMinute = Omit<Pod, PodSpecField | 'containers'> & { readonly containers: readonly ContainerMinute[] };

/** What the K item holds: the node-minute without its pods' specs, and the hash that finds them. */
export interface StoredKubeMinute extends Omit<KubeNodeMinute, 'pods'> {
  readonly specHash: string;
  readonly pods: readonly PodMinute[];
}

function pick<T extends object, K extends keyof T>(o: T, fields: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const f of fields) if (o[f] !== undefined) out[f] = o[f];
  return out;
}

function omit<T extends object, K extends keyof T>(o: T, fields: readonly K[]): Omit<T, K> {
  const out = { ...o };
  for (const f of fields) delete out[f];
  return out;
}

export function splitKubeMinute(k: KubeNodeMinute): { specs: PodSpec[]; hash: string; minute: StoredKubeMinute } {
  const specs = k.pods.map((p) => ({
    ...pick(p, POD_SPEC_FIELDS),
    containers: p.containers.map((c) => pick(c, CONTAINER_SPEC_FIELDS)),
  }));
  const hash = specHash(specs);
  const pods = k.pods.map((p) => ({
    ...omit(p, [...POD_SPEC_FIELDS, 'containers']),
    containers: p.containers.map((c) => omit(c, CONTAINER_SPEC_FIELDS)),
  }));
  return { specs, hash, minute: { ...k, specHash: hash, pods } };
}

export function joinKubeMinute(stored: StoredKubeMinute, specs: readonly PodSpec[]): KubeNodeMinute {
  if (specs.length !== stored.pods.length) {
    throw new Error(`pod specs ${stored.specHash} list ${specs.length} pods, the minute lists ${stored.pods.length}`);
  }
  const { specHash: _hash, pods, ...rest } = stored;
  return {
    ...rest,
    pods: pods.map((p, i) => {
      const spec = specs[i];
      if (spec.containers.length !== p.containers.length) {
        throw new Error(`pod specs ${stored.specHash}: pod ${spec.namespace}/${spec.name} container count differs`);
      }
      // Object.assign, not spread: a spread of these objects costs several times as much (the evaluator
      // joins every container of the cluster each minute).
      return Object.assign({}, spec, p, { containers: spec.containers.map((c, j) => Object.assign({}, c, p.containers[j])) });
    }),
  };
}

/** A content hash: equal spec lists give equal hashes, so unchanged specs are not written again. */
export function specHash(specs: readonly PodSpec[]): string {
  return createHash('sha256').update(JSON.stringify(specs)).digest('base64url').slice(0, 22);
}

/** Sets `key` as the newest entry of a bounded map (the spec caches), dropping the oldest past `max`. */
export function remember<V>(map: Map<string, V>, key: string, value: V, max = 20_000): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}
