import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../lambdas/store/table';

export interface StoreTableProps {
  /** @default RemovalPolicy.RETAIN: the history outlives the stack unless asked otherwise */
  readonly removalPolicy?: RemovalPolicy;
  /** @default true: a `cdk destroy` or a console click cannot drop the table by accident */
  readonly deletionProtection?: boolean;
  /** @default true: restore to any second of the last 35 days */
  readonly pointInTimeRecovery?: boolean;
  /**
   * A customer managed key (`TableEncryptionV2.customerManagedKey`) needs a stack with an explicit region.
   * @default TableEncryptionV2.dynamoOwnedKey(): encrypted at rest with no KMS charges
   */
  readonly encryption?: dynamodb.TableEncryptionV2;
}

/**
 * What Vigil's Lambdas do to the table, as data: exactly the calls `VigilStore` makes for them (no Scan: only
 * `vigil query` makes one, listing a local run's clusters; no UpdateItem (the two writers of a node-minute put
 * sibling items), no transactions, no table administration).
 */
export const STORE_ACTIONS: readonly string[] = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
];

/** The one DynamoDB table: on-demand, TTL on `expiresAt`, key names from the runtime store's schema. */
export class StoreTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: StoreTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
      deletionProtection: props.deletionProtection ?? true,
      encryption: props.encryption ?? dynamodb.TableEncryptionV2.dynamoOwnedKey(),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** Lets a Vigil function read and write items (and use the table's key, when it has one). */
  grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantActions(grantee, STORE_ACTIONS);
  }

  /** Lets a Vigil function make only these of the store's calls (and use the table's key, when it has one). */
  grantActions(grantee: iam.IGrantable, actions: readonly string[]): iam.Grant {
    const unknown = actions.filter((a) => !STORE_ACTIONS.includes(a));
    if (unknown.length)
      throw new Error(`store actions ${unknown.join(', ')} are not among the calls VigilStore makes (${STORE_ACTIONS.join(', ')})`);
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
    return this.table.grant(grantee, ...actions);
  }
}
