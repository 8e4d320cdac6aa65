/**
 * Who may write which cluster. The stack creates one agent role per cluster and hands ingest the list
 * (`VIGIL_AGENT_ROLES`); the caller's identity comes from the Function URL's IAM authorizer, never from the
 * body, whose `cluster` is only a claim checked against it.
 *
 * An agent signs with a role session, so the Function URL reports an STS assumed-role ARN
 * (`arn:aws:sts::<account>:assumed-role/<role name>/<session>`): Pod Identity names the session
 * `eks-<cluster>-<pod>-<id>`, IRSA after the SDK; neither carries the role's IAM path. Roles are therefore
 * matched by partition, account and role name, and the session is ignored.
 */
import { z } from 'zod';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { clusterNameSchema } from '../../model/batch';

/** One agent role and the one cluster it writes. */
export interface AgentWriter {
  /** The IAM role's ARN, `arn:aws:iam::<account>:role/<path/><name>`. */
  readonly roleArn: string;
  readonly cluster: string;
}

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;
const ASSUMED_ROLE_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/[\w+=,.@-]{2,64}$/;

export const agentWritersSchema: z.ZodType<AgentWriter[]> = z
  .array(
    z.object({
      roleArn: z.string().regex(ROLE_ARN, 'expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)'),
      cluster: clusterNameSchema,
    }),
  )
  .min(1, 'at least one agent role');

/** The key a role and its sessions share. */
const roleKey = (partition: string, account: string, name: string) => `${partition}:${account}:${name}`;

export type Caller =
  | { readonly ok: true; readonly arn: string; readonly cluster: string }
  | { readonly ok: false; readonly arn?: string; readonly problem: string };

/** Maps a request's IAM caller to the one cluster it may write. */
export function writerResolver(writers: readonly AgentWriter[]): (event: LambdaFunctionURLEvent) => Caller {
  const byRole = new Map<string, string>();
  for (const w of writers) {
    const m = ROLE_ARN.exec(w.roleArn);
    if (!m) throw new Error(`agent role "${w.roleArn}" is not an IAM role ARN`);
    const key = roleKey(m[1], m[2], m[3]);
    const other = byRole.get(key);
    if (other !== undefined && other !== w.cluster)
      throw new Error(`agent role ${w.roleArn} is listed for clusters "${other}" and "${w.cluster}": one role writes one cluster`);
    byRole.set(key, w.cluster);
  }
  return (event) => {
    const arn = callerArn(event);
    if (arn === undefined) return { ok: false, problem: 'the request carries no IAM caller: the Function URL must use AWS_IAM auth' };
    const m = ASSUMED_ROLE_ARN.exec(arn);
    const cluster = m ? byRole.get(roleKey(m[1], m[2], m[3])) : undefined;
    if (cluster === undefined) {
      return {
        ok: false,
        arn,
        problem: `${arn} is not one of this stack's agent roles: only the role created for a cluster's agent may push its batches`,
      };
    }
    return { ok: true, arn, cluster };
  };
}

/** The IAM principal that signed the request (a Function URL with AWS_IAM auth sets it). */
export function callerArn(event: LambdaFunctionURLEvent): string | undefined {
  const arn = (event.requestContext as { authorizer?: { iam?: { userArn?: unknown } } } | undefined)?.authorizer?.iam?.userArn;
  return typeof arn === 'string' ? arn : undefined;
}
