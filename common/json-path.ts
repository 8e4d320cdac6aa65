/** How a problem's place inside a JSON value is written in error messages (zod issue paths). */

/** `['nodes', 3, 'pods', 0, 'name']` → `nodes[3].pods[0].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}
