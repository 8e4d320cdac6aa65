/**
 * CPU throttling from the kubelet's cAdvisor endpoint (`GET /metrics/cadvisor`, Prometheus text format):
 * the Summary API has no CFS statistics. cAdvisor writes, per container cgroup with a CPU quota (a CPU
 * limit), the counters `container_cpu_cfs_periods_total`, `container_cpu_cfs_throttled_periods_total` and
 * `container_cpu_cfs_throttled_seconds_total`, labelled `container`, `id` (the cgroup), `image`, `name`,
 * `namespace` and `pod`; the pod-level cgroup has `container=""`.
 *
 * The endpoint answers several MB on a busy node (every container's memory, network, disk series), so the
 * parser reads it as a stream: a line is looked at only when it starts with `container_cpu_cfs_`, and only
 * those three series of real containers are kept. Nothing else is ever turned into a string.
 */
const PREFIX = 'container_cpu_cfs_';
const FAMILIES = {
  container_cpu_cfs_periods_total: 'periods',
  container_cpu_cfs_throttled_periods_total: 'throttledPeriods',
  container_cpu_cfs_throttled_seconds_total: 'throttledSeconds',
} as const;
type Counter = (typeof FAMILIES)[keyof typeof FAMILIES];
/** A line longer than this is not one of the kept series (their labels are short): skipped, not buffered. */
const MAX_LINE = 16 * 1024;

/** One container cgroup's CFS counters, as read. */
export interface CfsCounters {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  /** The cgroup (`id` label): a restarted container gets a new one, whose counters start from zero. */
  readonly cgroup: string;
  periods?: number;
  throttledPeriods?: number;
  throttledSeconds?: number;
}

/** Feeds a `/metrics/cadvisor` body chunk by chunk; `end()` gives the containers' CFS counters by cgroup. */
export class CfsParser {
  private readonly byCgroup = new Map<string, CfsCounters>();
  /** The start of a line that may be a kept series, waiting for its end. */
  private rest?: Buffer;
  /** The current line is not kept (or too long to be): skip it up to its newline. */
  private skipping = false;

  /** Scans bytes: only kept lines are decoded, so the megabyte of other series never becomes a string. */
  push(chunk: Buffer | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, buf]);
      this.rest = undefined;
    }
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, start);
      if (nl < 0) break;
      if (this.skipping) this.skipping = false;
      else if (startsWithPrefix(buf, start, nl)) this.line(buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    const tail = buf.length - start;
    if (this.skipping || tail === 0) return;
    // Keep the unfinished line only while it may be a kept series.
    if (tail <= MAX_LINE && startsWithPrefix(buf, start, buf.length)) this.rest = Buffer.from(buf.subarray(start));
    else this.skipping = true;
  }

  end(): ReadonlyMap<string, CfsCounters> {
    if (this.rest && !this.skipping && this.rest.length >= PREFIX_BYTES.length) this.line(this.rest.toString('utf8'));
    this.rest = undefined;
    return this.byCgroup;
  }

  private line(l: string): void {
    const brace = l.indexOf('{');
    const family = brace < 0 ? undefined : FAMILIES[l.slice(0, brace) as keyof typeof FAMILIES];
    if (!family) return;
    const close = l.lastIndexOf('}');
    if (close < brace) return;
    const labels = parseLabels(l.slice(brace + 1, close));
    const { container, pod, namespace, id } = labels;
    // The pod cgroup (`""`) sums its containers; `POD` is the sandbox under dockershim.
    if (!container || container === 'POD' || !pod || !namespace || !id) return;
    const value = Number(
      l
        .slice(close + 1)
        .trim()
        .split(' ')[0],
    );
    if (!Number.isFinite(value) || value < 0) return;
    let c = this.byCgroup.get(id);
    if (!c) this.byCgroup.set(id, (c = { namespace, pod, container, cgroup: id }));
    c[family as Counter] = value;
  }
}

const NEWLINE = 0x0a;
const PREFIX_BYTES = Buffer.from(PREFIX);

/** Whether `buf[start, end)` starts with the prefix (or, when shorter, is a start of it). */
function startsWithPrefix(buf: Buffer, start: number, end: number): boolean {
  const n = Math.min(PREFIX_BYTES.length, end - start);
  return buf.compare(PREFIX_BYTES, 0, n, start, start + n) === 0;
}

