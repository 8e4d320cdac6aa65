/**
 * A loopback PagerDuty Events API v2 endpoint, for tests and local mode. It checks each event against a strict
 * schema of the documented shape and answers as PagerDuty does: `202` with `{"status": "success", "message":
 * "Event processed", "dedup_key": …}`, `400` with `{"status": "invalid event", "errors": […]}`.
 *
 * Source: PagerDuty developer docs, events-API-v2 "Send an Alert Event" (parameters table, Alert
 * De-Duplication, the trigger/acknowledge/resolve examples, `images` and `links`) and "Overview" (response
 * codes, the 512 KB size limit, PD-CEF). github.com/PagerDuty/developer-docs, docs/events-API-v2/01-Overview.md
 * and 02-Trigger-Events.md.
 */
import { z } from 'zod';
import { startFakeSlack, type FakeSlack } from './slack-server';

const routingKey = z.string().length(32);
const dedupKey = z.string().min(1).max(255);

export const pagerDutyTriggerSchema = z.strictObject({
  routing_key: routingKey,
  event_action: z.literal('trigger'),
  dedup_key: dedupKey,
  payload: z.strictObject({
    summary: z.string().min(1).max(1024),
    source: z.string().min(1),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
    timestamp: z.iso.datetime({ offset: true }).optional(),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string().optional(),
    custom_details: z.record(z.string(), z.unknown()).optional(),
  }),
  images: z.array(z.strictObject({ src: z.url({ protocol: /^https$/ }), href: z.url().optional(), alt: z.string().optional() })).optional(),
  links: z.array(z.strictObject({ href: z.url(), text: z.string().optional() })).optional(),
  client: z.string().optional(),
  client_url: z.url().optional(),
});

/** Acknowledge and resolve carry the key only; Vigil never acknowledges (a responder does), so that is refused here too. */
export const pagerDutyResolveSchema = z.strictObject({ routing_key: routingKey, event_action: z.literal('resolve'), dedup_key: dedupKey });

export const pagerDutyEventSchema = z.union([pagerDutyTriggerSchema, pagerDutyResolveSchema]);

export function pagerDutyProblems(event: unknown): string[] {
  if (Buffer.byteLength(JSON.stringify(event)) > 512 * 1024) return ['the event is larger than 512 KB'];
  const r = pagerDutyEventSchema.safeParse(event);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

export const startFakePagerDuty = (): Promise<FakeSlack> =>
  startFakeSlack(pagerDutyProblems, {
    accepted: (e) => ({
      status: 202,
      body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: (e as { dedup_key?: string }).dedup_key }),
    }),
    refused: (errors) => ({ status: 400, body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors }) }),
  });
