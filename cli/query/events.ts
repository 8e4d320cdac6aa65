/** `vigil query events`: the cluster's AWS events on its timeline. */
import { awsEventSubject, awsEventText } from '../../model/aws-event';
import { MINUTE_MS } from '../../model/time';
import { table } from '../table';
import { iso, nothingFound, windowText, type Context, type QueryResult } from './context';

/** The cluster's AWS events that happened in the window, oldest first. */
export async function queryEvents(c: Context): Promise<QueryResult> {
  const events = (await c.store.awsEvents(c.cluster, c.from)).filter((e) => e.time < c.to + MINUTE_MS).sort((a, b) => a.time - b.time);
  if (events.length === 0) return nothingFound(c, 'no AWS events');
  const text = [
    `AWS events of cluster ${c.cluster}, ${windowText(c)}`,
    '',
    table(
      ['time (UTC)', 'instance or group', 'event'],
      events.map((e) => [iso(e.time).slice(0, 19).replace('T', ' '), awsEventSubject(e), awsEventText(e)]),
    ),
  ].join('\n');
  return {
    text,
    json: {
      cluster: c.cluster,
      from: iso(c.from),
      to: iso(c.to),
      events: events.map((e) => ({ ...e, time: iso(e.time), text: awsEventText(e) })),
    },
  };
}
