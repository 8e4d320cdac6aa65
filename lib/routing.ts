/**
 * Routes and named receivers as the stack takes them: which receivers exist, what the evaluator is told
 * (`VIGIL_ROUTES`), and every problem with them at synth, each naming its key. The matching itself is
 * `model/route.ts`; each receiver's subscription filters on the `receiver` attribute (`notifications.ts`).
 */
import { z } from 'zod';
import { isRuleId } from '../lambdas/evaluator/rules/catalog';
import { formatPath } from '../common/json-path';
import { deliverySchema, MESSAGE_ATTRIBUTES } from '../model/notification';
import { DEFAULT_ROUTE_LABELS, routeLabelsSchema, routingProblems, routingSchema, type Route, type Routing } from '../model/route';
import { EMAIL, type Delivery, type EmailRecipient, type ReceiverNotifications } from './notifications';

/** A receiver declared by name (`vigil:receivers`): a team's email addresses. */
export interface EmailReceiver {
  readonly emails: readonly string[];
  /** @default DEFAULT_TEAM_EMAIL_DELIVERIES: critical, warning and resolved (not Vigil's own health) */
  readonly receives?: readonly Delivery[];
}

/** `vigil:routes`. */
export interface RoutesProps {
  /** The default route: where an alert no route takes goes. @default every built-in receiver configured */
  readonly receivers?: readonly string[];
  readonly routes: readonly Route[];
}

/** Who hears of alerts: the receivers, the routes and the route labels (the part of `VigilProps` routing reads). */
export interface RoutingProps {
  /** @default []: no email */
  readonly alertEmails?: readonly EmailRecipient[];
  /** @default no Slack */
  readonly slack?: ReceiverNotifications;
  /** A webhook that takes Alertmanager's webhook body (version 4). @default no webhook */
  readonly webhook?: ReceiverNotifications;
  /** PagerDuty (Events API v2): the secret holds the integration's routing key. @default no PagerDuty */
  readonly pagerDuty?: ReceiverNotifications;
  /** Microsoft Teams (a Workflows webhook, Adaptive Cards). @default no Teams */
  readonly teams?: ReceiverNotifications;
  /** Receivers by name besides `email`, `slack` and `webhook`: a team's addresses. Only routes name them. @default none */
  readonly receivers?: Readonly<Record<string, EmailReceiver>>;
  /**
   * Which receivers get which alerts (`model/route.ts`): matched on cluster, node group, namespace, rule,
   * severity and route labels; first match wins unless `continue`; what no route takes goes to the default
   * route. Each receiver then gets its own message per evaluation.
   * @default no routes: every receiver gets every message its severities allow
   */
  readonly routes?: RoutesProps;
  /** Label keys lifted from workloads (else namespaces) onto alerts, for routes and SNS attributes. @default ["team"] */
  readonly routeLabels?: readonly string[];
}

/** Receivers that exist when configured: every address of `vigil:alertEmails` is `email`. */
export const BUILT_IN_RECEIVERS = ['email', 'slack', 'webhook', 'pagerduty', 'teams'] as const;

/** Each built-in receiver's prop (its name as `vigil:severityRouting` and routes spell it). */
const RECEIVER_PROP = { slack: 'slack', webhook: 'webhook', pagerduty: 'pagerDuty', teams: 'teams' } as const;

export const RECEIVER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The built-in receivers this configuration has. */
export function builtInReceivers(p: RoutingProps): string[] {
  return BUILT_IN_RECEIVERS.filter((r) => (r === 'email' ? (p.alertEmails?.length ?? 0) > 0 : p[RECEIVER_PROP[r]] !== undefined));
}

/** What the evaluator routes by (`VIGIL_ROUTES`), the default route resolved; undefined without routes. */
export function resolvedRouting(p: RoutingProps): Routing | undefined {
  if (!p.routes) return undefined;
  return { receivers: p.routes.receivers ?? builtInReceivers(p), routes: p.routes.routes };
}

/** Where each problem is reported: the construct's prop names, or the context keys. */
export interface RoutingKeys {
  readonly receivers: string;
  readonly routes: string;
  readonly routeLabels: string;
}

/** `key.path message`, the path as formatPath writes it. */
const at = (key: string, i: z.core.$ZodIssue) =>
  `${key}${i.path.length && typeof i.path[0] !== 'number' ? '.' : ''}${formatPath(i.path)} ${i.message}`;

/** Every problem with named receivers, routes and route labels. */
export function routingPropsProblems(p: RoutingProps, keys: RoutingKeys): string[] {
  const problems: string[] = [];
  const labels = p.routeLabels ?? DEFAULT_ROUTE_LABELS;
  const l = routeLabelsSchema.safeParse(labels);
  if (!l.success) problems.push(...l.error.issues.map((i) => at(keys.routeLabels, i)));
  const reserved = Object.values(MESSAGE_ATTRIBUTES) as string[];
  labels.forEach((k, i) => {
    if (reserved.includes(k))
      problems.push(`${keys.routeLabels}[${i}] "${k}" is the name of one of Vigil's own message attributes (${reserved.join(', ')})`);
  });

  const declared = Object.keys(p.receivers ?? {});
  const addresses = new Map((p.alertEmails ?? []).map((e) => [e.address.toLowerCase(), 'email']));
  for (const [name, r] of Object.entries(p.receivers ?? {})) {
    const where = `${keys.receivers}.${name}`;
    if (!RECEIVER_NAME.test(name)) problems.push(`${where}: a receiver name is lower-case letters, digits and -, at most 63`);
    if ((BUILT_IN_RECEIVERS as readonly string[]).includes(name))
      problems.push(`${where}: "${name}" is a built-in receiver; name yours otherwise`);
    if (!p.routes) problems.push(`${where} is declared but ${keys.routes} is not set: without routes it would receive nothing`);
    if (r.emails.length === 0) problems.push(`${where}.emails must list at least one address`);
    r.emails.forEach((address, i) => {
      if (!EMAIL.test(address)) problems.push(`${where}.emails[${i}] "${address}" is not an email address`);
      // SNS keeps one subscription per address and topic: one filter policy per address.
      const other = addresses.get(address.toLowerCase());
      if (other !== undefined)
        problems.push(`${where}.emails[${i}] "${address}" already receives as "${other}": an address belongs to one receiver`);
      addresses.set(address.toLowerCase(), name);
    });
  }

  if (p.routes) {
    const parsed = routingSchema.safeParse(p.routes);
    if (!parsed.success) return [...problems, ...parsed.error.issues.map((i) => at(keys.routes, i))];
    const routing = { receivers: parsed.data.receivers ?? builtInReceivers(p), routes: parsed.data.routes };
    const known = { receivers: [...builtInReceivers(p), ...declared], isRuleId, routeLabels: labels };
    problems.push(
      ...routingProblems(routing, known, declared).map((m) =>
        m.startsWith('receiver "') ? `${keys.receivers}: ${m}` : `${keys.routes}.${m}`,
      ),
    );
  }
  return problems;
}

/** `vigil:receivers`: its shape; names and addresses are checked with the routes. */
export const receiversSchema = z.record(
  z.string(),
  z.strictObject(
    {
      emails: z.array(z.string({ error: 'must be an email address' }), { error: 'must be a list of email addresses' }),
      receives: z.array(deliverySchema, { error: 'must be a list of deliveries' }).optional(),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown field(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected emails, receives`
          : 'must be an object like {"emails": ["shop-oncall@example.com"]}',
    },
  ),
  { error: 'must be an object of receivers by name, like {"shop": {"emails": ["shop-oncall@example.com"]}}' },
);
