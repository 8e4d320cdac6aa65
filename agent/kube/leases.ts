/**
 * The shard leases (`agent/shard.ts`) over the API: `coordination.k8s.io/v1` Leases in the agent's own
 * namespace, read and written by name. 404 on a read and 409 on a write (AlreadyExists, or a stale
 * resourceVersion: someone else wrote first) are answers; anything else is an error for the caller to retry.
 */
import type { KubeConfigApi } from './api';
import { ApiError } from './api';
import type { Lease, LeaseStore } from '../shard';

export class KubeLeaseStore implements LeaseStore {
  private readonly base: string;

  constructor(
    private readonly api: Pick<KubeConfigApi, 'getJson' | 'send'>,
    namespace: string,
  ) {
    this.base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  }

  async get(name: string): Promise<Lease | undefined> {
    try {
      return await this.api.getJson<Lease>(`${this.base}/${encodeURIComponent(name)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  create(lease: Lease): Promise<Lease | undefined> {
    return this.write('POST', this.base, lease);
  }

  replace(lease: Lease): Promise<Lease | undefined> {
    return this.write('PUT', `${this.base}/${encodeURIComponent(lease.metadata.name)}`, lease);
  }

  private async write(method: 'POST' | 'PUT', path: string, lease: Lease): Promise<Lease | undefined> {
    const { status, body } = await this.api.send(method, path, lease);
    if (status === 409) return undefined;
    if (status !== 200 && status !== 201) throw new ApiError(status, `${method} ${path}: HTTP ${status}: ${body.slice(0, 300)}`);
    return JSON.parse(body) as Lease;
  }
}
