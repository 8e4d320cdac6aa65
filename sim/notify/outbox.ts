/**
 * Local mode's publisher: instead of SNS, every message is appended to an outbox file — one JSON line each,
 * with the email text, the Slack message the Slack function would post (Block Kit), the body the webhook
 * function would post (Alertmanager's, version 4), the notification itself and, with loopback receivers, what
 * each received, so a run can be checked afterwards — and printed as a person reads it in email.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { AlertPublisher, OutgoingMessage } from '../../lambdas/message/publisher';
import { alertmanagerOf, type AlertmanagerMessage } from '../../lambdas/notify/alertmanager';
import { formatSlack, type SlackMessage } from '../../lambdas/notify/slack';
import type { LoopbackReceivers, Received, ReceiverKind } from './receivers';

export interface OutboxEntry {
  readonly messageId: string;
  readonly publishedAt: string;
  readonly subject: string;
  readonly attributes: OutgoingMessage['attributes'];
  readonly text: string;
  readonly slack: SlackMessage;
  readonly webhook: AlertmanagerMessage;
  readonly notification: OutgoingMessage['notification'];
  /** With loopback receivers (`vigil local --receivers`): what each one's server accepted, by kind. */
  readonly received?: Partial<Record<ReceiverKind, Received>>;
}

export interface OutboxOptions {
  /** The JSON-lines file messages are appended to (its folder is created). */
  readonly file: string;
  /** Where the readable form goes. @default nothing */
  readonly print?: (text: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** Each message also goes through these receivers' real functions to their loopback servers. @default none */
  readonly receivers?: LoopbackReceivers;
}

export class OutboxPublisher implements AlertPublisher {
  private count = 0;

  constructor(private readonly opts: OutboxOptions) {
    fs.mkdirSync(path.dirname(opts.file), { recursive: true });
  }

  async publish(m: OutgoingMessage): Promise<string> {
    const messageId = `local-${process.pid}-${++this.count}`;
    const entry: OutboxEntry = {
      messageId,
      publishedAt: new Date((this.opts.now ?? Date.now)()).toISOString(),
      subject: m.subject,
      attributes: m.attributes,
      text: m.text,
      slack: formatSlack(m.notification),
      webhook: alertmanagerOf(m.notification),
      notification: m.notification,
      ...(this.opts.receivers ? { received: await this.opts.receivers.deliver(messageId, m) } : {}),
    };
    await fs.promises.appendFile(this.opts.file, JSON.stringify(entry) + '\n');
    this.opts.print?.(readable(entry));
    return messageId;
  }
}

/** An outbox entry as it would look in a mail client. */
export function readable(e: OutboxEntry): string {
  const rule = '─'.repeat(72);
  return [
    rule,
    `Subject: ${e.subject}`,
    `Attributes: severity=${e.attributes.severity} cluster=${e.attributes.cluster} rule=${e.attributes.rule}${e.attributes.receiver ? ` receiver=${e.attributes.receiver}` : ''}`,
    rule,
    e.text,
    rule,
  ].join('\n');
}

/** Every entry of an outbox file, oldest first; none when it does not exist yet. */
export function readOutbox(file: string): OutboxEntry[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as OutboxEntry);
}
