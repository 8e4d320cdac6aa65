/**
 * Turning what the agent collected into `AgentBatch`es ready to send: clipped to the schema's limits,
 * serialized, gzip'd and, when the result would exceed `BATCH_LIMITS.maxCompressedBytes` (or what ingest
 * enforces on the JSON: `maxJsonBytes` and the values and containers of `json-shape.ts`), split by nodes
 * into parts. Cluster-scoped lists (unscheduled pods, workloads, namespaces, events, control plane) ride in part 0;
 * a node's scrape error rides with the node.
 */
import { promisify } from 'util';
import { gzip as gzipCb } from 'zlib';
import type { AgentBatch, NodeReport } from '../../model/batch';
import { BATCH_LIMITS, BATCH_VERSION } from '../../model/batch-constants';
import { checkJsonShape } from '../../model/json-shape';
import type { EpochMs } from '../../model/time';

const gzip = promisify(gzipCb);

/** Everything one batch (before any split) carries: the batch without what sending stamps on it. */
export type BatchContent = Omit<AgentBatch, 'v' | 'sentAt' | 'part'>;

/** One batch on its way: the gzip'd body and what logs and counters need to know about it. */
export interface EncodedBatch {
  readonly seq: number;
  readonly kind: AgentBatch['kind'];
  readonly part?: { readonly index: number; readonly count: number };
  readonly nodes: number;
  /** gzip(JSON), what is sent. */
  readonly body: Buffer;
  /** Size of the JSON before gzip. */
  readonly rawBytes: number;
}

export interface EncodeOptions {
  /** @default BATCH_LIMITS.maxCompressedBytes */
  readonly maxCompressedBytes?: number;
  /** @default BATCH_LIMITS.maxJsonBytes */
  readonly maxJsonBytes?: number;
  /** Stamped as `sentAt`: the batch is sent as soon as it is built. */
  readonly sentAt: EpochMs;
}

/** What was cut to fit the schema's limits, for the log. */
export interface Clipped {
  readonly pods: number;
  readonly unscheduledPods: number;
  readonly workloads: number;
  readonly events: number;
  readonly scrapeErrors: number;
}

const L = BATCH_LIMITS;

function clipContent(c: BatchContent): { content: BatchContent; clipped: Clipped } {
  let pods = 0;
  const nodes = c.nodes.map((n) => {
    if (n.pods.length <= L.maxPodsPerNode) return n;
    pods += n.pods.length - L.maxPodsPerNode;
    return { ...n, pods: n.pods.slice(0, L.maxPodsPerNode) };
  });
  // Most recent events first, so the cut drops the oldest.
  const events = c.events.length > L.maxEvents ? [...c.events].sort((a, b) => b.lastSeen - a.lastSeen).slice(0, L.maxEvents) : c.events;
  return {
    content: {
      ...c,
      nodes,
      unscheduledPods: c.unscheduledPods.slice(0, L.maxUnscheduledPods),
      workloads: c.workloads.slice(0, L.maxWorkloads),
      ...(c.namespaces ? { namespaces: c.namespaces.slice(0, L.maxNamespaces) } : {}),
      events,
      scrapeErrors: c.scrapeErrors.slice(0, L.maxScrapeErrors),
    },
    clipped: {
      pods,
      unscheduledPods: Math.max(0, c.unscheduledPods.length - L.maxUnscheduledPods),
      workloads: Math.max(0, c.workloads.length - L.maxWorkloads),
      events: c.events.length - events.length,
      scrapeErrors: Math.max(0, c.scrapeErrors.length - L.maxScrapeErrors),
    },
  };
}

function batchOf(c: BatchContent, nodes: readonly NodeReport[], first: boolean, sentAt: EpochMs, part?: AgentBatch['part']): AgentBatch {
  const names = new Set(nodes.map((n) => n.node.name));
  return {
    v: BATCH_VERSION,
    cluster: c.cluster,
    kind: c.kind,
    seq: c.seq,
    collectedAt: c.collectedAt,
    sentAt,
    ...(part ? { part } : {}),
    agent: c.agent,
    nodes,
    unscheduledPods: first ? c.unscheduledPods : [],
    workloads: first ? c.workloads : [],
    ...(first && c.namespaces ? { namespaces: c.namespaces } : {}),
    events: first ? c.events : [],
    ...(first && c.controlPlane ? { controlPlane: c.controlPlane } : {}),
    ...(first && c.karpenter ? { karpenter: c.karpenter } : {}),
    scrapeErrors: part ? c.scrapeErrors.filter((e) => names.has(e.node)) : c.scrapeErrors,
    ...(c.dataAgeMs ? { dataAgeMs: c.dataAgeMs } : {}),
  };
}

