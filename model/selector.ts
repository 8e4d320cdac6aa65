/**
 * Selecting containers by labels and tags, and finding those far above their peers: the query behind
 * "all containers of image `web` in zone a whose CPU is 50% above their group's average". Used by the
 * store's container query, the `vigil query` command and the evaluator's peer-outlier rule.
 */
import { workloadName, type Container, type KubeNodeMinute, type Pod } from './domain';
import type { EpochMs, Minute } from './time';

/** One container in one minute, flattened with the tags it can be selected by. */
export interface ContainerSample {
  readonly minute: Minute;
  readonly node: string;
  readonly zone?: string;
  readonly nodeGroup?: string;
  readonly instanceType?: string;
  readonly capacityType?: string;
  readonly namespace: string;
  readonly pod: string;
  /** `Kind/name`. */
  readonly workload: string;
  readonly container: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly restarts: number;
  readonly cpuMilli?: number;
  readonly memoryWorkingSetBytes?: number;
  readonly cpuRequestMilli?: number;
  readonly memoryRequestBytes?: number;
  readonly memoryLimitBytes?: number;
}

/** One container of a node-minute, with the tags it can be selected by. */
export function containerSample(k: KubeNodeMinute, pod: Pod, c: Container): ContainerSample {
  return {
    minute: k.minute,
    node: k.node.name,
    zone: k.node.zone,
    nodeGroup: k.node.nodeGroup ?? k.node.nodePool,
    instanceType: k.node.instanceType,
    capacityType: k.node.capacityType,
    namespace: pod.namespace,
    pod: pod.name,
    workload: workloadName(pod.workload),
    container: c.name,
    image: c.image,
    labels: pod.labels,
    restarts: c.restarts,
    cpuMilli: c.usage?.cpuMilli,
    memoryWorkingSetBytes: c.usage?.memoryWorkingSetBytes,
    cpuRequestMilli: c.requests.cpuMilli,
    memoryRequestBytes: c.requests.memoryBytes,
    memoryLimitBytes: c.limits.memoryBytes,
  };
}

/** Tags a selector can test; any other key is a pod label. */
export const SELECTOR_TAGS = [
  'namespace',
  'workload',
  'pod',
  'container',
  'image',
  'node',
  'zone',
  'nodeGroup',
  'instanceType',
  'capacityType',
] as const;
export type SelectorTag = (typeof SELECTOR_TAGS)[number];

/** Every term must match. Values may use `*` as a wildcard. */
export interface ContainerSelector {
  readonly tags?: Partial<Record<SelectorTag, string>>;
  readonly labels?: Readonly<Record<string, string>>;
}

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

/**
 * Parses `image=web zone=eu-west-1a app.kubernetes.io/part-of=shop` (terms separated by spaces or commas).
 * Keys in `SELECTOR_TAGS` select tags; `label:<key>` or any other key selects a pod label.
 */
export function parseSelector(text: string): ContainerSelector {
  const tags: Partial<Record<SelectorTag, string>> = {};
  const labels: Record<string, string> = {};
  for (const term of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = term.indexOf('=');
    if (eq <= 0 || eq === term.length - 1) throw new SelectorError(`selector term "${term}" is not key=value`);
    const key = term.slice(0, eq);
    const value = term.slice(eq + 1);
    if (key.startsWith('label:')) labels[key.slice(6)] = value;
    else if ((SELECTOR_TAGS as readonly string[]).includes(key)) tags[key as SelectorTag] = value;
    else labels[key] = value;
  }
  return { tags, labels };
}

const globCache = new Map<string, RegExp>();
/** `*` matches anything (including nothing); everything else literally. */
export function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    globCache.set(pattern, re);
  }
  return re;
}

/**
 * The repository's short name of an image: `123.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.4@sha256:…` → `web`.
 * A selector `image=web` matches it, as does the full reference.
 */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0];
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon < 0 ? last : last.slice(0, colon);
}

function tagValue(s: ContainerSample, tag: SelectorTag): string | undefined {
  return s[tag];
}

export function matchesSelector(s: ContainerSample, sel: ContainerSelector): boolean {
  for (const [tag, pattern] of Object.entries(sel.tags ?? {}) as [SelectorTag, string][]) {
    const re = glob(pattern);
    if (tag === 'image') {
      if (!re.test(s.image) && !re.test(imageName(s.image))) return false;
    } else if (tag === 'workload') {
      // `workload=web` matches `Deployment/web` as well as the full `Kind/name`.
      if (!re.test(s.workload) && !re.test(s.workload.slice(s.workload.indexOf('/') + 1))) return false;
    } else {
      const v = tagValue(s, tag);
      if (v === undefined || !re.test(v)) return false;
    }
  }
  for (const [key, pattern] of Object.entries(sel.labels ?? {})) {
    const v = s.labels[key];
    if (v === undefined || !glob(pattern).test(v)) return false;
  }
  return true;
}

