/** The report shows what silences held quiet: tracked alerts nobody was sent, with the silence that held each. */
import { renderReport } from '../../../local/report/html';
import { MINUTE_MS } from '../../../model/time';
import { dominoRecord, NODES, ONSET } from './fixture';

test('alerts held by silences get their own table, with the silence, the time and the subject; none, no table', () => {
  const record = dominoRecord();
  expect(renderReport(record)).not.toContain('Held by silences');
  const html = renderReport({
    ...record,
    silenced: [
      {
        t: ONSET + 4 * MINUTE_MS,
        rule: 'node-not-ready',
        severity: 'critical',
        summary: `Node ${NODES[1]} is NotReady`,
        subject: { node: NODES[1] },
        silence: 'window:patching',
      },
    ],
  });
  const section = html.slice(
    html.indexOf('<section class="group" id="silenced">'),
    html.indexOf('</section>', html.indexOf('id="silenced"')),
  );
  expect(section).toContain('<h2>Held by silences (1)</h2>');
  expect(section).toMatch(/<td class="num">\+4m<\/td>.*<td>window:patching<\/td><td class="rule">node-not-ready<\/td>/);
  expect(section).toContain(NODES[1]);
});
