/**
 * `vigil agent manifest`: prints the agent's ready-to-apply Kubernetes manifests for one cluster. The CDK
 * stack outputs the exact command (cluster, ingest URL, role); pipe it to `kubectl apply -f -`.
 */
import { parseArgs } from 'util';
import {
  DEFAULT_AGENT_AUTH,
  DEFAULT_NAMESPACE,
  ManifestOptionsError,
  NODES_PER_REPLICA,
  agentMemory,
  agentReplicas,
  parseToleration,
  renderManifests,
  type AgentArchitecture,
  type AgentAuth,
} from '../../agent/deploy/manifests';
import { MAX_SHARDS } from '../../agent/shard';
import { UsageError, type Command } from '../command';

const USAGE = `Usage: vigil agent manifest --cluster NAME --ingest-url URL --image REF [options]

Prints the Vigil agent's Kubernetes manifests (namespace, service account, least-privilege RBAC,
hardened Deployment) for one cluster. The stack's AgentInstall<cluster> output is the exact command:
  vigil agent manifest --cluster prod --ingest-url https://… --role-arn arn:aws:iam::… --auth pod-identity --image … --arch amd64 | kubectl apply -f -

Options:
  --cluster NAME        the EKS cluster's name, as the stack knows it (required)
  --ingest-url URL      the ingest Function URL, a stack output (required)
  --image REF           the agent image (required): the one the stack built (in its AgentInstall output),
                        or your own
  --role-arn ARN        the agent's IAM role, a stack output (required with --auth irsa)
  --auth pod-identity|irsa
                        how the pod gets AWS credentials, as the stack set it up for this cluster (default
                        ${DEFAULT_AGENT_AUTH}, the stack's default; irsa annotates the role on the service account).
                        The agent refuses to start when the pod's credentials are of the other kind.
  --arch amd64|arm64    run only on nodes of this architecture (the image's; default: no pin, for a
                        multi-arch image)
  --toleration KEY[=VALUE][:EFFECT]
                        also tolerate this taint (repeatable), for clusters whose every node is tainted;
                        the node-pressure taints are always tolerated
  --kubelet-proxy       read kubelet stats through the API server instead of each node's port 10250;
                        grants nodes/proxy, which also allows exec into any container: only for networks
                        that block pods from reaching nodes
  --nodes N             the cluster's node count (about): picks the agent's memory request and limit
                        (default: sized for up to 100 nodes; 1,000 nodes get ${agentMemory(1000).request} / ${agentMemory(1000).limit})
                        and its replicas, one per ${NODES_PER_REPLICA} nodes (1,000 nodes get ${agentReplicas(1000)})
  --memory-request Q, --memory-limit Q
                        override them, as quantities like 512Mi
  --replicas N          agent replicas, each reading its share of the nodes (default: from --nodes, else 1;
                        up to ${MAX_SHARDS}, for clusters one replica cannot read within its CPU: see docs/agent.md);
                        adds a Role for the replicas' Leases in the agent's namespace
  --namespace NAME      (default ${DEFAULT_NAMESPACE})
  --region REGION       the ingest endpoint's region (default: read from the Function URL)`;

export const agentManifestCommand: Command = {
  words: ['agent', 'manifest'],
  summary: "print the in-cluster agent's Kubernetes manifests (kubectl apply -f -)",
  usage: USAGE,
  run: async (args, io) => {
    let values;
    try {
      ({ values } = parseArgs({
        args: [...args],
        strict: true,
        allowPositionals: false,
        options: {
          cluster: { type: 'string' },
          'ingest-url': { type: 'string' },
          'role-arn': { type: 'string' },
          auth: { type: 'string' },
          image: { type: 'string' },
          arch: { type: 'string' },
          toleration: { type: 'string', multiple: true },
          'kubelet-proxy': { type: 'boolean' },
          namespace: { type: 'string' },
          region: { type: 'string' },
          nodes: { type: 'string' },
          'memory-request': { type: 'string' },
          'memory-limit': { type: 'string' },
          replicas: { type: 'string' },
        },
      }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const missing = (['cluster', 'ingest-url', 'image'] as const).filter((k) => !values[k]).map((k) => `--${k} is required`);
    if (missing.length) throw new UsageError(missing.join('; '));
    try {
      const tolerations = (values.toleration ?? []).map(parseToleration);
      io.out(
        renderManifests({
          cluster: values.cluster as string,
          ingestUrl: values['ingest-url'] as string,
          ...(values['role-arn'] ? { roleArn: values['role-arn'] } : {}),
          ...(values.auth ? { auth: values.auth as AgentAuth } : {}),
          image: values.image as string,
          ...(values.arch ? { architecture: values.arch as AgentArchitecture } : {}),
          tolerations,
          kubeletProxy: values['kubelet-proxy'] === true,
          ...(values.namespace ? { namespace: values.namespace } : {}),
          ...(values.region ? { region: values.region } : {}),
          ...(values.nodes !== undefined ? { nodes: Number(values.nodes) } : {}),
          ...(values['memory-request'] ? { memoryRequest: values['memory-request'] } : {}),
          ...(values['memory-limit'] ? { memoryLimit: values['memory-limit'] } : {}),
          ...(values.replicas !== undefined ? { replicas: Number(values.replicas) } : {}),
        }),
      );
    } catch (e) {
      if (e instanceof ManifestOptionsError) throw new UsageError(e.problems.join('; '));
      throw e;
    }
    return 0;
  },
};
