import {
  labelKeysNamed,
  labelsNamed,
  placementOf,
  projectClaim,
  projectVolume,
  volumeZonesOf,
  claimsOf,
} from '../../../agent/kube/placement';
import type { PersistentVolumeClaimObject, PersistentVolumeObject, PodObject } from '../../../agent/kube/objects';
import { validateObject } from '../../sim/kube/k8s-schema';

/** A StatefulSet pod pinned to a tainted pool, spread over zones, one per node, with a volume. */
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'db-0', namespace: 'data', uid: 'b0c1d2e3-0000-4000-8000-000000000001', labels: { app: 'db' } },
  spec: {
    nodeSelector: { 'eks.amazonaws.com/nodegroup': 'stateful' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'karpenter.sh/capacity-type', operator: 'NotIn', values: ['spot'] }] }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['fast'] }] } },
        ],
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'db' } } },
          { topologyKey: 'example.com/rack', labelSelector: { matchLabels: { app: 'db' } } },
        ],
      },
    },
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] },
      },
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { app: 'db' } },
      },
    ],
    containers: [{ name: 'db', image: 'postgres:17' }],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } },
      { name: 'tmp', emptyDir: {} },
    ],
  },
};

const claim = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data-db-0', namespace: 'data' },
  spec: { volumeName: 'pvc-7f3a', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } },
};
/** As the EBS CSI driver provisions it: pinned to the volume's zone. */
const volume = {
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name: 'pvc-7f3a' },
  spec: {
    capacity: { storage: '20Gi' },
    accessModes: ['ReadWriteOnce'],
    csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-0abc1234def567890' },
    nodeAffinity: {
      required: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1a'] }] }],
      },
    },
  },
};

test('fixtures are valid Kubernetes objects', () => {
  for (const o of [pod, claim, volume]) validateObject(o);
});

test("a pod's hard constraints are kept; soft ones and topology keys other than hostname and zone are not", () => {
  expect(placementOf((pod as PodObject).spec)).toEqual({
    nodeSelector: { 'eks.amazonaws.com/nodegroup': 'stateful' },
    nodeAffinity: [[{ key: 'karpenter.sh/capacity-type', operator: 'NotIn', values: ['spot'] }]],
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    ],
    antiAffinity: [{ topology: 'hostname', selector: [{ key: 'app', operator: 'In', values: ['db'] }] }],
    spread: [{ topology: 'zone', maxSkew: 1, selector: [{ key: 'app', operator: 'In', values: ['db'] }] }],
  });
  expect(placementOf({ containers: [{ name: 'a', image: 'a' }] })).toBeUndefined();
});

test('a bound volume pins the pod to its zone; an unbound claim or a zoneless volume does not', () => {
  expect(claimsOf(pod as PodObject)).toEqual(['data/data-db-0']);
  const volumeOf = (c: string) => (c === 'data/data-db-0' ? projectClaim(claim as PersistentVolumeClaimObject) : undefined);
  const zonesOf = (v: string) => (v === 'pvc-7f3a' ? projectVolume(volume as PersistentVolumeObject) : undefined);
  expect(volumeZonesOf(['data/data-db-0'], volumeOf, zonesOf)).toEqual(['eu-west-1a']);
  expect(volumeZonesOf(['data/other'], volumeOf, zonesOf)).toBeUndefined();
  expect(projectVolume({ metadata: { name: 'nfs' }, spec: {} })).toEqual([]);
  expect(
    volumeZonesOf(
      ['a', 'b'],
      (c) => c,
      (v) => (v === 'a' ? ['z1', 'z2'] : ['z2', 'z3']),
    ),
  ).toEqual(['z2']);
});

test('nodes carry only the labels some placement names', () => {
  const keys = labelKeysNamed([placementOf((pod as PodObject).spec), undefined]);
  expect([...keys].sort()).toEqual(['eks.amazonaws.com/nodegroup', 'karpenter.sh/capacity-type']);
  expect(labelsNamed({ 'eks.amazonaws.com/nodegroup': 'stateful', 'kubernetes.io/os': 'linux' }, keys)).toEqual({
    'eks.amazonaws.com/nodegroup': 'stateful',
  });
  expect(labelsNamed({ 'kubernetes.io/os': 'linux' }, keys)).toBeUndefined();
});
