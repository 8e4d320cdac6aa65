/**
 * Local mode's ingest endpoint: the real ingest handler behind the loopback Function URL, which knows one
 * agent role for the cluster, as the stack creates one per cluster. The local agent signs with that role's
 * credentials, so every local run goes through the same identity check as in AWS.
 */
import type { Logger } from '../common/log';
import { createIngestHandler } from '../lambdas/ingest/ingest';
import type { VigilStore } from '../lambdas/store/store';
import type { Clock } from '../model/time';
import { localAgentPrincipal, startFunctionUrl, type FunctionUrl } from '../sim/aws/function-url';
import type { SigV4Credentials } from '../sim/aws/sigv4';
import { LOCAL_REGION } from './dynalite';

export interface LocalIngest {
  readonly functionUrl: FunctionUrl;
  /** What the cluster's agent signs with. */
  readonly agentCredentials: SigV4Credentials;
}

export async function startLocalIngest(o: {
  readonly store: VigilStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly cluster: string;
}): Promise<LocalIngest> {
  const agent = localAgentPrincipal(o.cluster);
  const functionUrl = await startFunctionUrl({
    principals: [agent],
    region: LOCAL_REGION,
    handler: createIngestHandler({
      store: o.store,
      clock: o.clock,
      logger: o.logger,
      writers: [{ roleArn: agent.roleArn, cluster: o.cluster }],
    }),
  });
  return { functionUrl, agentCredentials: agent.credentials };
}
