/** Vigil's own CloudWatch alarms as every receiver reads them from the health topic. */
import { z } from 'zod';

/**
 * A CloudWatch alarm's notification, as SNS delivers it from the health topic (the fields Vigil shows; the
 * others, such as `Trigger`, pass through).
 */
export const cloudWatchAlarmSchema = z.object({
  AlarmName: z.string(),
  AlarmDescription: z.string().nullish(),
  NewStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  OldStateValue: z.string().nullish(),
  NewStateReason: z.string(),
  StateChangeTime: z.string(),
  Region: z.string().nullish(),
});
export type CloudWatchAlarmMessage = z.infer<typeof cloudWatchAlarmSchema>;
