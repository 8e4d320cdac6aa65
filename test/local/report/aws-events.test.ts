/** The report lists the cluster's AWS events on the run's timeline, escaped like every string from the record. */
import { renderReport } from '../../../local/report/html';
import { MINUTE_MS } from '../../../model/time';
import { dominoRecord, ONSET } from './fixture';

test('AWS events get their own table (time from onset, UTC, instance or group, what happened); none, no table', () => {
  const record = dominoRecord();
  expect(renderReport(record)).not.toContain('id="aws-events"');
  const html = renderReport({
    ...record,
    awsEvents: [
      { t: ONSET - 2 * MINUTE_MS, subject: 'i-0a1b2c3d4e5f60718', text: 'Spot interruption warning (terminate)' },
      {
        t: ONSET + MINUTE_MS,
        subject: 'eks-general-1a2b',
        text: 'Auto Scaling eks-general-1a2b: launch failed: <script>alert(1)</script>',
      },
    ],
  });
  const section = html.slice(
    html.indexOf('<section class="group" id="aws-events">'),
    html.indexOf('</section>', html.indexOf('id="aws-events"')),
  );
  expect(section).toContain('<h2>AWS events (2)</h2>');
  expect(section).toMatch(
    /<td class="num">−2m<\/td>.*<td>i-0a1b2c3d4e5f60718<\/td><td class="summary">Spot interruption warning \(terminate\)<\/td>/,
  );
  expect(section).toContain('launch failed: &lt;script&gt;alert(1)&lt;/script&gt;');
  expect(section).not.toContain('<script>');
});
