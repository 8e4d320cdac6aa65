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
    ...(c.shard ? { shard: c.shard } : {}),
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

/** What a batch, or one node's share of it, weighs against ingest's limits on the JSON. */
interface Weight {
  readonly bytes: number;
  /** JSON values and containers, as ingest counts them. */
  readonly values: number;
  readonly containers: number;
}

interface Encoded extends EncodedBatch {
  /** Ingest would refuse its shape (depth, members, distinct keys), whatever its size. */
  readonly refusedShape: boolean;
  readonly values: number;
  readonly containers: number;
}

async function encode(b: AgentBatch): Promise<Encoded> {
  const json = Buffer.from(JSON.stringify(b));
  // Counted with limits no real batch reaches, so the result is the count itself.
  const shape = checkJsonShape(json, { ...L, maxJsonValues: Infinity, maxJsonContainers: Infinity });
  return {
    refusedShape: !shape.ok,
    values: shape.ok ? shape.shape.values : 0,
    containers: shape.ok ? shape.shape.containers : 0,
    seq: b.seq,
    kind: b.kind,
    ...(b.part ? { part: b.part } : {}),
    nodes: b.nodes.length,
    body: await gzip(json),
    rawBytes: json.length,
  };
}

/**
 * A value's weight as `JSON.stringify` writes it, counted on the object (no text is scanned): values and
 * containers are additive, so a part's weight is its frame's plus its nodes'.
 */
function weigh(v: unknown): Weight {
  const json = JSON.stringify(v) ?? '';
  let values = 0;
  let containers = 0;
  const walk = (x: unknown): void => {
    values++;
    if (x === null || typeof x !== 'object') return;
    containers++;
    if (Array.isArray(x)) {
      for (const e of x) walk(e === undefined || typeof e === 'function' ? null : e);
      return;
    }
    for (const k of Object.keys(x)) {
      const e = (x as Record<string, unknown>)[k];
      if (e !== undefined && typeof e !== 'function') walk(e);
    }
  };
  walk(v);
  return { bytes: Buffer.byteLength(json), values, containers };
}

const add = (a: Weight, b: Weight): Weight => ({
  bytes: a.bytes + b.bytes,
  values: a.values + b.values,
  containers: a.containers + b.containers,
});

/**
 * Consecutive nodes grouped so that each part's weight stays within `room`: part 0 carries the cluster-wide
 * lists (`first`), the others only the frame (`rest`). A node heavier than `room` alone gets a part alone.
 */
export function groupByWeight(nodes: readonly Weight[], first: Weight, rest: Weight, room: Weight, maxNodes: number): number[] {
  const sizes: number[] = [];
  let w = first;
  let n = 0;
  for (const node of nodes) {
    const next = add(w, node);
    if (n > 0 && (n >= maxNodes || next.bytes > room.bytes || next.values > room.values || next.containers > room.containers)) {
      sizes.push(n);
      w = add(rest, node);
      n = 1;
    } else {
      w = next;
      n++;
    }
  }
  if (n > 0 || sizes.length === 0) sizes.push(n);
  return sizes;
}

/**
 * The content as one batch, or as parts that each fit; plus what had to be clipped. Parts are planned from
 * each node's weight, measured once on the objects, then each part is encoded once, one after the other:
 * a large cluster's whole batch (37 MiB of JSON at 1,000 nodes) is never built, nor encoded twice, nor held
 * as JSON all at once. Gzip always shrinks batch JSON, so the JSON limits bind first; the compressed size
 * and the key-shape limits are checked on every encoded part, and a part over them is halved.
 */
export async function encodeBatches(content: BatchContent, opts: EncodeOptions): Promise<{ batches: EncodedBatch[]; clipped: Clipped }> {
  const limit = opts.maxCompressedBytes ?? L.maxCompressedBytes;
  const jsonLimit = opts.maxJsonBytes ?? L.maxJsonBytes;
  const fits = (e: Encoded) =>
    !e.refusedShape &&
    e.body.length <= limit &&
    e.rawBytes <= jsonLimit &&
    e.values <= L.maxJsonValues &&
    e.containers <= L.maxJsonContainers;
  const { content: c, clipped } = clipContent(content);
  const errors = new Map(c.scrapeErrors.map((e) => [e.node, e]));
  // A node with its scrape error, and the two commas that join them to their lists.
  const comma = { bytes: 1, values: 0, containers: 0 };
  const nodes = c.nodes.map((n) => {
    const error = errors.get(n.node.name);
    const w = add(weigh(n), comma);
    return error ? add(w, add(weigh(error), comma)) : w;
  });
  const frame = (first: boolean, part?: AgentBatch['part']) => weigh(batchOf({ ...c, scrapeErrors: [] }, [], first, opts.sentAt, part));
  const whole = add(frame(true), nodes.reduce(add, { bytes: 0, values: 0, containers: 0 }));
  if (
    c.nodes.length <= L.maxNodes &&
    whole.bytes <= jsonLimit &&
    whole.values <= L.maxJsonValues &&
    whole.containers <= L.maxJsonContainers
  ) {
    const one = await encode(batchOf(c, c.nodes, true, opts.sentAt));
    // A lone node (or none) cannot be split further: sent as is, ingest may answer 413.
    if (fits(one) || c.nodes.length <= 1) return { batches: [sendable(one)], clipped };
  }
  // Planned at 90 % of the limits: the frame is measured with a placeholder `part`, a few bytes shorter.
  const room = { bytes: jsonLimit * 0.9, values: L.maxJsonValues * 0.9, containers: L.maxJsonContainers * 0.9 };
  const placeholder = { index: 0, count: 1 };
  let sizes = groupByWeight(nodes, frame(true, placeholder), frame(false, placeholder), room, L.maxNodes);
  for (;;) {
    if (sizes.length > L.maxParts) throw new Error(`the batch needs ${sizes.length} parts, more than the ${L.maxParts} a batch may have`);
    const batches: Encoded[] = [];
    const over: number[] = [];
    let start = 0;
    for (const [index, size] of sizes.entries()) {
      const e = await encode(batchOf(c, c.nodes.slice(start, start + size), index === 0, opts.sentAt, { index, count: sizes.length }));
      if (!fits(e) && size > 1) over.push(index);
      batches.push(e);
      start += size;
    }
    if (!over.length) return { batches: batches.map(sendable), clipped };
    // Rare (a part over the compressed limit, or too many distinct keys): halve those, encode all again.
    sizes = sizes.flatMap((size, i) => (over.includes(i) ? [Math.ceil(size / 2), Math.floor(size / 2)] : [size]));
  }
}

function sendable({ refusedShape: _refused, values: _values, containers: _containers, ...batch }: Encoded): EncodedBatch {
  return batch;
}
