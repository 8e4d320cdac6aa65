/**
 * The Slack notifier: the notifier of `notifier.ts` with Slack as its receiver, rendering each notification
 * as Block Kit. A message that is not a Vigil notification is posted as plain text.
 */
import type { Logger } from '../../common/log';
import { contentOf, createNotifier, type NotifierDeps, type Receiver } from './notifier';
import { SLACK } from './secrets';
import { escapeSlack, formatAlarmSlack, formatSlack, SLACK_LIMITS, type SlackMessage } from './slack';

/** The Slack message for one SNS message. */
export function slackMessageOf(message: string, subject: string | undefined, log: Logger): SlackMessage {
  const c = contentOf(message, log);
  if ('notification' in c) return formatSlack(c.notification);
  if ('alarm' in c) return formatAlarmSlack(c.alarm);
  const text = escapeSlack([subject, message].filter(Boolean).join('\n'));
  const cut = text.length > SLACK_LIMITS.sectionText ? `${text.slice(0, SLACK_LIMITS.sectionText - 1)}…` : text;
  return { text: cut, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: cut } }] };
}

export const SLACK_RECEIVER: Receiver = { ...SLACK, render: (sns, log) => JSON.stringify(slackMessageOf(sns.Message, sns.Subject, log)) };

export const createSlackHandler = (deps: NotifierDeps) => createNotifier(SLACK_RECEIVER, deps);