/** `a="x",b="y\"z"` → `{ a: 'x', b: 'y"z' }` (the exposition format's escapes: `\\`, `\"`, `\n`). */
export function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  // Most lines have no escape: each value is then one slice, not a string built character by character.
  const plain = !s.includes('\\');
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0 || s[eq + 1] !== '"') break;
    const key = s.slice(i, eq).trim();
    const quote = plain ? s.indexOf('"', eq + 2) : -1;
    let j: number;
    if (quote >= 0) {
      out[key] = s.slice(eq + 2, quote);
      j = quote;
    } else {
      let value = '';
      for (j = eq + 2; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length) {
          j++;
          value += s[j] === 'n' ? '\n' : s[j];
        } else value += s[j];
      }
      out[key] = value;
    }
    i = j + 1;
    if (s[i] === ',') i++;
  }
  return out;
}

/** Parses a whole body (the API server proxy's answer, tests). */
export function parseCfs(body: string): ReadonlyMap<string, CfsCounters> {
  const p = new CfsParser();
  p.push(body);
  return p.end();
}

/** A container's CPU throttling over the last interval. */
export interface Throttling {
  /** % of the CFS periods in which the container ran that ended throttled (its quota used up). */
  readonly cpuThrottledPct: number;
  /** Time its threads spent throttled, s per s (above 1 when several threads wait at once). */
  readonly cpuThrottledSecondsPerSecond?: number;
}

interface CfsSample {
  readonly at: number;
  readonly periods?: number;
  readonly throttledPeriods?: number;
  readonly throttledSeconds?: number;
  seen: number;
}

/** `now - before`, or `now` when the counter started over (Prometheus' counter-reset rule). */
const increase = (now: number | undefined, before: number | undefined) =>
  now === undefined || before === undefined ? undefined : now >= before ? now - before : now;

/**
 * Remembers each cgroup's counters and turns the next reading into throttling per container, summed over
 * its cgroups (a restarted container has a new cgroup beside the old one until cAdvisor drops it). No
 * figure for a container seen once, or that ran in no period (idle: nothing could be throttled).
 */
export class CfsTracker {
  private readonly samples = new Map<string, CfsSample>();
  private generation = 0;

  /** By `namespace/pod`, then container name. */
  rates(counters: ReadonlyMap<string, CfsCounters>, at: number): Map<string, Map<string, Throttling>> {
    const sums = new Map<string, { pod: string; container: string; periods: number; throttled: number; seconds?: number; dtMs: number }>();
    for (const c of counters.values()) {
      const prev = this.samples.get(c.cgroup);
      this.samples.set(c.cgroup, {
        at,
        periods: c.periods,
        throttledPeriods: c.throttledPeriods,
        throttledSeconds: c.throttledSeconds,
        seen: this.generation,
      });
      const periods = increase(c.periods, prev?.periods);
      const throttled = increase(c.throttledPeriods, prev?.throttledPeriods);
      if (!prev || periods === undefined || throttled === undefined || at <= prev.at) continue;
      const pod = `${c.namespace}/${c.pod}`;
      const key = `${pod}/${c.container}`;
      const seconds = increase(c.throttledSeconds, prev.throttledSeconds);
      const s = sums.get(key);
      if (!s) sums.set(key, { pod, container: c.container, periods, throttled, seconds, dtMs: at - prev.at });
      else {
        s.periods += periods;
        s.throttled += throttled;
        s.seconds = s.seconds === undefined || seconds === undefined ? (s.seconds ?? seconds) : s.seconds + seconds;
      }
    }
    const out = new Map<string, Map<string, Throttling>>();
    for (const s of sums.values()) {
      if (s.periods <= 0) continue;
      const t: Throttling = {
        cpuThrottledPct: Math.round(Math.min(100, (s.throttled / s.periods) * 100) * 10) / 10,
        ...(s.seconds !== undefined ? { cpuThrottledSecondsPerSecond: Math.round((s.seconds / (s.dtMs / 1000)) * 1000) / 1000 } : {}),
      };
      let pod = out.get(s.pod);
      if (!pod) out.set(s.pod, (pod = new Map()));
      pod.set(s.container, t);
    }
    return out;
  }

  /** Forgets cgroups not seen during the last `keep` generations; call once per cycle. */
  nextGeneration(keep = 3): void {
    this.generation++;
    for (const [k, s] of this.samples) if (this.generation - s.seen > keep) this.samples.delete(k);
  }
}
