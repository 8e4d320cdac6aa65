import { buildNotification } from '../../../model/notification';
import { escapeSlack, formatSlack, SLACK_LIMITS, type SlackBlock } from '../../../lambdas/notify/slack';
import { blockKitProblems } from '../../../sim/notify/slack-server';
import { AT, domino, hostile, leak, resolvedNode } from './fixtures';

const active = { firing: 3, critical: 1, muted: 0 };
const texts = (blocks: readonly SlackBlock[]): string[] =>
  blocks.flatMap((b) =>
    ('text' in b && b.text ? [b.text.text] : [])
      .concat('fields' in b && b.fields ? b.fields.map((f) => f.text) : [])
      .concat('elements' in b ? b.elements.map((e) => e.text) : []),
  );

test('header with the severity; per change: what and summary, fields for where and evidence, since when and what to do', () => {
  const m = formatSlack(buildNotification('prod-eu-1', AT, [domino, resolvedNode], active));
  expect(blockKitProblems(m)).toEqual([]);
  expect(m.text).toBe('[CRITICAL] prod-eu-1: Scale-in under pressure (domino) (eks-general-5ec8a1b2-1) +1 more');
  const [header, section, includes, context] = m.blocks as [
    Extract<SlackBlock, { type: 'header' }>,
    Extract<SlackBlock, { type: 'section' }>,
    Extract<SlackBlock, { type: 'section' }>,
    Extract<SlackBlock, { type: 'context' }>,
  ];
  expect(header.text.text).toBe(':red_circle: CRITICAL · prod-eu-1 · 1 firing, 1 resolved');
  expect(section.text!.text).toMatch(
    /^:red_circle: \*FIRING · Scale-in under pressure \(domino\)\* \(critical\)\neks-general-5ec8a1b2-1 lowered desired capacity 3 → 2/,
  );
  expect(section.fields!.map((f) => f.text)).toEqual([
    '*Cluster*\nprod-eu-1',
    '*Node group*\ngeneral',
    '*Auto Scaling group*\neks-general-5ec8a1b2-1',
    '*desired from*\n3',
    '*desired to*\n2',
    '*scaled in at*\n2026-11-23 12:03 UTC',
    '*trigger*\nalarm TargetTracking-eks-general-AlarmLow-7f3c, policy cpu50-target-tracking',
    '*pending pods before*\n0',
    '*pending pods now*\n4',
    '*findings*\nnode-pressure ×2, pods-pending ×1',
  ]);
  expect(includes.text!.text).toMatch(/^\*Includes \(muted here\):\*\n• `node-pressure` MemoryPressure/);
  expect(context.elements.map((e) => e.text)).toEqual([
    'since 2026-11-23 12:03 UTC (11 min)',
    "*What to do:* Raise the group's desired/min capacity now; then stop the scale-in trigger.",
    'rule `scale-in-under-pressure`',
  ]);
  const resolved = texts(m.blocks).find((t) => t.includes('RESOLVED'))!;
  expect(resolved).toMatch(/^:white_check_mark: \*RESOLVED · Node not ready\* \(warning\)/);
  expect(texts(m.blocks)).toContain('2026-11-23 11:40 UTC to 2026-11-23 12:14 UTC (34 min)');
});

test('text from the cluster is escaped: &, < and > cannot mention @channel or break links', () => {
  const m = formatSlack(buildNotification('prod-eu-1', AT, [hostile], active));
  const all = texts(m.blocks).join('\n');
  expect(all).not.toMatch(/<!channel>|<@U123>|<p>|a&b/);
  expect(all).toContain('FailedMount on Pod a&amp;b/&lt;p&gt;: &lt;!channel&gt; secret "db&amp;pass" not found &gt; retry');
  expect(all).toContain('*Namespace*\na&amp;b');
  expect(all).toContain('&lt;@U123&gt; &amp; friends &gt; all');
  expect(all).toContain('*What to do:* Read the event &amp; fix &lt;it&gt;.');
  expect(escapeSlack('a & <b> & c')).toBe('a &amp; &lt;b&gt; &amp; c');
});

test("a storm becomes one digest message within Slack's limits", () => {
  const storm = [domino, resolvedNode, ...Array.from({ length: 300 }, (_, i) => leak(i))];
  const m = formatSlack(buildNotification('prod-eu-1', AT, storm, active));
  expect(blockKitProblems(m)).toEqual([]);
  expect(m.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  const all = texts(m.blocks).join('\n');
  expect(all).toContain('*Also in this evaluation (');
  expect(all).toMatch(
    /• FIRING \*Container OOM-killed\* ×\d+: shop\/Deployment\/svc-\d+\/app, shop\/Deployment\/svc-\d+\/app, shop\/Deployment\/svc-\d+\/app and \d+ more/,
  );
  expect(all).toContain('• …and 252 more not detailed: Container OOM-killed ×251, Node not ready ×1');
  // The domino stays in detail at the top.
  expect((m.blocks[1] as { text: { text: string } }).text.text).toMatch(/Scale-in under pressure/);
});

test('every text stays within its limit, whatever the input', () => {
  const huge = {
    ...leak(1),
    title: 'T'.repeat(300),
    summary: '<&>'.repeat(2000),
    evidence: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`key${i}`, '&'.repeat(3000)])),
  };
  const m = formatSlack(
    buildNotification(
      'x'.repeat(100),
      AT,
      Array.from({ length: 12 }, () => huge),
      active,
    ),
  );
  expect(blockKitProblems(m)).toEqual([]);
  for (const t of texts(m.blocks)) expect(t).not.toMatch(/&(a(m(p)?)?|l(t)?|g(t)?)?…/);
});
