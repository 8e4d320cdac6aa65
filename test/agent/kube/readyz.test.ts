import { parseReadyz } from '../../../agent/kube/readyz';

describe('parseReadyz', () => {
  it('reads each check of a healthy API server', () => {
    const body = '[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]poststarthook/start-apiserver-admission-initializer ok\nreadyz check passed\n';
    expect(parseReadyz(200, body)).toEqual({
      ok: true,
      checks: [
        { name: 'ping', ok: true },
        { name: 'log', ok: true },
        { name: 'etcd', ok: true },
        { name: 'poststarthook/start-apiserver-admission-initializer', ok: true },
      ],
    });
  });

  it('reads a failing etcd', () => {
    const body = '[+]ping ok\n[-]etcd failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n';
    expect(parseReadyz(500, body)).toEqual({
      ok: false,
      checks: [
        { name: 'ping', ok: true },
        { name: 'etcd', ok: false },
        { name: 'shutdown', ok: true },
      ],
    });
  });

  it('is not ok on a 500 even when no check line says why', () => {
    expect(parseReadyz(500, 'readyz check failed')).toEqual({ ok: false, checks: [] });
  });
});
