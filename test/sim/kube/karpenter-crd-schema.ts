/**
 * The parts of Karpenter's CRD schemas (`openAPIV3Schema` of kubernetes-sigs/karpenter
 * `pkg/apis/crds/karpenter.sh_nodeclaims.yaml` and `karpenter.sh_nodepools.yaml`, version v1) that the
 * simulated objects use: types, required fields, enums and patterns, transcribed without the descriptions and
 * CEL rules. `kubernetes-models` has no Karpenter types, so the simulated NodePools and NodeClaims are
 * checked against these with ajv.
 */
import Ajv from 'ajv';

const quantity = {
  anyOf: [
    { type: 'integer' },
    {
      type: 'string',
      pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
    },
  ],
};
const resourceList = { type: 'object', additionalProperties: quantity };
const labelKey = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$';
const nodeClassRef = {
  type: 'object',
  required: ['group', 'kind', 'name'],
  properties: {
    group: { type: 'string', pattern: '^[^/]*$', minLength: 1 },
    kind: { type: 'string', minLength: 1 },
    name: { type: 'string', minLength: 1 },
  },
};
const requirements = {
  type: 'array',
  maxItems: 100,
  items: {
    type: 'object',
    required: ['key', 'operator'],
    properties: {
      key: { type: 'string', maxLength: 316, pattern: labelKey },
      operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] },
      values: { type: 'array', items: { type: 'string', maxLength: 63, pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$' } },
      minValues: { type: 'integer', minimum: 1, maximum: 50 },
    },
  },
};
const duration = { type: 'string', pattern: '^(([0-9]+(s|m|h))+)|(Never)$' };
const conditions = {
  type: 'array',
  items: {
    type: 'object',
    required: ['lastTransitionTime', 'status', 'type'],
    properties: {
      lastTransitionTime: { type: 'string', format: 'date-time' },
      message: { type: 'string', maxLength: 32768 },
      observedGeneration: { type: 'integer', minimum: 0 },
      reason: { type: 'string', maxLength: 1024, pattern: '^([A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?|)$' },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      type: {
        type: 'string',
        maxLength: 316,
        pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      },
    },
  },
};
const metadata = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1 }, labels: { type: 'object', additionalProperties: { type: 'string' } } },
};

const nodeClaim = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'karpenter.sh/v1' },
    kind: { const: 'NodeClaim' },
    metadata,
    spec: {
      type: 'object',
      required: ['nodeClassRef', 'requirements'],
      additionalProperties: false,
      properties: {
        expireAfter: duration,
        nodeClassRef,
        requirements,
        resources: { type: 'object', properties: { requests: resourceList } },
        taints: { type: 'array' },
        startupTaints: { type: 'array' },
        terminationGracePeriod: { type: 'string', pattern: '^([0-9]+(s|m|h))+$' },
      },
    },
    status: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allocatable: resourceList,
        capacity: resourceList,
        conditions,
        imageID: { type: 'string' },
        lastPodEventTime: { type: 'string', format: 'date-time' },
        nodeName: { type: 'string' },
        providerID: { type: 'string' },
      },
    },
  },
};

const nodePool = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'karpenter.sh/v1' },
    kind: { const: 'NodePool' },
    metadata,
    spec: {
      type: 'object',
      required: ['template'],
      additionalProperties: false,
      properties: {
        template: {
          type: 'object',
          required: ['spec'],
          properties: {
            metadata: { type: 'object' },
            spec: {
              type: 'object',
              required: ['nodeClassRef', 'requirements'],
              properties: {
                nodeClassRef,
                requirements,
                expireAfter: duration,
                taints: { type: 'array' },
                startupTaints: { type: 'array' },
              },
            },
          },
        },
        disruption: {
          type: 'object',
          required: ['consolidateAfter'],
          additionalProperties: false,
          properties: {
            consolidateAfter: duration,
            consolidationPolicy: { type: 'string', enum: ['WhenEmpty', 'WhenEmptyOrUnderutilized'] },
            budgets: {
              type: 'array',
              maxItems: 50,
              items: {
                type: 'object',
                required: ['nodes'],
                additionalProperties: false,
                properties: {
                  nodes: { type: 'string', pattern: '^((100|[0-9]{1,2})%|[0-9]+)$' },
                  reasons: { type: 'array', maxItems: 50, items: { type: 'string', enum: ['Underutilized', 'Empty', 'Drifted'] } },
                  schedule: {
                    type: 'string',
                    pattern: '^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\\s(.+)\\s(.+)\\s(.+)\\s(.+))$',
                  },
                  duration: { type: 'string', pattern: '^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$' },
                },
              },
            },
          },
        },
        limits: resourceList,
        weight: { type: 'integer', minimum: 1, maximum: 100 },
      },
    },
    status: {
      type: 'object',
      additionalProperties: false,
      properties: { resources: resourceList, nodes: { type: 'integer' }, conditions, nodeClassObservedGeneration: { type: 'integer' } },
    },
  },
};

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
export const KARPENTER_SCHEMAS = { 'karpenter.sh/v1/NodeClaim': ajv.compile(nodeClaim), 'karpenter.sh/v1/NodePool': ajv.compile(nodePool) };
