import * as http from 'http';
import { startHealthServer, type HealthServer } from '../../agent/health';
import { startHarness, type Harness } from './harness';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

let h: Harness;
let server: HealthServer;
beforeEach(async () => {
  h = await startHarness({ config: { intervalMs: 60_000, unreadyAfterFailures: 2 } });
  server = await startHealthServer(h.agent, 0, '127.0.0.1');
});
afterEach(async () => {
  await server.close();
  await h.close();
});

describe('the probes', () => {
  it('/readyz fails until nodes and pods are listed, and when pushes keep failing; passes again once they get through', async () => {
    expect(await get(server.port, '/readyz')).toMatchObject({ status: 503, body: 'failing: nodes and pods not listed yet\n' });
    await h.agent.watch();
    expect((await get(server.port, '/readyz')).status).toBe(200);
    h.ingest.faults.fail(2, 503);
    await h.agent.cycle();
    expect((await get(server.port, '/readyz')).status).toBe(200); // one failure is not yet a trend
    await h.minute();
    expect(await get(server.port, '/readyz')).toMatchObject({
      status: 503,
      body: 'failing: the last 2 pushes failed (2 batches buffered)\n',
    });
    await h.minute();
    expect((await get(server.port, '/readyz')).status).toBe(200);
  });

  it('/healthz fails when the tick stalls', async () => {
    await h.agent.start();
    expect(await get(server.port, '/healthz')).toMatchObject({ status: 200, body: 'ok: ticking\n' });
    h.clock.advance(3 * 60_000); // no tick for three intervals (its timer is real time, far away)
    expect(await get(server.port, '/healthz')).toMatchObject({ status: 503, body: expect.stringMatching(/^failing: no tick for 180 s/) });
  });

  it('/metrics serves the counters as Prometheus text', async () => {
    await h.agent.watch();
    await h.agent.cycle();
    const m = await get(server.port, '/metrics');
    expect(m.type).toContain('text/plain; version=0.0.4');
    expect(m.body).toContain('# TYPE vigil_agent_cycles_total counter\nvigil_agent_cycles_total 1\n');
    expect(m.body).toMatch(/^vigil_agent_batches_sent_total 1$/m);
    expect(m.body).toMatch(/^vigil_agent_bytes_sent_total [1-9]\d+$/m);
    expect(m.body).toMatch(/^vigil_agent_scrape_errors_total\{kind="timeout"\} 0$/m);
    expect(m.body).toMatch(/^vigil_agent_watch_synced\{resource="pods"\} 1$/m);
    expect(m.body).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(m.body).toMatch(/^vigil_agent_info\{version="0\.1\.0"\} 1$/m);
  });

  it('serves nothing else', async () => {
    expect((await get(server.port, '/debug')).status).toBe(404);
    expect((await get(server.port, '/healthz', 'POST')).status).toBe(405);
  });
});
