/**
 * Routing: which receivers hear of an alert. Routes are tried in order; the first whose `match` holds
 * takes the alert, and later ones are tried too only when it says `continue`. An alert no route takes goes
 * to the default route's receivers. Without routes every receiver gets everything (one message per
 * evaluation, as before routing existed).
 *
 * A route matches on cluster, node group and namespace (`*` globs), rule ids, severities and the alert's
 * labels (the keys of `vigil:routeLabels`, e.g. `team`, from its workload or else its namespace). A field an
 * alert does not have never matches: node and host alerts have no namespace, so a route on `namespace`
 * passes them on. Shared by the evaluator and the CDK app's checks.
 */
import { z } from 'zod';
import type { Severity, Subject } from './domain';
import { glob } from './selector';

/** The label keys lifted from workloads and namespaces onto alerts unless configured. */
export const DEFAULT_ROUTE_LABELS: readonly string[] = ['team'];
/** SNS carries at most 10 message attributes; Vigil's own are severity, severities, cluster, rule and receiver. */
export const MAX_ROUTE_LABELS = 4;

export type Labels = Readonly<Record<string, string>>;

export interface RouteMatch {
  readonly cluster?: string;
  readonly nodeGroup?: string;
  readonly namespace?: string;
  /** Rule ids (exact). */
  readonly rule?: readonly string[];
  readonly severity?: readonly Severity[];
  /** Route label → glob, e.g. `{"team": "shop"}`. */
  readonly labels?: Labels;
}

export interface Route {
  /** @default everything */
  readonly match?: RouteMatch;
  readonly receivers: readonly string[];
  /** Keep trying the routes after this one when it matched. @default false */
  readonly continue?: boolean;
}

export interface Routing {
  /** The default route: where an alert no route takes goes. */
  readonly receivers: readonly string[];
  readonly routes: readonly Route[];
}

/** What a route is matched against: the alert's rule, severity (for a resolution, the one people were told), subject and labels. */
export interface RoutedAlert {
  readonly rule: string;
  readonly severity: Severity;
  readonly subject: Subject;
  readonly labels?: Labels;
}

/** The characters each glob may hold besides `*`: a pattern with others can never match. */
const GLOB_CHARS = {
  cluster: /^[A-Za-z0-9_*-]+$/,
  nodeGroup: /^[A-Za-z0-9_.*-]+$/,
  namespace: /^[a-z0-9*-]+$/,
  label: /^[A-Za-z0-9_.*-]*$/,
} as const;

/** One value or a list of them, read as a list. */
const one = <T extends z.ZodType>(t: T, error: string) =>
  z.union([t, z.array(t).min(1, { error: 'must not be empty' })], { error }).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);
const SEVERITY_ERROR = 'must be "critical", "warning" or "info", or a list of them';
const pattern = (chars: RegExp, what: string) =>
  z.string({ error: 'must be a glob pattern' }).regex(chars, { error: `is not a valid glob: ${what} and * only` });

const matchSchema = z.strictObject(
  {
    cluster: pattern(GLOB_CHARS.cluster, 'letters, digits, _ and -').optional(),
    nodeGroup: pattern(GLOB_CHARS.nodeGroup, 'letters, digits, ., _ and -').optional(),
    namespace: pattern(GLOB_CHARS.namespace, 'lower-case letters, digits and -').optional(),
    rule: one(z.string(), 'must be a rule id or a list of them').optional(),
    severity: one(z.enum(['critical', 'warning', 'info'], { error: SEVERITY_ERROR }), SEVERITY_ERROR).optional(),
    labels: z
      .record(z.string(), pattern(GLOB_CHARS.label, 'letters, digits, ., _ and -'), {
        error: 'must be an object of label globs like {"team": "shop"}',
      })
      .optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected cluster, nodeGroup, namespace, rule, severity, labels`
        : 'must be an object like {"namespace": "shop-*"}',
  },
);

const receiverList = z
  .array(z.string({ error: 'must be a receiver name' }), { error: 'must be a list of receiver names' })
  .min(1, { error: 'must name at least one receiver' });

export const routeSchema = z.strictObject(
  { match: matchSchema.optional(), receivers: receiverList, continue: z.boolean({ error: 'must be true or false' }).optional() },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected match, receivers, continue`
        : 'must be an object like {"match": {"labels": {"team": "shop"}}, "receivers": ["shop"]}',
  },
);

