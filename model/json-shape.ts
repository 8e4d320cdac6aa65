/**
 * The shape of a JSON text, measured in one pass over its bytes before anything is built from it: how many
 * values and containers `JSON.parse` would allocate, how deep they nest, the most members one object has,
 * and how many distinct keys there are (each new key set costs V8 a hidden class: 400,000 unique label
 * keys took JSON.parse 3.4 s). `JSON.parse` spends its time and memory per value (an empty object costs about as much as a
 * 100-byte string), so a byte limit alone does not bound it; these counts do. Ingest refuses a body over
 * `BATCH_LIMITS` by shape, and the agent splits a batch so that every part stays under them.
 *
 * Zod-free: the agent imports it.
 */

export interface JsonShapeLimits {
  readonly maxJsonValues: number;
  readonly maxJsonContainers: number;
  readonly maxJsonDepth: number;
  readonly maxObjectMembers: number;
  /** Distinct object keys in the whole text: each new one costs V8 a new hidden class. */
  readonly maxDistinctKeys: number;
}

export interface JsonShape {
  /** Every value, containers and scalars, object keys excluded. */
  readonly values: number;
  /** Objects and arrays. */
  readonly containers: number;
  readonly depth: number;
}

export type JsonShapeCheck =
  | { readonly ok: true; readonly shape: JsonShape }
  | { readonly ok: false; readonly tooLarge: boolean; readonly problem: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * Measures `json` (UTF-8 bytes), stopping at the first limit crossed. Malformed JSON is measured as far as
 * it goes; `JSON.parse` then says what is wrong with it.
 */
export function checkJsonShape(json: Uint8Array, limits: JsonShapeLimits): JsonShapeCheck {
  let containers = 0;
  let commas = 0;
  let depth = 0;
  let maxDepth = 0;
  // Members of the object open at each depth (arrays count none); depth is bounded, so is this.
  const members = new Uint32Array(limits.maxJsonDepth + 2);
  // Keys are counted by a hash of their bytes (FNV-1a): no string is built, and a rare collision only
  // undercounts.
  const keys = new Set<number>();
  // The last string seen, which is the key when a colon follows.
  let stringStart = 0;
  let stringEnd = 0;
  const n = json.length;
  for (let i = 0; i < n; i++) {
    const c = json[i];
    if (c === QUOTE) {
      // Skip the string: a backslash escapes the next byte, and UTF-8 continuation bytes are never a quote.
      stringStart = i + 1;
      for (i++; i < n && json[i] !== QUOTE; i++) if (json[i] === BACKSLASH) i++;
      stringEnd = i;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      containers++;
      depth++;
      if (depth > limits.maxJsonDepth) return tooDeep(limits);
      if (depth > maxDepth) maxDepth = depth;
      members[depth] = 0;
      if (containers > limits.maxJsonContainers) return over(`more than ${limits.maxJsonContainers} objects and arrays`);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) depth--;
    } else if (c === COMMA) {
      commas++;
      if (containers + commas + 1 > limits.maxJsonValues) return over(`more than ${limits.maxJsonValues} values`);
    } else if (c === COLON && depth > 0) {
      if (++members[depth] > limits.maxObjectMembers) {
        return {
          ok: false,
          tooLarge: false,
          problem: `JSON has an object with more than ${limits.maxObjectMembers} members (at byte ${i}); no object of a batch has that many`,
        };
      }
      if (keys.size <= limits.maxDistinctKeys) keys.add(fnv1a(json, stringStart, stringEnd));
      if (keys.size > limits.maxDistinctKeys) {
        return {
          ok: false,
          tooLarge: false,
          problem: `JSON has more than ${limits.maxDistinctKeys} distinct object keys; a batch has a few hundred (field names and label keys)`,
        };
      }
    }
  }
  return { ok: true, shape: { values: containers + commas + 1, containers, depth: maxDepth } };
}

function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

function over(what: string): JsonShapeCheck {
  return { ok: false, tooLarge: true, problem: `JSON has ${what}, over the limit: split the batch by nodes` };
}

function tooDeep(limits: JsonShapeLimits): JsonShapeCheck {
  return { ok: false, tooLarge: false, problem: `JSON nests deeper than ${limits.maxJsonDepth} levels; a batch nests at most 8` };
}
