/**
 * The probes and counters over plain HTTP, for the kubelet and for Prometheus: `/healthz` (liveness:
 * fails when the tick stalls), `/readyz` (readiness: fails when pushes keep failing or the cluster is not
 * listed yet), `/metrics` (Prometheus text). Nothing else is served.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { Probe } from './agent';

export interface HealthSource {
  liveness(): Probe;
  readiness(): Probe;
  metrics(): string;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export function startHealthServer(source: HealthSource, port: number, host = '0.0.0.0'): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const p = path === '/healthz' ? source.liveness() : source.readiness();
      res.writeHead(p.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(`${p.ok ? 'ok' : 'failing'}: ${p.detail}\n`);
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(source.metrics());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: /healthz, /readyz, /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
