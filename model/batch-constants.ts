/**
 * The parts of the batch contract that need no schema library: the version, the limits and the cluster-name
 * rule. `batch.ts` re-exports them with the zod schema; the agent imports them from here, so its bundle does
 * not carry zod (about 10 MB of resident memory).
 */
export const BATCH_VERSION = 1;

/** Limits of one batch. The agent splits by nodes to stay under the byte limits. */
export const BATCH_LIMITS = {
  /** Gzip'd body. A Function URL event is capped at 6 MB and the body arrives base64-encoded (×4/3). */
  maxCompressedBytes: 4 * 1024 * 1024,
  /**
   * Decompressed JSON, and the values, containers, depth, object members and distinct keys `JSON.parse`
   * would build from it (`json-shape.ts`), checked before it builds anything. Sized from real batches: the
   * agent's synthetic clusters carry about 47,000 values, 10,000 containers and 45,000 object members per
   * MiB, nest 8 deep, no object has more than 64 members (a pod's labels), and the distinct keys are the
   * schema's field names and the cluster's label keys (hundreds). The limits sit about a quarter above a
   * 4 MiB real part, so the largest cluster (5,000 nodes of 110 pods, about 700 MiB of JSON) fits in the
   * 400 parts, and the worst body within them is answered in about a second, far inside ingest's memory
   * (docs/ingest-and-collector.md, measured by `npm run bench`).
   */
  maxJsonBytes: 4 * 1024 * 1024,
  maxJsonValues: 250_000,
  maxJsonContainers: 60_000,
  maxJsonDepth: 16,
  maxObjectMembers: 64,
  maxDistinctKeys: 10_000,
  maxNodes: 5000,
  maxPodsPerNode: 1000,
  maxContainersPerPod: 100,
  maxUnscheduledPods: 10_000,
  maxWorkloads: 20_000,
  maxNamespaces: 10_000,
  maxEvents: 2000,
  maxScrapeErrors: 5000,
  /** Karpenter NodePools (a cluster has a handful) and their disruption budgets (the CRD allows 50). */
  maxNodePools: 1000,
  maxBudgets: 50,
  maxConditionsPerNode: 64,
  maxTaintsPerNode: 64,
  maxLabels: 64,
  /** Tolerations, affinity terms, requirements, their values, volume zones: each list of a pod's placement. */
  maxPlacementTerms: 64,
  /** Signals of a kubelet's `evictionHard` or `evictionSoft` (there are seven). */
  maxEvictionSignals: 16,
  maxReadyzChecks: 100,
  maxNameLength: 253,
  maxLabelKeyLength: 317,
  maxLabelValueLength: 63,
  maxImageLength: 1024,
  maxMessageLength: 2048,
  maxParts: 400,
  /** Shards of a sharded agent (`agent/shard.ts` MAX_SHARDS). */
  maxShards: 32,
  /** Memory, disk and other byte quantities: 1 PiB, more than any node has. */
  maxBytes: 2 ** 50,
  /** CPU: 10,000 cores. */
  maxCpuMilli: 10_000_000,
  /** API latency percentiles: an hour. */
  maxLatencyMs: 3_600_000,
} as const;

/** EKS cluster names: 1–100 characters, alphanumeric first, then alphanumerics, `-` and `_`. */
export const CLUSTER_NAME_PATTERN = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
export const CLUSTER_NAME_MESSAGE = 'expected an EKS cluster name (1-100 of A-Z a-z 0-9 - _)';
