import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/env';
import { DELIVERIES, MESSAGE_ATTRIBUTES, MESSAGE_SEVERITIES, receivesAll, severityAllowlist, type Delivery } from '../model/notification';
import { VigilFunction } from './vigil-function';

export { DELIVERIES, type Delivery };

/** What a publisher to an encrypted topic needs on its key (SNS generates a data key and checks it). */
const TOPIC_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

/** What an email address receives unless told otherwise: no `info`, which is for troubleshooting, not inboxes. */
export const DEFAULT_EMAIL_DELIVERIES: readonly Delivery[] = ['critical', 'warning', 'resolved', 'health'];

/** What a named email receiver (a team's addresses) gets unless told otherwise: its alerts, not Vigil's own health. */
export const DEFAULT_TEAM_EMAIL_DELIVERIES: readonly Delivery[] = ['critical', 'warning', 'resolved'];

/** An email address, as far as synth can tell: SNS confirms it. */
export const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export interface EmailRecipient {
  readonly address: string;
  /** @default DEFAULT_EMAIL_DELIVERIES */
  readonly receives?: readonly Delivery[];
}

/**
 * What PagerDuty receives unless told otherwise: what should wake someone (critical alerts), their
 * resolutions, and Vigil's own health alarms, the only signal when a whole cluster (and its agent) goes dark.
 */
export const DEFAULT_PAGERDUTY_DELIVERIES: readonly Delivery[] = ['critical', 'resolved', 'health'];

/** A receiver (Slack, Teams, PagerDuty, a generic webhook): a Lambda subscribed to the topics, posting to a URL or with a key kept secret. */
export interface ReceiverNotifications {
  /** Name of an existing Secrets Manager secret whose value is the receiver's webhook URL (PagerDuty: its routing key). */
  readonly secretName: string;
  /** @default DELIVERIES: everything, Vigil's health alarms included (PagerDuty: DEFAULT_PAGERDUTY_DELIVERIES) */
  readonly receives?: readonly Delivery[];
}

export interface NotificationsProps {
  readonly emails: readonly EmailRecipient[];
  /** @default no Slack */
  readonly slack?: ReceiverNotifications;
  /** A webhook that takes Alertmanager's webhook body. @default no webhook */
  readonly webhook?: ReceiverNotifications;
  /** PagerDuty, through an Events API v2 integration. @default no PagerDuty */
  readonly pagerDuty?: ReceiverNotifications;
  /** Microsoft Teams, through a Workflows webhook. @default no Teams */
  readonly teams?: ReceiverNotifications;
  /**
   * Routes are on: the evaluator sends each receiver its own message, and each subscription takes only its
   * receiver's (`receiver` attribute). `vigil:alertEmails` are the receiver `email`. @default false
   */
  readonly routed?: boolean;
  /** Named email receivers (`vigil:receivers`), subscribed to their receiver's messages only. @default none */
  readonly emailReceivers?: Readonly<Record<string, { readonly emails: readonly string[]; readonly receives?: readonly Delivery[] }>>;
  /** Failed deliveries to the receivers' functions land here. */
  readonly failures: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  /** Alarm names start with this; CloudWatch may use the topic's key only for alarms named so. */
  readonly alarmNamePrefix: string;
  /** @default a new customer managed key with yearly rotation (CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key) */
  readonly encryptionKey?: kms.IKey;
}

/** Each receiver's function, by its name in routes and `vigil:severityRouting`. */
const RECEIVER_FUNCTIONS = {
  slack: {
    id: 'Slack',
    entry: 'lambdas/notify/slack-handler.ts',
    description: 'Vigil Slack notifier: posts alerts to the incoming webhook',
    secretVariable: ENV.slackSecretName,
  },
  webhook: {
    id: 'Webhook',
    entry: 'lambdas/notify/webhook-handler.ts',
    description: "Vigil webhook notifier: posts alerts to a webhook in Alertmanager's format",
    secretVariable: ENV.webhookSecretName,
  },
  pagerduty: {
    id: 'PagerDuty',
    entry: 'lambdas/notify/pagerduty-handler.ts',
    description: 'Vigil PagerDuty notifier: sends one Events API v2 event per alert',
    secretVariable: ENV.pagerDutySecretName,
    // One event per alert, one after the other: a storm's hundreds of events take minutes, not seconds.
    timeout: Duration.minutes(5),
  },
  teams: {
    id: 'Teams',
    entry: 'lambdas/notify/teams-handler.ts',
    description: 'Vigil Teams notifier: posts alerts as Adaptive Cards to a Workflows webhook',
    secretVariable: ENV.teamsSecretName,
  },
} as const;
type ReceiverFunctionName = keyof typeof RECEIVER_FUNCTIONS;

/**
 * Two encrypted, TLS-only topics. `alerts` carries the evaluator's messages with `severities`/`cluster`/`rule`
 * attributes, so each subscription filters by severity (a resolution by the severity of the alert it ends).
 * `health` carries Vigil's own CloudWatch alarms, kept
 * apart because alarm notifications have no message attributes and SNS filter policies never match a message
 * without attributes: on one topic, a filtered subscription would silently miss every alarm.
 */
