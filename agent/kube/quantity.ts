/**
 * Kubernetes resource quantities (`250m`, `1.5Gi`, `128974848`, `129e6`, `4`) as plain numbers.
 * client-node's `quantityToScalar` rejects decimals with binary suffixes (`1.5Gi`) and exponents, both of
 * which the API server may return, hence this small parser of the grammar in k8s.io/apimachinery
 * `resource.Quantity`.
 */
const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?)$/;

/** The quantity's value in base units (cores, bytes, pods); undefined when it is not a quantity. */
export function parseQuantity(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const [, num, exponent, suffix] = m;
  const v = exponent ? Number(num + exponent) : Number(num) * SUFFIX[suffix ?? ''];
  return Number.isFinite(v) ? v : undefined;
}

/** CPU in millicores, rounded to a thousandth of a millicore (the API's own resolution is 1 nanocore). */
export function cpuMilli(q: string | number | undefined): number | undefined {
  const v = parseQuantity(q);
  return v === undefined ? undefined : Math.round(v * 1e6) / 1e3;
}

/** Bytes (memory, storage), whole. */
export function bytes(q: string | number | undefined): number | undefined {
  const v = parseQuantity(q);
  return v === undefined ? undefined : Math.round(v);
}
