/**
 * AWS list prices (us-east-1, USD) used by every cost figure Vigil prints. One place, each with its source;
 * docs/costs.md says how each was found and how sure we are. Re-check before quoting to a customer.
 */
export const PRICES = {
  dynamodb: {
    /** On-demand write request unit (after the November 2024 50% cut). aws.amazon.com/dynamodb/pricing/on-demand/ */
    perMillionWriteUnits: 0.625,
    /** On-demand read request unit. Same source. */
    perMillionReadUnits: 0.125,
    /** Standard table class storage; the first 25 GB a month are free (ignored here). aws.amazon.com/dynamodb/pricing/ */
    perGbMonth: 0.25,
  },
  lambda: {
    /** aws.amazon.com/lambda/pricing/ */
    perMillionRequests: 0.2,
    /** arm64, first 7.5 billion GB-seconds a month. Same source. */
    perGbSecondArm: 0.0000133334,
  },
  cloudwatch: {
    /** GetMetricData: per 1,000 metrics requested, always charged (no free tier). aws.amazon.com/cloudwatch/pricing/ */
    perThousandGetMetricDataMetrics: 0.01,
    /** Custom metrics (EMF-extracted included), first 10,000 metric-months. Same source. */
    perCustomMetricMonth: 0.3,
    /** Logs ingestion, Standard class. Same source. */
    perGbLogsIngested: 0.5,
    /** Standard-resolution alarm metric-month. Same source. */
    perAlarmMonth: 0.1,
    /** Per dashboard-month beyond the 3 free ones. Same source. */
    perDashboardMonth: 3,
    /**
     * Container Insights enhanced observability, first tier, per million observations. A secondary source
     * (a 2026 design record quoting aws.amazon.com/cloudwatch/pricing/); the least certain price here.
     */
    perMillionContainerInsightsObservations: 0.21,
  },
  kms: {
    /** A customer managed key, per month (requests within the free 20,000 a month). aws.amazon.com/kms/pricing/ */
    perKeyMonth: 1,
  },
  sns: {
    /** Standard topic publishes after the first million a month. aws.amazon.com/sns/pricing/ */
    perMillionPublishes: 0.5,
    /** Email deliveries after the first 1,000 a month; deliveries to Lambda (the Slack function) are free. Same source. */
    perHundredThousandEmails: 2,
  },
  secretsManager: {
    /** A secret (the Slack webhook), per month. aws.amazon.com/secrets-manager/pricing/ */
    perSecretMonth: 0.4,
  },
} as const;

/** Minutes in the 730-hour month AWS prices by. */
export const MINUTES_PER_MONTH = 730 * 60;
