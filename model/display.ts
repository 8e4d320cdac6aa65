/**
 * How stored figures read for people, shared by the HTML report and `vigil query`: short node names and
 * restart counters summed across pod replacements.
 */
import type { EpochMs } from './time';

/** `ip-10-0-1-23.eu-west-1.compute.internal` → `ip-10-0-1-23`: EC2's default private DNS suffixes add nothing. */
export function shortNode(name: string): string {
  return name.replace(/\.(?:[a-z0-9-]+\.)?compute\.internal$|\.ec2\.internal$/, '');
}

/** Increase-only running sum of a counter that resets when pods are replaced (restart counts start again at 0). */
export function increases(values: readonly { t: EpochMs; v: number }[]): { t: EpochMs; v: number }[] {
  let total = 0;
  return values.map((p, i) => {
    if (i > 0) total += Math.max(0, p.v - values[i - 1].v);
    return { t: p.t, v: total };
  });
}