export type PeerMetric = 'cpuMilli' | 'memoryWorkingSetBytes';

/** The tags containers can be grouped by; `label:<key>` groups by a pod label. */
export const PEER_FIELDS = ['workload', 'image', 'zone', 'namespace', 'nodeGroup', 'container'] as const;
export type PeerField = (typeof PEER_FIELDS)[number] | `label:${string}`;

/** What containers are grouped by; `workload` compares replicas, `image+zone` compares across workloads. */
export type PeerGrouping = readonly PeerField[];

/** A Kubernetes label key: an optional DNS-subdomain prefix and `/`, then a name of up to 63 characters. */
const LABEL_KEY = /^(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** What is wrong with a grouping entry, or undefined when it is a `PeerField`. */
export function peerFieldProblem(field: string): string | undefined {
  if ((PEER_FIELDS as readonly string[]).includes(field)) return undefined;
  if (field.startsWith('label:')) return LABEL_KEY.test(field.slice(6)) ? undefined : `"${field}": "${field.slice(6)}" is not a label key`;
  return `"${field}": expected one of ${PEER_FIELDS.join(', ')} or label:<key>`;
}

/** A container's value of a grouping field; undefined when its pod lacks the label (it has no peers by it). */
function peerValue(s: ContainerSample, field: PeerField): string | undefined {
  if (field.startsWith('label:')) return s.labels[field.slice(6)];
  if (field === 'image') return imageName(s.image);
  if (field === 'workload') return `${s.namespace}/${s.workload}`;
  return s[field as Exclude<(typeof PEER_FIELDS)[number], 'image' | 'workload'>] ?? '-';
}

export interface PeerRow {
  readonly group: string;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly workload: string;
  readonly node: string;
  readonly zone?: string;
  /** Mean of the metric over the minutes the container was seen. */
  readonly value: number;
  readonly groupAverage: number;
  readonly groupSize: number;
  /** How far above the group average, in percent (negative when below). */
  readonly abovePct: number;
  readonly outlier: boolean;
  readonly minutes: number;
  readonly from: EpochMs;
  readonly to: EpochMs;
}

/**
 * Averages each container's metric over the window, groups containers, and marks those more than
 * `thresholdPct` above their group's average. The average includes the container itself, as a person
 * reading "50% above the group's average" expects. Groups of fewer than `minGroupSize` are never outliers.
 * Containers of pods without a grouping label are left out.
 */
export function peerOutliers(
  samples: readonly ContainerSample[],
  opts: { readonly groupBy: PeerGrouping; readonly metric: PeerMetric; readonly thresholdPct: number; readonly minGroupSize?: number },
): PeerRow[] {
  const minGroup = opts.minGroupSize ?? 3;
  const perContainer = new Map<string, { s: ContainerSample; sum: number; n: number; from: number; to: number }>();
  for (const s of samples) {
    const v = s[opts.metric];
    if (v === undefined) continue;
    const id = `${s.namespace}/${s.pod}/${s.container}`;
    const acc = perContainer.get(id);
    if (acc) {
      acc.sum += v;
      acc.n++;
      acc.from = Math.min(acc.from, s.minute);
      acc.to = Math.max(acc.to, s.minute);
      acc.s = s.minute >= acc.s.minute ? s : acc.s;
    } else perContainer.set(id, { s, sum: v, n: 1, from: s.minute, to: s.minute });
  }
  const groupKey = (s: ContainerSample): string | undefined => {
    const values = opts.groupBy.map((g) => peerValue(s, g));
    return values.includes(undefined) ? undefined : values.join(' ');
  };
  const groups = new Map<string, { sum: number; n: number }>();
  const rows = [...perContainer.values()].flatMap((c) => {
    const group = groupKey(c.s);
    return group === undefined ? [] : [{ ...c, mean: c.sum / c.n, group }];
  });
  for (const r of rows) {
    const g = groups.get(r.group) ?? { sum: 0, n: 0 };
    g.sum += r.mean;
    g.n++;
    groups.set(r.group, g);
  }
  return rows
    .map((r) => {
      const g = groups.get(r.group)!;
      const avg = g.sum / g.n;
      const abovePct = avg > 0 ? ((r.mean - avg) / avg) * 100 : 0;
      return {
        group: r.group,
        namespace: r.s.namespace,
        pod: r.s.pod,
        container: r.s.container,
        workload: r.s.workload,
        node: r.s.node,
        zone: r.s.zone,
        value: r.mean,
        groupAverage: avg,
        groupSize: g.n,
        abovePct,
        outlier: g.n >= minGroup && abovePct > opts.thresholdPct,
        minutes: r.n,
        from: r.from,
        to: r.to,
      };
    })
    .sort((a, b) => a.group.localeCompare(b.group) || b.value - a.value);
}
