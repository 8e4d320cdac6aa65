import {
  activeSilences,
  maintenanceWindowsSchema,
  matches,
  parseMatchers,
  silenceOf,
  windowOpen,
  type MaintenanceWindow,
  type SilenceTarget,
} from '../../model/silence';
import { formatPath } from '../../common/json-path';

const podAlert: SilenceTarget = {
  rule: 'container-oom-killed',
  severity: 'warning',
  subject: {
    cluster: 'prod',
    nodeGroup: 'workers',
    node: 'ip-10-0-1-5.eu-west-1.compute.internal',
    namespace: 'shop',
    workload: 'Deployment/cart',
    pod: 'cart-7d9f-abcde',
    container: 'app',
  },
};

describe('matching', () => {
  test('every matcher must match, by equality or glob; an absent label never matches', () => {
    expect(matches({}, podAlert)).toBe(true);
    expect(matches({ cluster: 'prod', namespace: 'shop' }, podAlert)).toBe(true);
    expect(matches({ rule: 'container-*', node: 'ip-10-0-1-*' }, podAlert)).toBe(true);
    expect(matches({ namespace: 'shop-*' }, podAlert)).toBe(false);
    expect(matches({ namespace: 'shop', container: 'sidecar' }, podAlert)).toBe(false);
    expect(matches({ severity: 'critical' }, podAlert)).toBe(false);
    expect(matches({ namespace: '*' }, { ...podAlert, subject: { cluster: 'prod', node: 'n1' } })).toBe(false);
  });

  test('a workload matches by Kind/name or by its name alone; dots in patterns are literal', () => {
    expect(matches({ workload: 'Deployment/cart' }, podAlert)).toBe(true);
    expect(matches({ workload: 'cart' }, podAlert)).toBe(true);
    expect(matches({ workload: 'StatefulSet/*' }, podAlert)).toBe(false);
    expect(matches({ node: 'ip-10-0-1-5.eu-west-1.compute.internal' }, podAlert)).toBe(true);
    expect(matches({ node: 'ip-10-0-1-5xeu-west-1.compute.internal' }, podAlert)).toBe(false);
  });

  test('command-line matchers: every problem named at once', () => {
    expect(parseMatchers(['namespace=shop', 'rule=container-*'])).toEqual({
      matchers: { namespace: 'shop', rule: 'container-*' },
      problems: [],
    });
    expect(parseMatchers(['team=shop', 'namespace=', 'node=a', 'node=b', 'oops']).problems).toEqual([
      '"team=shop": expected label=pattern with a label of cluster, rule, severity, nodeGroup, node, namespace, workload, container',
      '"namespace=": the pattern is empty',
      '"node=b": node is matched twice',
      '"oops": expected label=pattern with a label of cluster, rule, severity, nodeGroup, node, namespace, workload, container',
    ]);
  });

  test('only silences in force apply, the first that matches is named', () => {
    const t = Date.UTC(2026, 11, 5, 10, 0);
    const silences = [
      { id: 'ended', matchers: {}, startsAt: t - 7_200_000, endsAt: t, author: 'a', comment: '', createdAt: 0 },
      { id: 'later', matchers: {}, startsAt: t + 1, endsAt: t + 3_600_000, author: 'a', comment: '', createdAt: 0 },
      { id: 'shop', matchers: { namespace: 'shop' }, startsAt: t - 1, endsAt: t + 1, author: 'a', comment: '', createdAt: 0 },
    ];
    const active = activeSilences(silences, [], t);
    expect(active.map((s) => s.id)).toEqual(['shop']);
    expect(silenceOf(active, podAlert)?.id).toBe('shop');
    expect(silenceOf(active, { ...podAlert, subject: { ...podAlert.subject, namespace: 'db' } })).toBeUndefined();
  });
});

describe('maintenance windows', () => {
  const sunday = (w: Partial<MaintenanceWindow>): MaintenanceWindow => ({
    name: 'w',
    days: ['Sun'],
    start: '02:00',
    end: '04:00',
    timeZone: 'Europe/Paris',
    ...w,
  });

  test('open from start to end on its days, in its own time zone across daylight saving', () => {
    const w = sunday({});
    // Winter (CET, UTC+1): 02:00–04:00 Paris is 01:00–03:00 UTC.
    expect(windowOpen(w, Date.UTC(2026, 0, 4, 0, 59))).toBe(false);
    expect(windowOpen(w, Date.UTC(2026, 0, 4, 1, 0))).toBe(true);
    expect(windowOpen(w, Date.UTC(2026, 0, 4, 2, 59))).toBe(true);
    expect(windowOpen(w, Date.UTC(2026, 0, 4, 3, 0))).toBe(false);
    // Summer (CEST, UTC+2): 00:00–02:00 UTC.
    expect(windowOpen(w, Date.UTC(2026, 6, 5, 0, 0))).toBe(true);
    expect(windowOpen(w, Date.UTC(2026, 6, 5, 2, 0))).toBe(false);
    // A Saturday at the same hour is not a Sunday.
    expect(windowOpen(w, Date.UTC(2026, 6, 4, 0, 30))).toBe(false);
  });

  test('a window past midnight belongs to the day it starts on', () => {
    const w = sunday({ days: ['Sat'], start: '23:00', end: '01:00', timeZone: 'America/New_York' });
    // Saturday 23:30 and Sunday 00:30 in New York (EST, UTC-5).
    expect(windowOpen(w, Date.UTC(2026, 0, 11, 4, 30))).toBe(true);
    expect(windowOpen(w, Date.UTC(2026, 0, 11, 5, 30))).toBe(true);
    expect(windowOpen(w, Date.UTC(2026, 0, 11, 6, 0))).toBe(false);
    // Friday 23:30 is not Saturday's window, and Saturday 00:30 belongs to Friday's.
    expect(windowOpen(w, Date.UTC(2026, 0, 10, 4, 30))).toBe(false);
    expect(windowOpen(w, Date.UTC(2026, 0, 10, 5, 30))).toBe(false);
  });

  test('an open window is an active silence named after it, matching what it says', () => {
    const w = sunday({ name: 'patching', match: { nodeGroup: 'workers' } });
    const [active] = activeSilences([], [w], Date.UTC(2026, 0, 4, 1, 30));
    expect(active).toEqual({ id: 'window:patching', matchers: { nodeGroup: 'workers' } });
    expect(activeSilences([], [w], Date.UTC(2026, 0, 4, 4, 30))).toEqual([]);
  });

  test('the schema names each wrong field', () => {
    const r = maintenanceWindowsSchema.safeParse([
      { name: 'a', days: ['Sunday'], start: '2:00', end: '04:00', timeZone: 'Mars/Olympus', match: { team: 'x' } },
      { name: 'a', days: ['Sat'], start: '04:00', end: '04:00', timeZone: 'UTC' },
    ]);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${formatPath(i.path)}: ${i.message}`)).toEqual([
      '[0].days[0]: must be one of Sun, Mon, Tue, Wed, Thu, Fri, Sat',
      '[0].start: must be a time "HH:MM" (24-hour)',
      '[0].timeZone: must be an IANA time zone like "Europe/Paris" or "UTC"',
      '[0].match: unknown label(s) "team": expected cluster, rule, severity, nodeGroup, node, namespace, workload, container',
    ]);
    const twice = maintenanceWindowsSchema.safeParse([sunday({ name: 'a' }), sunday({ name: 'a', start: '04:00' })]);
    expect(twice.error!.issues.map((i) => `${formatPath(i.path)}: ${i.message}`)).toEqual([
      '[1].name: "a" is used twice',
      '[1].end: equals start: the window would be empty',
    ]);
  });
});
