/**
 * Kubernetes values the domain model and Karpenter's model share: a condition's status and a resource list.
 * Their own module, so `domain.ts` (which carries Karpenter's state in the rollup) and `karpenter.ts` both
 * import them without importing each other.
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A resource list (capacity, allocatable, requests, limits). Absent = not set. */
export interface Resources {
  readonly cpuMilli?: number;
  readonly memoryBytes?: number;
  readonly ephemeralStorageBytes?: number;
  readonly pods?: number;
}
