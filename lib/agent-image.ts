import * as fs from 'fs';
import * as path from 'path';
import { IgnoreMode } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import { Construct } from 'constructs';
import type { AgentArchitecture } from '../agent/deploy/manifests';

/**
 * x86-64: EKS managed node groups default to an x86-64 AMI (`AL2023_x86_64_STANDARD`, `t3.medium`), and so do
 * eksctl and most Karpenter node pools people start from. Graviton-only clusters set `arm64`.
 */
export const DEFAULT_AGENT_ARCHITECTURE: AgentArchitecture = 'amd64';

/** The build context: the repository root (the Dockerfile copies the lockfile and the shared sources). */
export const AGENT_IMAGE_DIRECTORY = path.join(__dirname, '..');
export const AGENT_DOCKERFILE = 'agent/Dockerfile';

/**
 * What the asset's source leaves out: the patterns of `agent/Dockerfile.dockerignore`, BuildKit's context
 * filter for that Dockerfile, so the staged source (and the hash) is exactly the image's context.
 */
export function agentImageExcludes(): string[] {
  return fs
    .readFileSync(path.join(AGENT_IMAGE_DIRECTORY, `${AGENT_DOCKERFILE}.dockerignore`), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export interface AgentImageProps {
  /** @default DEFAULT_AGENT_ARCHITECTURE */
  readonly architecture?: AgentArchitecture;
}

/**
 * The agent image as a CDK Docker image asset: `cdk deploy` builds `agent/Dockerfile` (with `docker`, or
 * whatever `CDK_DOCKER` names: podman, finch) and pushes it to the bootstrap ECR repository, whose tags are
 * immutable. Synth only hashes and stages the context; it runs no Docker.
 */
export class AgentImage extends Construct {
  /** The image by its content-hash tag in the bootstrap repository: what the install command names. */
  readonly imageUri: string;
  readonly architecture: AgentArchitecture;

  constructor(scope: Construct, id: string, props: AgentImageProps = {}) {
    super(scope, id);
    this.architecture = props.architecture ?? DEFAULT_AGENT_ARCHITECTURE;
    const asset = new ecrAssets.DockerImageAsset(this, 'Asset', {
      directory: AGENT_IMAGE_DIRECTORY,
      file: AGENT_DOCKERFILE,
      exclude: agentImageExcludes(),
      ignoreMode: IgnoreMode.DOCKER,
      platform: ecrAssets.Platform.custom(`linux/${this.architecture}`),
    });
    this.imageUri = asset.imageUri;
  }
}
