/**
 * The compact encoding of stored parts (node-minutes, rollups).
 *
 * DynamoDB bills writes per started KB of the whole item, so a node-minute holding a node and its ~30 pods
 * must be small. JSON of such a node is ~35 KB; gzip'd JSON ~5 KB. This codec gets it to ~2 KB:
 *
 * 1. a self-describing binary form of any JSON value (MessagePack-like), where every string and object
 *    key is written once in a string table and referenced by index;
 * 2. integers carry a scale tag when they divide by 1000, 1024, 4096, 10^6 or 2^20 (kubelet memory figures
 *    are page multiples; Kubernetes times are whole seconds), so the varint is shorter;
 * 3. integers that look like epoch-ms timestamps are written as a delta from the previous one (a pod's
 *    start follows its creation by seconds), and canonical UUIDs as 16 bytes;
 * 4. the result is deflated with a preset dictionary of Vigil's field names.
 *
 * It is lossless for every JSON value (plus `-0` and `undefined` object fields, which are dropped as
 * JSON drops them): `decode(encode(x))` deep-equals `x`. The first byte is the format version.
 */
import { deflateRawSync, inflateRawSync } from 'zlib';

const FORMAT_V1 = 1;

/** Field names and values frequent in Vigil's parts; deflate finds them here instead of in the item. */
const DICTIONARY_V1 = Buffer.from(
  [
    'minute collectedAt node stats pods scrapeError host metrics name uid providerId instanceId instanceType zone',
    'capacityType nodeGroup nodePool conditions capacity allocatable taints unschedulable deleting createdAt',
    'kubeletVersion type status reason message since key value effect cpuMilli memoryBytes ephemeralStorageBytes',
    'memoryWorkingSetBytes memoryAvailableBytes memoryRssBytes fsAvailableBytes fsCapacityBytes fsInodesFree fsInodes',
    'imageFsAvailableBytes imageFsCapacityBytes imageFsInodesFree imageFsInodes processes maxPid namespace phase qos',
    'workload kind labels ready startedAt containers ephemeralStorageUsedBytes image requests limits restarts state',
    'waitingReason lastTermination exitCode finishedAt usage rootfsUsedBytes logsUsedBytes cpuPct networkInBytes',
    'networkOutBytes ebsReadOps ebsWriteOps ebsReadBytes ebsWriteBytes statusCheckFailed periodSeconds launchTime',
    'privateDnsName privateIp autoScalingGroup problems requested desired available readyPods oomKilled pendingPods',
    'events controlPlane agent scrapeErrors workloads nodes objectUid objectKind objectName count firstSeen lastSeen',
    'Running Pending Succeeded Failed Burstable BestEffort Guaranteed Deployment DaemonSet StatefulSet ReplicaSet Job',
    'CronJob True False Unknown Ready MemoryPressure DiskPressure PIDPressure NetworkUnavailable KubeletReady',
    'KubeletHasSufficientMemory KubeletHasNoDiskPressure KubeletHasSufficientPID running waiting terminated',
    'OOMKilled Error Completed CrashLoopBackOff ImagePullBackOff ErrImagePull CreateContainerConfigError',
    'on-demand spot fargate kube-system app.kubernetes.io/name app.kubernetes.io/instance app.kubernetes.io/part-of',
    'app.kubernetes.io/component app.kubernetes.io/version pod-template-hash controller-revision-hash',
    'pod-template-generation statefulset.kubernetes.io/pod-name .dkr.ecr. .amazonaws.com/ .compute.internal',
    'aws:/// eks aws-node kube-proxy coredns ebs-csi-node eks-pod-identity-agent',
  ].join(' '),
);

