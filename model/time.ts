/** Milliseconds since the Unix epoch (UTC). Every timestamp in Vigil's model is one of these. */
export type EpochMs = number;

/** The start of a UTC minute, in epoch milliseconds (a multiple of {@link MINUTE_MS}). */
export type Minute = number;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** The minute that contains `t`. */
export function minuteOf(t: EpochMs): Minute {
  return Math.floor(t / MINUTE_MS) * MINUTE_MS;
}

/** Every minute from `from` to `to`, both included, oldest first. */
export function minutesBetween(from: EpochMs, to: EpochMs): Minute[] {
  const out: Minute[] = [];
  for (let m = minuteOf(from); m <= to; m += MINUTE_MS) out.push(m);
  return out;
}

/**
 * The source of "now". Everything that reads the time takes one, so tests and local mode can run on an
 * accelerated or frozen clock.
 */
export interface Clock {
  now(): EpochMs;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests and for scenarios run as fast as the CPU allows. */
export class ManualClock implements Clock {
  constructor(private t: EpochMs) {}
  now(): EpochMs {
    return this.t;
  }
  set(t: EpochMs): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** ISO-8601 minute in UTC, e.g. `2026-11-23T12:05`; the readable form used in keys and messages. */
export function isoMinute(t: EpochMs): string {
  return new Date(minuteOf(t)).toISOString().slice(0, 16);
}

/** `2026-12-05 04:27 UTC`: a time as messages and the CLI show it. */
export const utc = (t: EpochMs): string => `${isoMinute(t).replace('T', ' ')} UTC`;
