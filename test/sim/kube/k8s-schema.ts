/**
 * Validation against the official Kubernetes schemas (the `kubernetes-models` package, generated from
 * the Kubernetes OpenAPI): every object the simulated API server serves and every manifest the agent
 * ships goes through `validateObject`.
 */
import { Deployment, DaemonSet, ReplicaSet, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Event, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, ServiceAccount } from 'kubernetes-models/v1';
import { KARPENTER_SCHEMAS } from './karpenter-crd-schema';

type Validatable = { validate(): void };
const MODELS: Record<string, new (data: never) => Validatable> = {
  'v1/Node': Node,
  'v1/Pod': Pod,
  'v1/PersistentVolume': PersistentVolume,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Event': Event,
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/ReplicaSet': ReplicaSet,
  'batch/v1/Job': Job,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'coordination.k8s.io/v1/Lease': Lease,
};

/** Throws, naming the object and every schema problem, unless `o` is a valid object of its kind. */
export function validateObject(o: unknown, where = ''): void {
  const obj = o as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
  const key = `${obj.apiVersion}/${obj.kind}`;
  const crd = KARPENTER_SCHEMAS[key as keyof typeof KARPENTER_SCHEMAS];
  if (crd) {
    if (!crd(o))
      throw new Error(
        `${where}${key} ${obj.metadata?.name ?? '?'} is invalid: ${crd.errors?.map((e) => `${e.instancePath} ${e.message}`).join('; ')}`,
      );
    return;
  }
  const Model = MODELS[key];
  if (!Model) throw new Error(`${where}no schema registered for ${key}`);
  try {
    new Model(o as never).validate();
  } catch (e) {
    throw new Error(`${where}${key} ${obj.metadata?.name ?? '?'} is invalid: ${(e as Error).message}`);
  }
}
