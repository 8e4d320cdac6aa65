import { blockKitProblems, startFakeSlack } from '../../../sim/notify/slack-server';

test('answers like Slack: ok, invalid_payload, invalid_blocks, and scripted statuses with Retry-After', async () => {
  const slack = await startFakeSlack();
  try {
    const post = (body: string) => fetch(slack.url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const ok = await post(JSON.stringify({ text: 'hi' }));
    expect([ok.status, await ok.text()]).toEqual([200, 'ok']);
    const bad = await post('{not json');
    expect([bad.status, await bad.text()]).toEqual([400, 'invalid_payload']);
    const big = await post(JSON.stringify({ blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] }));
    expect([big.status, await big.text()]).toEqual([400, 'invalid_blocks']);
    slack.respond({ status: 429, retryAfterSeconds: 7 });
    const limited = await post(JSON.stringify({ text: 'hi' }));
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    expect(slack.posts).toEqual([{ text: 'hi' }]);
    expect(slack.requests.map((r) => r.status)).toEqual([200, 400, 400, 429]);
  } finally {
    await slack.close();
  }
});

test('blockKitProblems names every limit broken', () => {
  const section = (text: string, fields = 0) => ({
    type: 'section',
    text: { type: 'mrkdwn', text },
    ...(fields ? { fields: Array.from({ length: fields }, () => ({ type: 'mrkdwn', text: 'f'.repeat(2001) })) } : {}),
  });
  expect(
    blockKitProblems({
      blocks: [
        section('a'.repeat(3001), 11),
        { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })) },
      ],
    }),
  ).toEqual([
    'blocks[0] section text 3001 chars (max 3000)',
    'blocks[0] 11 fields (max 10)',
    ...Array.from({ length: 11 }, (_, j) => `blocks[0].fields[${j}] 2001 chars (max 2000)`),
    'blocks[1] 11 context elements (max 10)',
  ]);
  expect(blockKitProblems({ blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) })).toEqual(['51 blocks (max 50)']);
  expect(blockKitProblems({ text: 'plain' })).toEqual([]);
});
