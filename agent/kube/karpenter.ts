/**
 * Karpenter's NodePools and NodeClaims (`karpenter.sh/v1`), listed and watched read-only, only while the API
 * server serves them. Discovery (`GET /apis/karpenter.sh/v1`) decides: a 404 means Karpenter (or EKS Auto
 * Mode) is not installed, which is no error; it is asked again at a slow interval, so Karpenter installed
 * later is noticed and one uninstalled stops being watched. Nothing is retried faster than that.
 */
import type { Logger } from '../../common/log';
import { instanceIdFromProviderId } from '../../model/domain';
import {
  needsAttention,
  type DisruptionBudget,
  type KarpenterNodeClaim,
  type KarpenterNodePool,
  type KarpenterState,
  type NodePoolResources,
} from '../../model/karpenter';
import { statusOf, type KubeApi } from './api';
import type { ConditionObject, KubeObject, Quantities } from './objects';
import { clip, clipName, conditionsOf, optional, optionalTime, resourcesOf } from './project';
import { quantity } from '../../model/quantity';
import { Reflector, type ReflectorOptions } from './reflector';

export const KARPENTER_API = '/apis/karpenter.sh/v1';
const NODEPOOLS = 'nodepools';
const NODECLAIMS = 'nodeclaims';
/** Budgets per NodePool (the CRD allows 50). */
const MAX_BUDGETS = 50;

interface NodePoolObject extends KubeObject {
  readonly spec?: {
    readonly template?: {
      readonly spec?: { readonly nodeClassRef?: { readonly group?: string; readonly kind?: string; readonly name?: string } };
    };
    readonly limits?: Quantities;
    readonly disruption?: {
      readonly budgets?: readonly {
        readonly nodes?: string;
        readonly reasons?: readonly string[];
        readonly schedule?: string;
        readonly duration?: string;
      }[];
    };
  };
  readonly status?: { readonly resources?: Quantities; readonly conditions?: readonly ConditionObject[] };
}

interface NodeClaimObject extends KubeObject {
  readonly status?: { readonly nodeName?: string; readonly providerID?: string; readonly conditions?: readonly ConditionObject[] };
}

function poolResources(q: Quantities | undefined): NodePoolResources | undefined {
  if (!q) return undefined;
  const nodes = quantity(q.nodes);
  return { ...resourcesOf(q), ...(nodes !== undefined && nodes >= 0 ? { nodes: Math.floor(nodes) } : {}) };
}

export function projectNodePool(o: NodePoolObject): KarpenterNodePool | undefined {
  const name = o.metadata?.name;
  if (!name) return undefined;
  const ref = o.spec?.template?.spec?.nodeClassRef;
  const budgets: DisruptionBudget[] = (o.spec?.disruption?.budgets ?? []).slice(0, MAX_BUDGETS).map((b) => ({
    nodes: clipName(b.nodes ?? '10%'),
    ...(b.reasons?.length ? { reasons: b.reasons.slice(0, 8).map(clipName) } : {}),
    ...optional('schedule', b.schedule ? clipName(b.schedule) : undefined),
    ...optional('duration', b.duration ? clipName(b.duration) : undefined),
  }));
  return {
    name: clipName(name),
    ...(ref?.name ? { nodeClass: { group: clipName(ref.group ?? ''), kind: clipName(ref.kind ?? ''), name: clipName(ref.name) } } : {}),
    ...optional('limits', poolResources(o.spec?.limits)),
    ...optional('resources', poolResources(o.status?.resources)),
    budgets,
    conditions: conditionsOf(o.status?.conditions),
  };
}

export function projectNodeClaim(o: NodeClaimObject): KarpenterNodeClaim | undefined {
  const name = o.metadata?.name;
  if (!name) return undefined;
  const labels = o.metadata?.labels ?? {};
  const providerId = o.status?.providerID;
  const label = (k: string) => (labels[k] ? clipName(labels[k]) : undefined);
  return {
    name: clipName(name),
    ...optional('nodePool', label('karpenter.sh/nodepool')),
    ...optional('nodeName', o.status?.nodeName ? clipName(o.status.nodeName) : undefined),
    ...optional('providerId', providerId ? clip(providerId, 506) : undefined),
    ...optional('instanceId', instanceIdFromProviderId(providerId)),
    ...optional('instanceType', label('node.kubernetes.io/instance-type')),
    ...optional('capacityType', label('karpenter.sh/capacity-type')),
    ...optionalTime('createdAt', o.metadata?.creationTimestamp),
    ...(o.metadata?.deletionTimestamp ? { deleting: true as const } : {}),
    conditions: conditionsOf(o.status?.conditions),
  };
}

