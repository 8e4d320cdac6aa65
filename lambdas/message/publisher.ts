/**
 * Publishing a notification: one SNS message per cluster per evaluation, `MessageStructure: 'json'` so email
 * subscribers get the plain text and the Slack function (`lambda` protocol) the structured notification,
 * with the message attributes of `model/notification.ts` that subscription filter policies match.
 */
import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import { defaultRetryPolicy, retrying, type RetryPolicy } from '../../common/retry';
import {
  type AlertChange,
  buildNotification,
  byImportance,
  MAX_DETAILED,
  MAX_FOLDED,
  MESSAGE_ATTRIBUTES,
  type Notification,
  severityTag,
  type SeverityTag,
} from '../../model/notification';
import { labelAttributeName } from '../../model/route';
import type { EpochMs } from '../../model/time';
import { emailSubject, emailText } from './email';

export interface OutgoingMessage {
  readonly subject: string;
  /** The email body. */
  readonly text: string;
  readonly notification: Notification;
  /** Values of `MESSAGE_ATTRIBUTES`; `receiver` only when routes split the evaluation per receiver. */
  readonly attributes: {
    readonly severity: string;
    readonly severities: readonly SeverityTag[];
    readonly cluster: string;
    readonly rule: string;
    readonly receiver?: string;
  };
  /** Route label key → the values among the message's changes (`String.Array` attributes, e.g. `team`). */
  readonly labels?: Readonly<Record<string, readonly string[]>>;
}

/** What routing adds to a message: its receiver, and the route labels of its changes. */
export interface MessageRouting {
  readonly receiver?: string;
  readonly labels?: Readonly<Record<string, readonly string[]>>;
}

/** Where the evaluator sends its messages: SNS in AWS, an outbox file in local mode, a list in tests. */
export interface AlertPublisher {
  /** Resolves to the message id; rejects when the message was not accepted. */
  publish(message: OutgoingMessage): Promise<string>;
}

/** SNS's limit on a message (all protocols of a JSON message together), with room for the envelope. */
export const MAX_SNS_MESSAGE_BYTES = 250_000;
/** Changes kept in detail before the folded list is shortened: people read a few in full, PagerDuty needs each one. */
const KEEP_DETAILED = 6;

/** The SNS `Message` of a `MessageStructure: 'json'` publish. */
export function snsMessageBody(m: OutgoingMessage): string {
  return JSON.stringify({ default: m.text, email: m.text, lambda: JSON.stringify(m.notification) });
}

/**
 * Builds the message of one evaluation. A storm is reported in detail as far as SNS's size limit allows, the
 * rest counted per rule and carried one by one in `folded` (as far as the limit allows) for the receivers that
 * open and close each alert.
 */
export function composeMessage(
  cluster: string,
  evaluatedAt: EpochMs,
  changes: readonly AlertChange[],
  active: Notification['active'],
  routing: MessageRouting = {},
): OutgoingMessage {
  // Every change counts, detailed or not: a subscription must not miss a resolution folded into the digest.
  const severities = [...new Set([...changes].sort(byImportance).map((c) => severityTag(c.severity, c.kind === 'resolved')))];
  // Fewer in detail down to a few, then fewer folded one by one (those beyond are only counted), then fewer in detail.
  for (
    let detailed = MAX_DETAILED, folded = MAX_FOLDED;
    ;
    detailed > KEEP_DETAILED || folded === 0 ? (detailed = Math.floor(detailed / 2)) : (folded = Math.floor(folded / 2))
  ) {
    const notification = buildNotification(cluster, evaluatedAt, changes, active, detailed, folded);
    const m: OutgoingMessage = {
      subject: emailSubject(notification),
      text: emailText(notification),
      notification,
      attributes: {
        severity: notification.severity,
        severities,
        cluster,
        rule: notification.rule,
        ...(routing.receiver ? { receiver: routing.receiver } : {}),
      },
      ...(routing.labels && Object.keys(routing.labels).length ? { labels: routing.labels } : {}),
    };
    if ((detailed === 0 && folded === 0) || Buffer.byteLength(snsMessageBody(m)) <= MAX_SNS_MESSAGE_BYTES) return m;
  }
}

export function snsPublishInput(topicArn: string, m: OutgoingMessage): PublishCommandInput {
  return {
    TopicArn: topicArn,
    Subject: m.subject,
    MessageStructure: 'json',
    Message: snsMessageBody(m),
    MessageAttributes: Object.fromEntries([
      ...(Object.keys(MESSAGE_ATTRIBUTES) as (keyof typeof MESSAGE_ATTRIBUTES)[]).flatMap((k) => {
        const v = m.attributes[k];
        if (v === undefined) return [];
        return [
          [
            MESSAGE_ATTRIBUTES[k],
            typeof v === 'string' ? { DataType: 'String', StringValue: v } : { DataType: 'String.Array', StringValue: JSON.stringify(v) },
          ],
        ];
      }),
      ...Object.entries(m.labels ?? {}).map(([k, v]) => [
        labelAttributeName(k),
        { DataType: 'String.Array', StringValue: JSON.stringify(v) },
      ]),
    ]),
  };
}

/** The SNS adapter. The SDK retries throttling inside a call; this retries a call whose retries ran out. */
export class SnsPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
    private readonly retry: RetryPolicy = { ...defaultRetryPolicy, attempts: 3 },
  ) {}

  async publish(m: OutgoingMessage): Promise<string> {
    const out = await retrying(() => this.client.send(new PublishCommand(snsPublishInput(this.topicArn, m))), this.retry);
    return out.MessageId ?? '';
  }
}