/** `vigil:routes`: the default route's receivers (all when left out) and the routes. */
export const routingSchema = z.strictObject(
  { receivers: receiverList.optional(), routes: z.array(routeSchema, { error: 'must be a list of routes' }) },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected receivers, routes`
        : 'must be an object like {"receivers": ["email"], "routes": [...]}',
  },
);

export type RoutingInput = z.input<typeof routingSchema>;

/** The evaluator's `VIGIL_ROUTES`: routes with the default route's receivers resolved by the stack. */
export const resolvedRoutingSchema: z.ZodType<Routing, z.input<typeof routingSchema>> = routingSchema.transform((r) => ({
  receivers: r.receivers ?? [],
  routes: r.routes,
}));

/** A route label key: a Kubernetes label key (optional DNS prefix and `/`, then a name). */
export const ROUTE_LABEL_KEY = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

/** `vigil:routeLabels` (and `VIGIL_ROUTE_LABELS`): the label keys lifted onto alerts. */
export const routeLabelsSchema = z
  .array(
    z
      .string({ error: 'must be a label key' })
      .regex(ROUTE_LABEL_KEY, { error: 'must be a Kubernetes label key like "team" or "example.com/team"' }),
    { error: 'must be a list of label keys like ["team"]' },
  )
  .max(MAX_ROUTE_LABELS, {
    error: `must list at most ${MAX_ROUTE_LABELS} keys (each is an SNS message attribute; SNS carries at most 10 and Vigil uses 5 of its own)`,
  });

/** The SNS message attribute carrying a route label: its key with what SNS names may not hold (`/`) as `_`. */
export function labelAttributeName(key: string): string {
  return key.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function globMatches(pattern: string | undefined, value: string | undefined): boolean {
  return pattern === undefined || (value !== undefined && glob(pattern).test(value));
}

export function routeMatches(m: RouteMatch | undefined, a: RoutedAlert): boolean {
  if (!m) return true;
  return (
    globMatches(m.cluster, a.subject.cluster) &&
    globMatches(m.nodeGroup, a.subject.nodeGroup) &&
    globMatches(m.namespace, a.subject.namespace) &&
    (m.rule === undefined || m.rule.includes(a.rule)) &&
    (m.severity === undefined || m.severity.includes(a.severity)) &&
    Object.entries(m.labels ?? {}).every(([k, p]) => globMatches(p, a.labels?.[k]))
  );
}

/** The receivers of one alert, in route order, each once. */
export function receiversOf(routing: Routing, a: RoutedAlert): string[] {
  const out = new Set<string>();
  let taken = false;
  for (const r of routing.routes) {
    if (!routeMatches(r.match, a)) continue;
    taken = true;
    for (const name of r.receivers) out.add(name);
    if (!r.continue) break;
  }
  if (!taken) for (const name of routing.receivers) out.add(name);
  return [...out];
}

/** A route that takes everything: no match, or an empty one. */
const catchAll = (r: Route) => r.match === undefined || Object.keys(r.match).length === 0;

/**
 * What is wrong with parsed routes beyond their shape, each naming its place (`routes[2].receivers[0]`):
 * an unknown receiver, rule id or route label, a route after a catch-all that does not `continue` (it can
 * never match), a declared receiver no route names (it would get nothing).
 */
export function routingProblems(
  routing: Routing,
  known: { readonly receivers: readonly string[]; readonly isRuleId: (id: string) => boolean; readonly routeLabels: readonly string[] },
  declared: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  const receiver = (at: string, name: string) => {
    if (!known.receivers.includes(name))
      problems.push(`${at} "${name}" is not a receiver; the receivers are ${known.receivers.map((r) => `"${r}"`).join(', ') || '(none)'}`);
  };
  routing.receivers.forEach((name, i) => receiver(`receivers[${i}]`, name));
  let stopper: number | undefined;
  routing.routes.forEach((r, i) => {
    const at = `routes[${i}]`;
    if (stopper !== undefined)
      problems.push(`${at} can never match: routes[${stopper}] before it takes every alert and has no "continue": true`);
    r.receivers.forEach((name, j) => receiver(`${at}.receivers[${j}]`, name));
    (r.match?.rule ?? []).forEach((id, j) => {
      if (!known.isRuleId(id))
        problems.push(
          `${at}.match.rule${r.match!.rule!.length > 1 ? `[${j}]` : ''} "${id}" is not a rule id (see the rule table in docs/alerts.md)`,
        );
    });
    for (const k of Object.keys(r.match?.labels ?? {})) {
      if (!known.routeLabels.includes(k))
        problems.push(
          `${at}.match.labels.${k}: "${k}" is not a route label, so it can never match; the route labels (vigil:routeLabels) are ${known.routeLabels.map((l) => `"${l}"`).join(', ')}`,
        );
    }
    if (stopper === undefined && catchAll(r) && !r.continue) stopper = i;
  });
  const named = new Set([...routing.receivers, ...routing.routes.flatMap((r) => r.receivers)]);
  for (const d of declared) if (!named.has(d)) problems.push(`receiver "${d}" is named by no route, so it would receive nothing`);
  return problems;
}

/** Problems with `vigil:routeLabels`: label keys, at most `MAX_ROUTE_LABELS`, their SNS attribute names free. */
export function routeLabelProblems(keys: readonly string[], reserved: readonly string[]): string[] {
  const problems: string[] = [];
  if (keys.length > MAX_ROUTE_LABELS)
    problems.push(
      `at most ${MAX_ROUTE_LABELS} route labels (each is an SNS message attribute; SNS carries at most 10 and Vigil uses 5 of its own)`,
    );
  keys.forEach((k, i) => {
    if (!ROUTE_LABEL_KEY.test(k)) problems.push(`[${i}] "${k}" is not a Kubernetes label key`);
    else if (reserved.includes(labelAttributeName(k)) || /^(aws|amazon)\./i.test(k))
      problems.push(`[${i}] "${k}" would be the SNS message attribute "${labelAttributeName(k)}", which is reserved`);
    if (keys.indexOf(k) !== i) problems.push(`[${i}] "${k}" is listed twice`);
  });
  return problems;
}