/** The reflectors' shared settings: those of every other resource the agent watches. */
export type KarpenterReflectorOptions = Omit<ReflectorOptions<unknown>, 'resource' | 'path' | 'project' | 'onChange'>;

export interface KarpenterWatchOptions {
  readonly api: KubeApi;
  readonly logger: Logger;
  readonly reflector: KarpenterReflectorOptions;
  /** How often discovery is asked again. @default 10 minutes */
  readonly recheckMs?: number;
}

type Served = 'served' | 'absent' | 'unknown';

export class KarpenterWatch {
  private nodePools?: Reflector<KarpenterNodePool>;
  private nodeClaims?: Reflector<KarpenterNodeClaim>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** What the last discovery said, so the log tells only changes. */
  private last?: Served;

  constructor(private readonly opts: KarpenterWatchOptions) {}

  /** Asks discovery once (never throws), starts watching if served, and re-checks at the slow interval. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.discover();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.unwatch();
  }

  /** The reflectors running now (none while Karpenter is not served). */
  get reflectors(): readonly Reflector<unknown>[] {
    return ([this.nodePools, this.nodeClaims] as (Reflector<unknown> | undefined)[]).filter(
      (r): r is Reflector<unknown> => r !== undefined,
    );
  }

  /** NodePools and the NodeClaims that need a look, once both are listed; undefined without Karpenter. */
  snapshot(): KarpenterState | undefined {
    if (!this.nodePools?.synced || !this.nodeClaims?.synced) return undefined;
    const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
    return { nodePools: [...this.nodePools.items.values()].sort(byName), nodeClaims: [...this.nodeClaims.items.values()].sort(byName) };
  }

  private async discover(): Promise<void> {
    const served = await this.served();
    if (this.stopped) return;
    if (served === 'served') this.watch();
    else if (served === 'absent') await this.unwatch();
    if (served !== this.last) {
      const log = this.opts.logger;
      if (served === 'served') log.info('Karpenter NodePools and NodeClaims are served: watching them', { api: KARPENTER_API });
      else if (served === 'absent')
        log.info('Karpenter is not installed (karpenter.sh/v1 not served): NodePools and NodeClaims not read', {
          recheckMinutes: this.recheckMs / 60_000,
        });
      this.last = served;
    }
    this.timer = setTimeout(() => void this.discover(), this.recheckMs);
    this.timer.unref?.();
  }

  private get recheckMs(): number {
    return this.opts.recheckMs ?? 600_000;
  }

  /** Whether the group version serves both resources; `unknown` when discovery failed (kept as it is). */
  private async served(): Promise<Served> {
    try {
      const list = await this.opts.api.getJson<{ resources?: readonly { name?: string }[] }>(KARPENTER_API);
      const names = new Set((list.resources ?? []).map((r) => r.name));
      return names.has(NODEPOOLS) && names.has(NODECLAIMS) ? 'served' : 'absent';
    } catch (e) {
      if (statusOf(e) === 404) return 'absent';
      this.opts.logger.warn('Karpenter API discovery failed: asking again later', {
        api: KARPENTER_API,
        status: statusOf(e),
        error: (e as Error).message,
        recheckMinutes: this.recheckMs / 60_000,
      });
      return 'unknown';
    }
  }

  private watch(): void {
    if (this.nodePools) return;
    const common = this.opts.reflector;
    this.nodePools = new Reflector({
      ...common,
      resource: NODEPOOLS,
      path: `${KARPENTER_API}/${NODEPOOLS}`,
      project: (o) => projectNodePool(o as NodePoolObject),
    });
    // Only the NodeClaims that need a look are kept: a Ready one is its node.
    this.nodeClaims = new Reflector({
      ...common,
      resource: NODECLAIMS,
      path: `${KARPENTER_API}/${NODECLAIMS}`,
      project: (o) => {
        const nc = projectNodeClaim(o as NodeClaimObject);
        return nc && needsAttention(nc) ? nc : undefined;
      },
    });
    void this.nodePools.start();
    void this.nodeClaims.start();
  }

  private async unwatch(): Promise<void> {
    const running = this.reflectors;
    this.nodePools = this.nodeClaims = undefined;
    await Promise.all(running.map((r) => r.stop()));
  }
}