// Tag (high nibble) of each value's first byte; the low nibble holds a small payload inline (< 15) or 15
// followed by a varint of `payload - 15`.
const T_CONST = 0; // payload: 0 null, 1 false, 2 true, 3 float64 follows, 4 -0
const T_UINT = 1;
const T_NEGINT = 2; // value = -(payload + 1)
const T_STRING = 3; // payload = string-table index
const T_ARRAY = 4; // payload = length
const T_OBJECT = 5; // payload = number of fields, then (key index, value)…
const T_TIME_S = 6; // value = previous time + zigzag⁻¹(payload) × 1000
const T_TIME_MS = 7; // value = previous time + zigzag⁻¹(payload)
const SCALED = [1000, 1024, 4096, 1_000_000, 1_048_576] as const; // tags 8..12: value = payload × scale
const T_SCALED0 = 8;
const T_UUID = 13; // 16 bytes follow: a lowercase canonical UUID (every Kubernetes uid)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INLINE_MAX = 15;
/** Integers in [TIME_FLOOR, TIME_CEILING) are treated as epoch-ms timestamps (2001-09-09 to 2286-11-20). */
const TIME_FLOOR = 1e12;
const TIME_CEILING = 1e13;
const MAX_DEPTH = 64;

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

class Writer {
  buf = Buffer.allocUnsafe(4096);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  varint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }
  head(tag: number, payload: number): void {
    if (payload < INLINE_MAX) this.byte((tag << 4) | payload);
    else {
      this.byte((tag << 4) | INLINE_MAX);
      this.varint(payload - INLINE_MAX);
    }
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }
  double(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.len);
    this.len += 8;
  }
}

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzigzag = (v: number): number => (v % 2 === 0 ? v / 2 : -(v + 1) / 2);

/** Encodes any JSON-compatible value. Throws `CodecError` for values JSON cannot hold (NaN, functions…). */
export function encode(value: unknown): Buffer {
  const strings = new Map<string, number>();
  const body = new Writer();
  let base: number | undefined;
  let previous = 0;

  const str = (s: string): number => {
    let i = strings.get(s);
    if (i === undefined) {
      i = strings.size;
      strings.set(s, i);
    }
    return i;
  };

  const num = (v: number): void => {
    if (!Number.isFinite(v)) throw new CodecError(`cannot encode non-finite number ${v}`);
    if (Object.is(v, -0)) return body.head(T_CONST, 4);
    if (!Number.isSafeInteger(v)) {
      body.head(T_CONST, 3);
      return body.double(v);
    }
    if (v >= TIME_FLOOR && v < TIME_CEILING) {
      if (base === undefined) previous = base = Math.floor(v / 1000) * 1000;
      const d = v - previous;
      previous = v;
      return d % 1000 === 0 ? body.head(T_TIME_S, zigzag(d / 1000)) : body.head(T_TIME_MS, zigzag(d));
    }
    if (v < 0) return body.head(T_NEGINT, -v - 1);
    let best = v;
    let tag = T_UINT;
    for (let i = 0; i < SCALED.length; i++) {
      if (v !== 0 && v % SCALED[i] === 0 && v / SCALED[i] < best) {
        best = v / SCALED[i];
        tag = T_SCALED0 + i;
      }
    }
    body.head(tag, best);
  };

  const write = (v: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) throw new CodecError(`value nested deeper than ${MAX_DEPTH}`);
    if (v === null) return body.head(T_CONST, 0);
    switch (typeof v) {
      case 'boolean':
        return body.head(T_CONST, v ? 2 : 1);
      case 'number':
        return num(v);
      case 'string':
        if (v.length === 36 && UUID.test(v)) {
          body.head(T_UUID, 0);
          return body.bytes(Buffer.from(v.replace(/-/g, ''), 'hex'));
        }
        return body.head(T_STRING, str(v));
      case 'object': {
        if (Array.isArray(v)) {
          body.head(T_ARRAY, v.length);
          for (const x of v) write(x === undefined ? null : x, depth + 1);
          return;
        }
        const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
        body.head(T_OBJECT, entries.length);
        for (const [k, x] of entries) {
          body.varint(str(k));
          write(x, depth + 1);
        }
        return;
      }
      default:
        throw new CodecError(`cannot encode a value of type ${typeof v}`);
    }
  };

  write(value, 0);

  const out = new Writer();
  out.varint(strings.size);
  for (const s of strings.keys()) {
    const b = Buffer.from(s, 'utf8');
    out.varint(b.length);
    out.bytes(b);
  }
  out.varint(base === undefined ? 0 : base / 1000 + 1);
  out.bytes(body.buf.subarray(0, body.len));
  const packed = deflateRawSync(out.buf.subarray(0, out.len), { level: 6, dictionary: DICTIONARY_V1 });
  const result = Buffer.allocUnsafe(packed.length + 1);
  result[0] = FORMAT_V1;
  packed.copy(result, 1);
  return result;
}

