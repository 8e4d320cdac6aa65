import type { z } from 'zod';
import { createLogger, silentLogger } from '../../../common/log';
import { composeMessage } from '../../../lambdas/message/publisher';
import { WebhookUrlCache } from '../../../lambdas/notify/secrets';
import { createTeamsHandler, TEAMS_MAX_BYTES } from '../../../lambdas/notify/teams';
import { FetchWebhookClient } from '../../../lambdas/notify/webhook';
import { ManualClock } from '../../../model/time';
import { StaticSecretSource } from '../../../sim/notify/secrets';
import type { FakeSlack } from '../../../sim/notify/slack-server';
import { startFakeTeams, teamsProblems, type teamsMessageSchema } from '../../../sim/notify/teams-server';
import { AT, domino, hostile, leak, resolvedNode, snsEvent } from './fixtures';

// Every post is checked by the loopback Workflows webhook against a strict schema of the documented envelope
// and Adaptive Card elements (sim/notify/teams-server.ts cites the sources): an invalid one is answered 400.
type Body = z.infer<typeof teamsMessageSchema>;
type Element = Body['attachments'][number]['content']['body'][number];

const SECRET = 'vigil/teams';
let teams: FakeSlack;
beforeEach(async () => {
  teams = await startFakeTeams();
});
afterEach(() => teams.close());

const handlerWith = (logger = silentLogger, secrets = new StaticSecretSource({ [SECRET]: teams.url })) =>
  createTeamsHandler({
    webhookUrl: new WebhookUrlCache(secrets, SECRET, new ManualClock(AT)),
    webhook: new FetchWebhookClient(),
    logger,
    policy: { attempts: 3, baseMs: 1, capMs: 2, maxRetryAfterMs: 5000, sleep: async () => undefined, random: () => 0.5 },
  });
const card = (i = 0) => (teams.posts[i] as Body).attachments[0].content;
const texts = (body: readonly Element[]) => body.flatMap((e) => (e.type === 'TextBlock' ? [e.text] : []));

test('a notification is one Adaptive Card in the message envelope: severity, summary, evidence facts, runbook action, and the resolution', async () => {
  const m = composeMessage(
    'prod-eu-1',
    AT,
    [{ ...domino, runbookUrl: 'https://wiki.example.com/vigil/scale-in-under-pressure' }, resolvedNode],
    { firing: 1, critical: 1, muted: 0 },
  );
  expect(await handlerWith()(snsEvent(JSON.stringify(m.notification), m.subject))).toEqual({ posted: 1 });
  const body = teams.posts[0] as Body;
  expect(body.type).toBe('message');
  expect(body.attachments[0]).toMatchObject({
    contentType: 'application/vnd.microsoft.card.adaptive',
    contentUrl: null,
    content: { type: 'AdaptiveCard', version: '1.4' },
  });
  const c = card();
  expect(c.body[0]).toMatchObject({ type: 'TextBlock', text: 'CRITICAL · prod-eu-1 · 1 firing, 1 resolved', color: 'Attention' });
  const t = texts(c.body);
  expect(t).toContain('FIRING · Scale-in under pressure (domino) (critical)');
  expect(t).toContain(domino.summary);
  expect(t).toContain(`What to do: ${domino.runbook}`);
  expect(t).toContain('RESOLVED · Node not ready (warning)');
  expect(c.body.find((e) => e.type === 'TextBlock' && e.text.startsWith('RESOLVED'))).toMatchObject({ color: 'Good' });
  const facts = c.body.flatMap((e) => (e.type === 'FactSet' ? e.facts : []));
  expect(facts).toContainEqual({ title: 'desired from', value: '3' });
  expect(facts).toContainEqual({ title: 'reason', value: 'KubeletNotReady' });
  expect(c.body).toContainEqual({
    type: 'ActionSet',
    actions: [
      { type: 'Action.OpenUrl', title: 'Runbook: scale-in-under-pressure', url: 'https://wiki.example.com/vigil/scale-in-under-pressure' },
    ],
  });
});

