/**
 * The seam between routing and the receivers: one evaluation's changes, grouped per cluster as always, split
 * into one message per receiver (`model/route.ts` decides who hears of what). Each message names its
 * receiver in the `receiver` attribute, which each receiver's subscription filters on, so a receiver needs
 * to know nothing of routes. Without routes there is one message and no `receiver` attribute: every
 * subscription gets it, as before routing existed.
 */
import { receiversOf, type Routing } from '../../model/route';
import type { EpochMs } from '../../model/time';
import type { AlertChange, Notification } from '../../model/notification';
import { composeMessage, type OutgoingMessage } from './publisher';

export interface RoutingConfig {
  /** @default no routes: everything to every receiver */
  readonly routing?: Routing;
  /** Route label keys, carried as message attributes (each a list of the values among the message's changes). */
  readonly routeLabels: readonly string[];
}

/** One message to publish and the alerts it tells (detailed or folded into its digest). */
export interface RoutedMessage {
  readonly message: OutgoingMessage;
  readonly alertIds: readonly string[];
}

/** The messages of one evaluation: one per receiver that hears of something, or one for all without routes. */
export function composeMessages(
  config: RoutingConfig,
  cluster: string,
  evaluatedAt: EpochMs,
  changes: readonly AlertChange[],
  active: Notification['active'],
): RoutedMessage[] {
  const compose = (cs: readonly AlertChange[], receiver?: string): RoutedMessage => ({
    message: composeMessage(cluster, evaluatedAt, cs, active, { receiver, labels: labelValues(cs, config.routeLabels) }),
    alertIds: cs.map((c) => c.id),
  });
  if (!config.routing) return [compose(changes)];
  const byReceiver = new Map<string, AlertChange[]>();
  for (const c of changes) {
    for (const r of receiversOf(config.routing, c)) byReceiver.set(r, [...(byReceiver.get(r) ?? []), c]);
  }
  return [...byReceiver].map(([receiver, cs]) => compose(cs, receiver));
}

/** Per route label key, the distinct values among the changes (keys with none left out). */
export function labelValues(changes: readonly AlertChange[], keys: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of keys) {
    const values = [...new Set(changes.flatMap((c) => (c.labels?.[k] !== undefined ? [c.labels[k]] : [])))].sort();
    if (values.length) out[k] = values;
  }
  return out;
}