/** Decodes what `encode` wrote. Throws `CodecError` naming the problem for anything else. */
export function decode<T = unknown>(bytes: Uint8Array): T {
  if (bytes.length < 2) throw new CodecError(`encoded value too short (${bytes.length} bytes)`);
  if (bytes[0] !== FORMAT_V1) throw new CodecError(`unknown encoding format ${bytes[0]} (this build reads ${FORMAT_V1})`);
  let buf: Buffer;
  try {
    buf = inflateRawSync(Buffer.from(bytes.buffer, bytes.byteOffset + 1, bytes.length - 1), { dictionary: DICTIONARY_V1 });
  } catch (e) {
    throw new CodecError(`corrupt encoded value: ${(e as Error).message}`);
  }
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) throw new CodecError('corrupt encoded value: truncated');
  };
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      need(1);
      const b = buf[pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
      if (mul > 2 ** 56) throw new CodecError('corrupt encoded value: varint too long');
    }
  };
  const n = varint();
  const strings: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const len = varint();
    need(len);
    strings[i] = buf.toString('utf8', pos, pos + len);
    pos += len;
  }
  const baseField = varint();
  let previous = baseField === 0 ? 0 : (baseField - 1) * 1000;
  const strAt = (i: number): string => {
    if (i >= strings.length) throw new CodecError(`corrupt encoded value: string index ${i} out of range`);
    return strings[i];
  };

  const read = (depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new CodecError('corrupt encoded value: nested too deep');
    need(1);
    const first = buf[pos++];
    const tag = first >> 4;
    const payload = (first & 0x0f) === INLINE_MAX ? varint() + INLINE_MAX : first & 0x0f;
    switch (tag) {
      case T_CONST:
        if (payload === 3) {
          need(8);
          const d = buf.readDoubleLE(pos);
          pos += 8;
          return d;
        }
        if (payload > 4) throw new CodecError(`corrupt encoded value: constant ${payload}`);
        return [null, false, true, undefined, -0][payload];
      case T_UINT:
        return payload;
      case T_NEGINT:
        return -(payload + 1);
      case T_STRING:
        return strAt(payload);
      case T_ARRAY: {
        const a: unknown[] = new Array(payload);
        for (let i = 0; i < payload; i++) a[i] = read(depth + 1);
        return a;
      }
      case T_OBJECT: {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < payload; i++) {
          const k = strAt(varint());
          const v = read(depth + 1);
          // Assigning "__proto__" would set the prototype; it must stay a plain field. (Plain assignment
          // otherwise: objects built by defineProperty are slower for every later reader.)
          if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
          else o[k] = v;
        }
        return o;
      }
      case T_TIME_S:
        return (previous += unzigzag(payload) * 1000);
      case T_TIME_MS:
        return (previous += unzigzag(payload));
      case T_UUID: {
        need(16);
        const h = buf.toString('hex', pos, pos + 16);
        pos += 16;
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      }
      default:
        if (tag >= T_SCALED0 && tag < T_SCALED0 + SCALED.length) return payload * SCALED[tag - T_SCALED0];
        throw new CodecError(`corrupt encoded value: tag ${tag}`);
    }
  };
  const value = read(0);
  if (pos !== buf.length) throw new CodecError(`corrupt encoded value: ${buf.length - pos} trailing bytes`);
  return value as T;
}