test("a storm stays under Teams' 28 KB: the first changes in detail, the rest as a digest by rule", async () => {
  const fat = (i: number) => ({
    ...leak(i),
    summary: 's'.repeat(600),
    evidence: Object.fromEntries(Array.from({ length: 16 }, (_, k) => [`k${k}`, 'v'.repeat(400)])),
  });
  const m = composeMessage(
    'prod-eu-1',
    AT,
    Array.from({ length: 300 }, (_, i) => fat(i)),
    { firing: 300, critical: 0, muted: 0 },
  );
  await handlerWith()(snsEvent(JSON.stringify(m.notification)));
  expect(teams.posts).toHaveLength(1);
  expect(Buffer.byteLength(JSON.stringify(teams.posts[0]))).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
  const t = texts(card().body);
  const digest = t.find((x) => x.startsWith('Also in this evaluation'));
  expect(digest).toMatch(/^Also in this evaluation \(\d+ more\):\n- FIRING Container OOM-killed ×\d+: shop\/Deployment\/svc-/);
  expect(t.filter((x) => x.startsWith('FIRING · ')).length).toBeGreaterThan(0);
});

test("text from the cluster stays text; Vigil's alarms and foreign text are still posted as valid cards", async () => {
  const handler = handlerWith();
  await handler(snsEvent(JSON.stringify(composeMessage('prod-eu-1', AT, [hostile], { firing: 1, critical: 0, muted: 0 }).notification)));
  expect(texts(card(0).body)).toContain(hostile.summary);
  const alarm = {
    AlarmName: 'Vigil-agent-silence-prod-eu-1',
    AlarmDescription: 'No batch from the agent',
    NewStateValue: 'ALARM',
    OldStateValue: 'OK',
    NewStateReason: 'Threshold Crossed',
    StateChangeTime: '2026-11-23T12:14:31.123+0000',
    Region: 'EU (Ireland)',
  };
  await handler(snsEvent(JSON.stringify(alarm)));
  await handler(snsEvent(JSON.stringify({ ...alarm, NewStateValue: 'OK' })));
  await handler(snsEvent('Test message from the console', 'Hello'));
  expect(card(1).body[0]).toMatchObject({ text: 'HEALTH · FIRING · Vigil-agent-silence-prod-eu-1', color: 'Attention' });
  expect(card(2).body[0]).toMatchObject({ text: 'HEALTH · RESOLVED · Vigil-agent-silence-prod-eu-1', color: 'Good' });
  expect(texts(card(3).body)).toEqual(['Hello', 'Test message from the console']);
});

test('the shared delivery discipline: a refusal is thrown as TeamsDeliveryError; an unusable secret gives TeamsSecretUnusable', async () => {
  teams.respond({ status: 400, body: 'bad card' });
  await expect(handlerWith()(snsEvent('x'))).rejects.toMatchObject({ name: 'TeamsDeliveryError', status: 400 });
  const lines: string[] = [];
  await expect(
    handlerWith(createLogger({ service: 't', sink: (l) => lines.push(l) }), new StaticSecretSource({}))(snsEvent('x')),
  ).resolves.toEqual({ posted: 0 });
  expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', TeamsSecretUnusable: 1, Service: 'vigil-teams' });
});

test('the schema is strict: a MessageCard, another content type or an unknown element is refused', () => {
  expect(teamsProblems({ '@type': 'MessageCard', text: 'x' })).not.toEqual([]);
  const ok = {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'x' }] },
      },
    ],
  };
  expect(teamsProblems(ok)).toEqual([]);
  expect(teamsProblems({ ...ok, attachments: [{ ...ok.attachments[0], contentType: 'application/json' }] })).not.toEqual([]);
  expect(
    teamsProblems({
      ...ok,
      attachments: [{ ...ok.attachments[0], content: { ...ok.attachments[0].content, body: [{ type: 'Media', sources: [] }] } }],
    }),
  ).not.toEqual([]);
});
