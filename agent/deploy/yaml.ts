/**
 * YAML for plain JSON data (objects, arrays, strings, numbers, booleans, null): what the manifests are.
 * Block style, two-space indent, keys in the order given; a string is left plain only when it is made of
 * letters, digits and `._/@=+-` and YAML cannot read it as anything else (a number, a boolean, null);
 * otherwise it is written as a JSON string (valid YAML).
 */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue | undefined };

/** Words and shapes a YAML 1.1 or 1.2 reader would turn into something other than a string. */
const SPECIAL = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const NUMBERISH = /^[-+]?(?:\.?\d|\.(?:inf|Inf|INF|nan|NaN|NAN)$|0[xob])/;
const PLAIN = /^[A-Za-z0-9/][A-Za-z0-9 ._/@=+-]*$/;

function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v !== 'string') return String(v);
  const plain = PLAIN.test(v) && !SPECIAL.test(v) && !NUMBERISH.test(v) && !v.endsWith(' ');
  return plain ? v : JSON.stringify(v);
}

function isEmpty(v: JsonValue): boolean {
  return typeof v === 'object' && v !== null && (Array.isArray(v) ? v.length === 0 : Object.values(v).every((x) => x === undefined));
}

function lines(v: JsonValue, indent: string): string[] {
  if (typeof v !== 'object' || v === null) return [`${indent}${scalar(v)}`];
  if (Array.isArray(v)) {
    return (v as readonly JsonValue[]).flatMap((item) => {
      if (typeof item !== 'object' || item === null || isEmpty(item)) return [`${indent}- ${inline(item)}`];
      const inner = lines(item, `${indent}  `);
      return [`${indent}- ${inner[0].slice(indent.length + 2)}`, ...inner.slice(1)];
    });
  }
  return Object.entries(v as Record<string, JsonValue | undefined>).flatMap(([k, val]) => {
    if (val === undefined) return [];
    const key = scalar(k);
    if (typeof val !== 'object' || val === null || isEmpty(val)) return [`${indent}${key}: ${inline(val)}`];
    return [`${indent}${key}:`, ...lines(val, Array.isArray(val) ? indent : `${indent}  `)];
  });
}

function inline(v: JsonValue): string {
  if (typeof v !== 'object' || v === null) return scalar(v);
  return Array.isArray(v) ? '[]' : '{}';
}

/** One YAML document. */
export function toYaml(v: JsonValue): string {
  return (isEmpty(v) ? [inline(v)] : lines(v, '')).join('\n') + '\n';
}

/** Several documents, separated by `---`, after an optional `#` comment header. */
export function toYamlDocuments(docs: readonly JsonValue[], header: readonly string[] = []): string {
  return [...header.map((h) => `# ${h}`.trimEnd()), ...docs.map((d) => `---\n${toYaml(d)}`)].join('\n').replace(/\n\n+/g, '\n');
}
