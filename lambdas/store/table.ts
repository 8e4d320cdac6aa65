/**
 * The table's shape, in one place: the CDK store construct declares it from these names, and local mode
 * and the tests create it on dynalite with `createTable`.
 */
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PK, SK, TTL_ATTRIBUTE } from './keys';

export const TABLE_SCHEMA = {
  partitionKey: PK,
  sortKey: SK,
  /** Epoch seconds; TTL is switched on by the CDK stack (dynalite has no UpdateTimeToLive). */
  timeToLiveAttribute: TTL_ATTRIBUTE,
} as const;

/** Creates the table (on-demand, no index) if it does not exist, and waits until it is ACTIVE. */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: PK, AttributeType: 'S' },
          { AttributeName: SK, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: PK, KeyType: 'HASH' },
          { AttributeName: SK, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  for (let i = 0; i < 100; i++) {
    const t = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (t.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
