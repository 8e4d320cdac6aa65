/**
 * A loopback Teams Workflows webhook, for tests and local mode. It checks each post against a strict schema
 * of the documented shape and answers `202 Accepted` (a flow's webhook trigger runs the flow later), `413`
 * past the size limit, `400` otherwise.
 *
 * Sources: Microsoft Learn, Teams platform, "Create and send messages" (webhooks-and-connectors/how-to/
 * connectors-using): the envelope `{"type": "message", "attachments": [{"contentType":
 * "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": …}]}`, Workflows taking Adaptive
 * Cards only, the 28 KB message limit; adaptivecards.io schema explorer for TextBlock, FactSet, ActionSet and
 * Action.OpenUrl (the elements Vigil uses; anything else is refused here so a new one gets checked first).
 */
import { z } from 'zod';
import { startFakeSlack, type FakeSlack } from './slack-server';

/** Teams' documented message limit. */
export const TEAMS_LIMIT_BYTES = 28 * 1024;

const color = z.enum(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']);
const spacing = z.enum(['None', 'Small', 'Default', 'Medium', 'Large', 'ExtraLarge', 'Padding']);
const textBlock = z.strictObject({
  type: z.literal('TextBlock'),
  text: z.string(),
  wrap: z.boolean().optional(),
  weight: z.enum(['Lighter', 'Default', 'Bolder']).optional(),
  size: z.enum(['Small', 'Default', 'Medium', 'Large', 'ExtraLarge']).optional(),
  color: color.optional(),
  isSubtle: z.boolean().optional(),
  spacing: spacing.optional(),
});
const factSet = z.strictObject({
  type: z.literal('FactSet'),
  facts: z.array(z.strictObject({ title: z.string(), value: z.string() })).min(1),
});
const openUrl = z.strictObject({ type: z.literal('Action.OpenUrl'), title: z.string().optional(), url: z.url() });
const actionSet = z.strictObject({ type: z.literal('ActionSet'), actions: z.array(openUrl).min(1) });

export const teamsMessageSchema = z.strictObject({
  type: z.literal('message'),
  attachments: z
    .array(
      z.strictObject({
        contentType: z.literal('application/vnd.microsoft.card.adaptive'),
        contentUrl: z.null().optional(),
        content: z.strictObject({
          $schema: z.literal('http://adaptivecards.io/schemas/adaptive-card.json').optional(),
          type: z.literal('AdaptiveCard'),
          // Teams renders Adaptive Cards up to 1.5; Vigil keeps to 1.4, which every client takes.
          version: z.enum(['1.0', '1.1', '1.2', '1.3', '1.4', '1.5']),
          body: z.array(z.discriminatedUnion('type', [textBlock, factSet, actionSet])).min(1),
          actions: z.array(openUrl).optional(),
          msteams: z.strictObject({ width: z.literal('Full') }).optional(),
        }),
      }),
    )
    .length(1),
});

export function teamsProblems(message: unknown): string[] {
  const size = Buffer.byteLength(JSON.stringify(message));
  if (size > TEAMS_LIMIT_BYTES) return [`${size} bytes, over Teams' ${TEAMS_LIMIT_BYTES}`];
  const r = teamsMessageSchema.safeParse(message);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

export const startFakeTeams = (): Promise<FakeSlack> =>
  startFakeSlack(teamsProblems, {
    accepted: () => ({ status: 202, body: '' }),
    refused: (problems) => ({ status: problems[0].includes('bytes, over') ? 413 : 400, body: problems.join('; ') }),
  });
