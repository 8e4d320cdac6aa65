/**
 * Where `vigil query` and `vigil silence` read: a local run's data (the dynalite directory `vigil local`
 * keeps) or a deployed table, read with the user's AWS credentials.
 */
import * as fs from 'fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { LOCAL_TABLE, LocalDataInUseError, startDynalite, type LocalDynamo } from '../../local/dynalite';
import { VigilStore } from '../../lambdas/store/store';
import { systemClock, type Clock } from '../../model/time';
import { UsageError } from '../command';

/** A problem with the data or where it lives (not with the command line): exit code 1, no usage text. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
}

export type Source =
  | { readonly kind: 'local'; readonly dir: string }
  | { readonly kind: 'table'; readonly table: string; readonly region: string; readonly profile?: string };

export interface OpenedSource {
  readonly store: VigilStore;
  /** How messages name it, e.g. `the local run in vigil-out/local/db`. */
  readonly description: string;
  /** The clusters stored, when listing them is cheap (a local run: a Scan of a small table). */
  clusters?(): Promise<string[]>;
  /** The same data through a store on another clock (a local run's simulated one: its documents expire by it). */
  at?(clock: Clock): VigilStore;
  close(): Promise<void>;
}

export interface QueryDeps {
  open(source: Source): Promise<OpenedSource>;
  readonly clock: Clock;
}

/** Opens a local run's data (dynalite would create an empty database where there is none, so that is checked first). */
async function openLocal(dir: string): Promise<OpenedSource> {
  const description = `the local run in ${dir}`;
  if (!fs.existsSync(dir))
    throw new QueryError(`no local run data in ${dir}: run \`vigil local\` first, or name the data with --local DIR or --table NAME`);
  let dynamo: LocalDynamo;
  try {
    dynamo = await startDynalite({ path: dir });
  } catch (e) {
    if (e instanceof LocalDataInUseError)
      throw new QueryError(`${description} is in use by another process (is \`vigil local\` still running? query it when it has finished)`);
    throw new QueryError((e as Error).message);
  }
  const store = new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE });
  return {
    store,
    description,
    clusters: () => store.clusters(),
    at: (clock) => new VigilStore({ client: dynamo.client, tableName: LOCAL_TABLE, clock }),
    close: () => dynamo.close(),
  };
}

function openTable(source: { table: string; region: string; profile?: string }): OpenedSource {
  const client = new DynamoDBClient({
    region: source.region,
    ...(source.profile ? { credentials: defaultProvider({ profile: source.profile }) } : {}),
  });
  return {
    store: new VigilStore({ client, tableName: source.table }),
    description: `table ${source.table} in ${source.region}`,
    close: async () => client.destroy(),
  };
}

export const defaultQueryDeps: QueryDeps = {
  open: (s) => (s.kind === 'local' ? openLocal(s.dir) : Promise.resolve(openTable(s))),
  clock: systemClock,
};

/** AWS errors a user can act on, said plainly; anything else is left as it is. */
export function explain(e: unknown, source: Source): unknown {
  const name = (e as Error)?.name;
  const where = source.kind === 'table' ? `table ${source.table} in ${source.region}` : `the local run in ${source.dir}`;
  if (name === 'ResourceNotFoundException') {
    return new QueryError(
      source.kind === 'table'
        ? `${where} does not exist (check --table and --region)`
        : `${where} has no Vigil table: was it written by \`vigil local\`?`,
    );
  }
  if (name === 'CredentialsProviderError')
    return new QueryError(`no AWS credentials found for ${where}: set AWS_PROFILE or pass --profile, or sign in (aws sso login)`);
  if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException' || name === 'ExpiredTokenException') {
    return new QueryError(`AWS refused to read ${where} (${name}): ${(e as Error).message}`);
  }
  return e;
}

export async function resolveCluster(opts: { readonly cluster?: string }, source: OpenedSource): Promise<string> {
  if (opts.cluster) return opts.cluster;
  const clusters = (await source.clusters?.()) ?? [];
  if (clusters.length === 1) return clusters[0];
  if (clusters.length === 0) throw new QueryError(`${source.description} holds no cluster's data yet`);
  throw new UsageError(`${source.description} holds ${clusters.length} clusters: pick one with --cluster (${clusters.join(', ')})`);
}