/** The largest share a batch uses of any limit ingest enforces (1 = at the limit). */
type LimitShare = (e: Measured) => number;
interface Measured extends EncodedBatch {
  /** JSON values and containers, as ingest counts them (`Infinity` when ingest would refuse the shape). */
  readonly values: number;
  readonly containers: number;
}

async function encode(b: AgentBatch): Promise<Measured> {
  const json = Buffer.from(JSON.stringify(b));
  // Counted with limits no real batch reaches, so the result is the count itself.
  const shape = checkJsonShape(json, { ...L, maxJsonValues: Infinity, maxJsonContainers: Infinity });
  return {
    values: shape.ok ? shape.shape.values : Infinity,
    containers: shape.ok ? shape.shape.containers : Infinity,
    seq: b.seq,
    kind: b.kind,
    ...(b.part ? { part: b.part } : {}),
    nodes: b.nodes.length,
    body: await gzip(json),
    rawBytes: json.length,
  };
}

/** The content as one batch, or as parts that each fit; plus what had to be clipped. */
export async function encodeBatches(content: BatchContent, opts: EncodeOptions): Promise<{ batches: EncodedBatch[]; clipped: Clipped }> {
  const limit = opts.maxCompressedBytes ?? L.maxCompressedBytes;
  const jsonLimit = opts.maxJsonBytes ?? L.maxJsonBytes;
  const share: LimitShare = (e) => Math.max(e.body.length / limit, e.rawBytes / jsonLimit, e.values / L.maxJsonValues, e.containers / L.maxJsonContainers);
  const { content: c, clipped } = clipContent(content);
  // Sized from the nodes' JSON, measured one node at a time: a large cluster's whole batch (37 MiB of JSON
  // at 1,000 nodes) is never built only to be split. Gzip shrinks batch JSON 5-8 times; counting on 4 gives
  // parts well within the limit, which the halving below still checks.
  const nodeJsonBytes = c.nodes.reduce((a, n) => a + JSON.stringify(n).length, 0);
  let parts = Math.max(Math.ceil(c.nodes.length / L.maxNodes), Math.ceil(nodeJsonBytes / Math.min(jsonLimit * 0.8, limit * 4)));
  if (parts <= 1) {
    const whole = await encode(batchOf(c, c.nodes, true, opts.sentAt));
    // A lone node (or none) cannot be split further: sent as is, ingest may answer 413.
    if (share(whole) <= 1 || c.nodes.length <= 1) return { batches: [sendable(whole)], clipped };
    parts = Math.ceil(share(whole) / 0.8);
  }
  // Group the nodes so each group fits, halving any group that does not. Sizes are measured with a
  // placeholder `part` (a few bytes shorter than the real one); the 10 % margin below the limits absorbs that.
  const fits = async (nodes: readonly NodeReport[], first: boolean) => {
    if (nodes.length <= 1) return true;
    if (nodes.length > L.maxNodes) return false;
    return share(await encode(batchOf(c, nodes, first, opts.sentAt, { index: 0, count: 1 }))) <= 0.9;
  };
  const groups: NodeReport[][] = [];
  const size = Math.ceil(c.nodes.length / parts);
  const pending = Array.from({ length: Math.ceil(c.nodes.length / size) }, (_, i) => ({ nodes: c.nodes.slice(i * size, (i + 1) * size), first: i === 0 }));
  while (pending.length) {
    const g = pending.shift() as { nodes: NodeReport[]; first: boolean };
    if (await fits(g.nodes, g.first)) {
      groups.push(g.nodes);
      continue;
    }
    const half = Math.ceil(g.nodes.length / 2);
    pending.unshift({ nodes: g.nodes.slice(0, half), first: g.first }, { nodes: g.nodes.slice(half), first: false });
  }
  if (groups.length > L.maxParts) throw new Error(`the batch needs ${groups.length} parts, more than the ${L.maxParts} a batch may have`);
  const batches = await Promise.all(groups.map(async (nodes, index) => sendable(await encode(batchOf(c, nodes, index === 0, opts.sentAt, { index, count: groups.length })))));
  return { batches, clipped };
}

function sendable({ values: _values, containers: _containers, ...batch }: Measured): EncodedBatch {
  return batch;
}
