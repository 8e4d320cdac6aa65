/**
 * What a Vigil function costs a month in Lambda compute, from what the bench measures: CPU time, and the
 * time spent waiting on AWS. Shared by the component benches and the cost model so they cannot disagree.
 */
import { DEFAULT_MEMORY_MB } from '../lib/vigil-function';
import { MINUTES_PER_MONTH, PRICES } from './prices';

/**
 * Lambda gives a full vCPU at 1,769 MB and a proportional share below, so a CPU-second costs 1.769 GB-s at
 * any size up to that; waiting costs memory × time on top.
 */
const GB_SECONDS_PER_CPU_SECOND = 1.769;

/** The stack's default memory, in GB. */
export const DEFAULT_MEMORY_GB = DEFAULT_MEMORY_MB / 1024;

/** Monthly arm64 compute of a function invoked once a minute. */
export function lambdaComputeMonthly(cpuMs: number, waitMs: number, memoryGb = DEFAULT_MEMORY_GB): number {
  const gbSeconds = (cpuMs / 1000) * GB_SECONDS_PER_CPU_SECOND + (waitMs / 1000) * memoryGb;
  return gbSeconds * MINUTES_PER_MONTH * PRICES.lambda.perGbSecondArm;
}
