/**
 * `vigil agent manifest`: prints the agent's ready-to-apply Kubernetes manifests for one cluster. The CDK
 * stack outputs the exact command (cluster, ingest URL, role); pipe it to `kubectl apply -f -`.
 */
import { parseArgs } from 'util';
import { DEFAULT_IMAGE, DEFAULT_NAMESPACE, ManifestOptionsError, renderManifests, type AgentAuth } from '../../agent/deploy/manifests';
import { UsageError, type Command } from '../command';

const USAGE = `Usage: vigil agent manifest --cluster NAME --ingest-url URL --role-arn ARN [options]

Prints the Vigil agent's Kubernetes manifests (namespace, service account, least-privilege RBAC,
hardened Deployment) for one cluster. Apply them with:
  vigil agent manifest --cluster prod --ingest-url https://… --role-arn arn:aws:iam::… | kubectl apply -f -

Options:
  --cluster NAME        the EKS cluster's name, as the stack knows it (required)
  --ingest-url URL      the ingest Function URL, a stack output (required)
  --role-arn ARN        the agent's IAM role, a stack output (required with --auth irsa)
  --auth irsa|pod-identity
                        how the pod gets AWS credentials (default irsa: the role is annotated on the
                        service account; pod-identity: the stack's Pod Identity association is used)
  --image REF           the agent image (default ${DEFAULT_IMAGE}; build and push it, see docs/agent.md)
  --kubelet-proxy       read kubelet stats through the API server instead of each node's port 10250;
                        grants nodes/proxy, which also allows exec into any container: only for networks
                        that block pods from reaching nodes
  --namespace NAME      (default ${DEFAULT_NAMESPACE})
  --region REGION       the ingest endpoint's region (default: read from the Function URL)`;

export const agentManifestCommand: Command = {
  words: ['agent', 'manifest'],
  summary: 'print the in-cluster agent\'s Kubernetes manifests (kubectl apply -f -)',
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
          'kubelet-proxy': { type: 'boolean' },
          namespace: { type: 'string' },
          region: { type: 'string' },
        },
      }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const missing = (['cluster', 'ingest-url'] as const).filter((k) => !values[k]).map((k) => `--${k} is required`);
    if (missing.length) throw new UsageError(missing.join('; '));
    try {
      io.out(
        renderManifests({
          cluster: values.cluster as string,
          ingestUrl: values['ingest-url'] as string,
          ...(values['role-arn'] ? { roleArn: values['role-arn'] } : {}),
          ...(values.auth ? { auth: values.auth as AgentAuth } : {}),
          ...(values.image ? { image: values.image } : {}),
          kubeletProxy: values['kubelet-proxy'] === true,
          ...(values.namespace ? { namespace: values.namespace } : {}),
          ...(values.region ? { region: values.region } : {}),
        }),
      );
    } catch (e) {
      if (e instanceof ManifestOptionsError) throw new UsageError(e.problems.join('; '));
      throw e;
    }
    if (!values.image) io.err(`vigil agent manifest: no --image given, so the manifest uses ${DEFAULT_IMAGE}: build it from agent/Dockerfile and push it where the cluster can pull it (docs/agent.md).`);
    return 0;
  },
};
