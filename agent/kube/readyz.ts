/**
 * The API server's `/readyz?verbose`: one line per check (`[+]etcd ok`, `[-]etcd failed: reason
 * withheld`), then `readyz check passed` or `readyz check failed`; HTTP 200 when ready, 500 when not.
 * Anyone authenticated may read it (the `system:public-info-viewer` role); the agent's role names it too.
 */
import { BATCH_LIMITS } from '../../model/batch-constants';
import type { ControlPlaneHealth } from '../../model/domain';
import { clip } from './project';
import type { KubeApi } from './api';

export type Readyz = NonNullable<ControlPlaneHealth['readyz']>;

const CHECK = /^\[([+-])\]\s*(\S+)/;

export function parseReadyz(status: number, body: string): Readyz {
  const checks = body
    .split('\n')
    .map((line) => CHECK.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .slice(0, BATCH_LIMITS.maxReadyzChecks)
    .map((m) => ({ name: clip(m[2], BATCH_LIMITS.maxNameLength), ok: m[1] === '+' }));
  return { ok: status === 200 && checks.every((c) => c.ok), checks };
}

/** Reads `/readyz?verbose`; undefined when it could not be read at all (the call is counted as an error). */
export async function readReadyz(api: KubeApi, timeoutMs: number): Promise<Readyz | undefined> {
  try {
    const { status, body } = await api.getText('/readyz?verbose', timeoutMs);
    // 401/403/404: not a readiness answer (no permission, or a server without /readyz).
    if (status !== 200 && status !== 500) return undefined;
    return parseReadyz(status, body);
  } catch {
    return undefined;
  }
}