export class Notifications extends Construct {
  readonly key: kms.IKey;
  readonly alerts: sns.Topic;
  readonly health: sns.Topic;
  readonly slack?: VigilFunction;
  readonly webhook?: VigilFunction;
  readonly pagerDuty?: VigilFunction;
  readonly teams?: VigilFunction;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'Vigil notifications: encrypts the alert and health topics',
        enableKeyRotation: true,
        // It protects messages in flight only: nothing needs it once the stack is gone.
        removalPolicy: RemovalPolicy.DESTROY,
        pendingWindow: Duration.days(7),
      });
    this.alerts = new sns.Topic(this, 'Alerts', { displayName: 'Vigil alerts', masterKey: this.key, enforceSSL: true });
    this.health = new sns.Topic(this, 'Health', { displayName: 'Vigil health', masterKey: this.key, enforceSSL: true });
    this.allowAlarms(props.alarmNamePrefix);

    const receiver = (name: string) => (props.routed ? name : undefined);
    for (const email of props.emails) {
      this.subscribe(
        email.receives ?? DEFAULT_EMAIL_DELIVERIES,
        (filterPolicy) => new subs.EmailSubscription(email.address, { filterPolicy }),
        receiver('email'),
      );
    }
    for (const [name, r] of Object.entries(props.emailReceivers ?? {})) {
      for (const address of r.emails)
        this.subscribe(
          r.receives ?? DEFAULT_TEAM_EMAIL_DELIVERIES,
          (filterPolicy) => new subs.EmailSubscription(address, { filterPolicy }),
          name,
        );
    }
    this.slack = props.slack && this.receiver('slack', props.slack, props);
    this.webhook = props.webhook && this.receiver('webhook', props.webhook, props);
    this.pagerDuty =
      props.pagerDuty &&
      this.receiver('pagerduty', { ...props.pagerDuty, receives: props.pagerDuty.receives ?? DEFAULT_PAGERDUTY_DELIVERIES }, props);
    this.teams = props.teams && this.receiver('teams', props.teams, props);
  }

  /** A receiver's function: reads its secret only, retried by Lambda, failures to the queue, subscribed as asked. */
  private receiver(name: ReceiverFunctionName, r: ReceiverNotifications, props: NotificationsProps): VigilFunction {
    const { id, ...fn } = RECEIVER_FUNCTIONS[name];
    const receives = r.receives ?? DELIVERIES;
    // A message passes the subscription's filter if any of its changes does: the function sends only those it receives.
    const environment: Record<string, string> = receivesAll(receives) ? {} : { [ENV.receives]: JSON.stringify(receives) };
    const secret = secretsmanager.Secret.fromSecretNameV2(this, `${id}Webhook`, r.secretName);
    const receiver = new VigilFunction(this, id, {
      entry: fn.entry,
      description: fn.description,
      // By name: the partial ARN of an imported secret would be taken as a complete one if the name ended in -xxxxxx.
      environment: { [fn.secretVariable]: r.secretName, ...environment },
      memorySize: 256,
      timeout: 'timeout' in fn ? fn.timeout : Duration.seconds(15),
      logRetention: props.logRetention,
      onFailure: props.failures,
      // An alert older than an hour is history: the failure queue keeps it for a person to read.
      maxEventAge: Duration.hours(1),
    });
    secret.grantRead(receiver.role);
    const lambda = receiver.function;
    this.subscribe(receives, (filterPolicy) => new subs.LambdaSubscription(lambda, { filterPolicy }), props.routed ? name : undefined);
    return receiver;
  }

  /**
   * Subscribes to `alerts` (filtered to the chosen severities, unless all, and with routes to its receiver's
   * messages) and to `health` when asked.
   */
  private subscribe(
    receives: readonly Delivery[],
    subscription: (filter?: Record<string, sns.SubscriptionFilter>) => sns.ITopicSubscription,
    receiver?: string,
  ): void {
    const severities = MESSAGE_SEVERITIES.filter((s) => receives.includes(s));
    if (severities.length > 0) {
      const filter: Record<string, sns.SubscriptionFilter> = {
        ...(severities.length === MESSAGE_SEVERITIES.length
          ? {}
          : { [MESSAGE_ATTRIBUTES.severities]: sns.SubscriptionFilter.stringFilter({ allowlist: severityAllowlist(severities) }) }),
        ...(receiver ? { [MESSAGE_ATTRIBUTES.receiver]: sns.SubscriptionFilter.stringFilter({ allowlist: [receiver] }) } : {}),
      };
      this.alerts.addSubscription(subscription(Object.keys(filter).length ? filter : undefined));
    }
    if (receives.includes('health')) this.health.addSubscription(subscription());
  }

  /** CloudWatch alarms publish to `health`: the topic policy and the key must both let them, for Vigil's alarms only. */
  private allowAlarms(alarmNamePrefix: string): void {
    const cloudwatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const conditions = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${alarmNamePrefix}*` },
    };
    this.health.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [cloudwatch], actions: ['sns:Publish'], resources: [this.health.topicArn], conditions }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [cloudwatch], actions: [...TOPIC_KEY_ACTIONS], resources: ['*'], conditions }),
    );
  }

  /**
   * Lets the evaluator publish alerts. Not `topic.grantPublish`, whose key grant is the wildcard action
   * `kms:GenerateDataKey*`: publishing to an encrypted topic needs exactly these two.
   */
  grantPublishAlerts(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.alerts.topicArn] });
    this.key.grant(grantee, ...TOPIC_KEY_ACTIONS);
  }
}
