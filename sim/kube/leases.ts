/**
 * Leases (`coordination.k8s.io/v1`) on the loopback API server: what the sharded agent needs (get, create,
 * update by name in one namespace), with the real server's optimistic concurrency: a write carrying a
 * resourceVersion other than the stored one is refused with 409 Conflict, a create of an existing name with
 * 409 AlreadyExists. Messages and Status reasons are the real server's.
 */
import type * as http from 'http';
import { microTime } from '../../agent/shard';

type Json = Record<string, unknown>;

const PATH = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/;

export interface LeaseAnswer {
  readonly status: number;
  readonly body: string;
}

function statusBody(code: number, reason: string, message: string, name?: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(name ? { details: { name, group: 'coordination.k8s.io', kind: 'leases' } } : {}),
    code,
  });
}

export class SimLeases {
  private readonly leases = new Map<string, Json>();
  private version = 0;
  /** Writes refused while a fault is set: an API server (or RBAC) refusing lease writes. */
  failWrites?: number;

  /** Whether `path` is a Lease path this store answers. */
  static handles(path: string): boolean {
    return PATH.test(path);
  }

  /** Every lease stored, as the API would serve it. */
  all(): Json[] {
    return [...this.leases.values()].map((l) => structuredClone(l));
  }

  async answer(req: http.IncomingMessage, path: string): Promise<LeaseAnswer> {
    const [, namespace, name] = PATH.exec(path) ?? [];
    const method = req.method ?? 'GET';
    if (method === 'GET' && name) {
      const lease = this.leases.get(`${namespace}/${name}`);
      return lease
        ? { status: 200, body: JSON.stringify(lease) }
        : { status: 404, body: statusBody(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`, name) };
    }
    if (method !== 'POST' && method !== 'PUT')
      return { status: 405, body: statusBody(405, 'MethodNotAllowed', `the simulated API server does not ${method} leases`) };
    if (this.failWrites !== undefined)
      return { status: this.failWrites, body: statusBody(this.failWrites, 'InternalError', `simulated failure ${this.failWrites}`) };
    let lease: Json;
    try {
      lease = JSON.parse(await readBody(req)) as Json;
    } catch (e) {
      return { status: 400, body: statusBody(400, 'BadRequest', `the body is not JSON: ${(e as Error).message}`) };
    }
    const meta = (lease.metadata ?? {}) as Json;
    const target = method === 'PUT' ? name : (meta.name as string | undefined);
    if (!target || (method === 'PUT' && meta.name !== name))
      return { status: 400, body: statusBody(400, 'BadRequest', 'the name of the object does not match the name on the URL') };
    if (lease.kind !== 'Lease' || lease.apiVersion !== 'coordination.k8s.io/v1')
      return {
        status: 400,
        body: statusBody(
          400,
          'BadRequest',
          `expected a coordination.k8s.io/v1 Lease, got ${String(lease.apiVersion)} ${String(lease.kind)}`,
        ),
      };
    const key = `${namespace}/${target}`;
    const stored = this.leases.get(key);
    if (method === 'POST' && stored)
      return { status: 409, body: statusBody(409, 'AlreadyExists', `leases.coordination.k8s.io "${target}" already exists`, target) };
    if (method === 'PUT') {
      if (!stored) return { status: 404, body: statusBody(404, 'NotFound', `leases.coordination.k8s.io "${target}" not found`, target) };
      const storedVersion = (stored.metadata as Json).resourceVersion;
      if (meta.resourceVersion !== undefined && meta.resourceVersion !== storedVersion) {
        return {
          status: 409,
          body: statusBody(
            409,
            'Conflict',
            `Operation cannot be fulfilled on leases.coordination.k8s.io "${target}": the object has been modified; please apply your changes to the latest version and try again`,
            target,
          ),
        };
      }
    }
    const next = this.store(namespace, target, meta, (lease.spec ?? {}) as Json);
    return { status: method === 'POST' ? 201 : 200, body: JSON.stringify(next) };
  }

  /**
   * Another replica holding `name` and renewing it now, as its PUT would: for measuring one replica's share
   * of a sharded cluster (the bench) with the other replicas' leases kept fresh.
   */
  holdAs(namespace: string, name: string, holder: string, leaseDurationSeconds: number): void {
    this.store(namespace, name, {}, { holderIdentity: holder, leaseDurationSeconds, renewTime: microTime(Date.now()) });
  }

  private store(namespace: string, target: string, meta: Json, spec: Json): Json {
    const key = `${namespace}/${target}`;
    const storedMeta = (this.leases.get(key)?.metadata ?? {}) as Json;
    const next = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...meta,
        name: target,
        namespace,
        uid: storedMeta.uid ?? `lease-${namespace}-${target}`,
        creationTimestamp: storedMeta.creationTimestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        resourceVersion: String(++this.version),
      },
      spec,
    };
    this.leases.set(key, next);
    return next;
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
