/**
 * An embedded DynamoDB-compatible server (dynalite) on 127.0.0.1 and an AWS SDK client pointed at it:
 * the real SDK over real HTTP, for tests and local mode. dynalite has no TTL expiry, transactions or
 * PartiQL; Vigil's runtime code uses none of them.
 */
import type { Server } from 'http';
import * as path from 'path';
import type { AddressInfo } from 'net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../lambdas/store/table';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  path?: string;
}) => Server;

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Creates a Vigil table. */
  createTable(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Fake static credentials: dynalite checks that requests are signed, not by whom. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

/** Where `vigil local` writes by default (outboxes, reports), the dynalite data it keeps there, and its table. */
export const LOCAL_OUT_DIR = path.join('vigil-out', 'local');
export const localDbDir = (outDir: string): string => path.join(outDir, 'db');
export const LOCAL_DB_DIR = localDbDir(LOCAL_OUT_DIR);
export const LOCAL_TABLE = 'vigil';

export class LocalDataInUseError extends Error {
  override readonly name = 'LocalDataInUseError';
}

/**
 * Starts dynalite, in memory or on disk at `path`. On disk, the database is checked first: dynalite opens
 * it only on first use and crashes the process with an unhandled stream error when another process holds
 * it (`vigil local` running while `vigil query` reads), so that is turned into a clear error here.
 */
export async function startDynalite(opts: { readonly path?: string; readonly port?: number } = {}): Promise<LocalDynamo> {
  if (opts.path) await checkNotLocked(opts.path);
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(opts.path ? { path: opts.path } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return {
    endpoint,
    client,
    createTable: (name) => createTable(client, name),
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function checkNotLocked(dir: string): Promise<void> {
  // The LevelDB binding dynalite itself uses, resolved from dynalite's own folder.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Level } = require(require.resolve('level', { paths: [path.dirname(require.resolve('dynalite'))] })) as {
    Level: new (dir: string) => { open(): Promise<void>; close(): Promise<void> };
  };
  const probe = new Level(dir);
  try {
    await probe.open();
    await probe.close();
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED')
      throw new LocalDataInUseError(`the local data in ${dir} is in use by another process (is \`vigil local\` still running?)`);
    throw new Error(`${dir} is not a local Vigil database: ${cause?.message ?? (e as Error).message}`);
  }
}
