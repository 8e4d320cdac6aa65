/**
 * A pod's hard scheduling constraints, projected from its spec for the fit checks: nodeSelector, required
 * node affinity, tolerations, required pod anti-affinity and DoNotSchedule spread by hostname or zone, and
 * the zones its bound PersistentVolumes allow. Soft rules never leave a pod Pending and are not kept;
 * topology keys other than hostname and zone are dropped (Vigil has no other domain to place against).
 */
import { BATCH_LIMITS } from '../../model/batch-constants';
import type { AntiAffinityTerm, LabelRequirement, Placement, SpreadConstraint, Taint, Toleration, TopologyKind } from '../../model/domain';
import type {
  LabelSelectorObject,
  NodeSelectorObject,
  PersistentVolumeClaimObject,
  PersistentVolumeObject,
  PodObject,
  SelectorRequirementObject,
} from './objects';
import { clip, clipLabels } from './project';

const L = BATCH_LIMITS;
const OPERATORS = new Set<string>(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);
const EFFECTS = new Set<string>(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
/** Labels that name a node's zone: the well-known one, its deprecated form, and the EBS CSI driver's. */
const ZONE_KEYS: ReadonlySet<string> = new Set([
  'topology.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.ebs.csi.aws.com/zone',
]);
const HOSTNAME_KEY = 'kubernetes.io/hostname';

const some = <T>(xs: readonly T[]) => xs.slice(0, L.maxPlacementTerms);

function topologyOf(key: string): TopologyKind | undefined {
  if (key === HOSTNAME_KEY) return 'hostname';
  return ZONE_KEYS.has(key) ? 'zone' : undefined;
}

function requirementOf(r: SelectorRequirementObject): LabelRequirement | undefined {
  if (!r.key || !OPERATORS.has(r.operator)) return undefined;
  const values = some(r.values ?? []).map((v) => clip(v, L.maxLabelValueLength));
  return {
    key: clip(r.key, L.maxLabelKeyLength),
    operator: r.operator as LabelRequirement['operator'],
    ...(values.length ? { values } : {}),
  };
}

function requirementsOf(rs: readonly SelectorRequirementObject[] | undefined): LabelRequirement[] {
  return some((rs ?? []).map(requirementOf).filter((r): r is LabelRequirement => r !== undefined));
}

/** A label selector as requirements: each `matchLabels` entry is an `In` of one value. */
function selectorOf(s: LabelSelectorObject | undefined): LabelRequirement[] {
  const labels = Object.entries(s?.matchLabels ?? {}).map(([key, v]) => ({ key, operator: 'In', values: [v] }));
  return requirementsOf([...labels, ...(s?.matchExpressions ?? [])]);
}

function nodeTermsOf(n: NodeSelectorObject | undefined): LabelRequirement[][] {
  // An empty term matches no node, as in the scheduler; kept so the pod is shown as unplaceable.
  return some((n?.nodeSelectorTerms ?? []).map((t) => requirementsOf(t.matchExpressions)));
}

function tolerationOf(t: NonNullable<NonNullable<PodObject['spec']>['tolerations']>[number]): Toleration {
  return {
    ...(t.key ? { key: clip(t.key, L.maxLabelKeyLength) } : {}),
    ...(t.operator === 'Exists' || t.operator === 'Equal' ? { operator: t.operator } : {}),
    ...(t.value ? { value: clip(t.value, L.maxLabelValueLength) } : {}),
    ...(t.effect && EFFECTS.has(t.effect) ? { effect: t.effect as Taint['effect'] } : {}),
  };
}

/** The placement in a pod's spec, without its volumes' zones (those need the claims: `volumeZonesOf`). */
export function placementOf(spec: PodObject['spec']): Placement | undefined {
  if (!spec) return undefined;
  const nodeSelector = clipLabels(spec.nodeSelector);
  const nodeAffinity = nodeTermsOf(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
  const tolerations = some(spec.tolerations ?? []).map(tolerationOf);
  const antiAffinity: AntiAffinityTerm[] = [];
  for (const t of spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    const topology = topologyOf(t.topologyKey);
    if (topology) antiAffinity.push({ topology, selector: selectorOf(t.labelSelector) });
  }
  const spread: SpreadConstraint[] = [];
  for (const c of spec.topologySpreadConstraints ?? []) {
    const topology = topologyOf(c.topologyKey);
    if (topology && c.whenUnsatisfiable === 'DoNotSchedule' && c.maxSkew >= 1)
      spread.push({ topology, maxSkew: Math.floor(c.maxSkew), selector: selectorOf(c.labelSelector) });
  }
  const out: { -readonly [K in keyof Placement]: Placement[K] } = {};
  if (Object.keys(nodeSelector).length) out.nodeSelector = nodeSelector;
  if (nodeAffinity.length) out.nodeAffinity = nodeAffinity;
  if (tolerations.length) out.tolerations = tolerations;
  if (antiAffinity.length) out.antiAffinity = some(antiAffinity);
  if (spread.length) out.spread = some(spread);
  return Object.keys(out).length ? out : undefined;
}

/** The claims a pod mounts, `namespace/name`. */
export function claimsOf(o: PodObject): string[] {
  const ns = o.metadata?.namespace;
  return (o.spec?.volumes ?? []).flatMap((v) =>
    ns && v.persistentVolumeClaim?.claimName ? [`${ns}/${v.persistentVolumeClaim.claimName}`] : [],
  );
}

/** A claim, reduced to the volume it is bound to. */
export function projectClaim(o: PersistentVolumeClaimObject): string | undefined {
  return o.spec?.volumeName || undefined;
}

/** A volume, reduced to the zones its node affinity allows (empty: any zone). */
export function projectVolume(o: PersistentVolumeObject): readonly string[] | undefined {
  if (!o.metadata?.name) return undefined;
  const zones = new Set<string>();
  for (const term of nodeTermsOf(o.spec?.nodeAffinity?.required)) {
    for (const r of term) if (ZONE_KEYS.has(r.key) && r.operator === 'In') for (const z of r.values ?? []) zones.add(z);
  }
  return [...zones].sort();
}

/** The zones all of a pod's bound volumes allow; undefined when none restricts it. */
export function volumeZonesOf(
  claims: readonly string[],
  volumeOf: (claim: string) => string | undefined,
  zonesOf: (volume: string) => readonly string[] | undefined,
): string[] | undefined {
  let allowed: string[] | undefined;
  for (const c of claims) {
    const volume = volumeOf(c);
    const zones = volume === undefined ? undefined : zonesOf(volume);
    if (!zones?.length) continue;
    allowed = allowed ? allowed.filter((z) => zones.includes(z)) : [...zones];
  }
  return allowed && some(allowed);
}

/** The node label keys some placement names: only these are sent with each node. */
export function labelKeysNamed(placements: Iterable<Placement | undefined>): Set<string> {
  const keys = new Set<string>();
  for (const p of placements) {
    if (!p) continue;
    for (const k of Object.keys(p.nodeSelector ?? {})) keys.add(k);
    for (const term of p.nodeAffinity ?? []) for (const r of term) keys.add(r.key);
  }
  return keys;
}

/** `labels` reduced to `keys`; undefined when none is left. */
export function labelsNamed(labels: Readonly<Record<string, string>>, keys: ReadonlySet<string>): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const k of keys) if (labels[k] !== undefined) (out ??= {})[k] = labels[k];
  return out;
}
