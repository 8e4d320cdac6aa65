import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { TABLE_SCHEMA } from '../../lambdas/store/table';
import { STORE_ACTIONS, StoreTable } from '../../lib/store-table';
import { actionsOf, policyStatements, testApp } from '../support/cdk';

function build(props?: ConstructorParameters<typeof StoreTable>[2]) {
  const stack = new Stack(testApp(), 'S');
  const store = new StoreTable(stack, 'Store', props);
  const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  store.grantReadWrite(role);
  return Template.fromStack(stack);
}

describe('StoreTable', () => {
  test('on-demand, keys and TTL from the runtime schema, point-in-time recovery and deletion protection on, retained', () => {
    const t = build();
    t.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
        Replicas: [
          Match.objectLike({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
        ],
      },
    });
  });

  // A customer managed key needs a stack with a known region (TableV2 renders it per replica).
  const env = { account: '123456789012', region: 'eu-west-1' };

  test('removal policy, deletion protection, recovery and encryption are configurable', () => {
    const stack = new Stack(testApp(), 'S', { env });
    const key = new kms.Key(stack, 'K', { enableKeyRotation: true });
    new StoreTable(stack, 'Store', {
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      pointInTimeRecovery: false,
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
    });
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: false,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
            SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^K'), 'Arn'] } },
          }),
        ],
      }),
    });
  });

  test('grants exactly the calls the store makes, on the table only', () => {
    const statements = policyStatements(build()).filter((s) => s.where.startsWith('ReaderDefaultPolicy'));
    expect(statements).toHaveLength(1);
    expect([...actionsOf(statements[0].statement)].sort()).toEqual([...STORE_ACTIONS].sort());
    expect(statements[0].statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StoreTable/), 'Arn'] });
    // The calls the store can make are the commands its modules import from the DynamoDB client, but for
    // table.ts (local mode and tests create the table; the stack does in AWS) and the Scan of
    // VigilStore.clusters(), which only `vigil query` makes, on a local run: no function is granted it.
    const dir = join(__dirname, '../../lambdas/store');
    const calls = new Set(
      readdirSync(dir)
        .filter((f) => f.endsWith('.ts') && f !== 'table.ts')
        .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-dynamodb'/g)])
        .flatMap(([, imported]) => [...imported.matchAll(/\b(\w+)Command\b/g)].map((m) => `dynamodb:${m[1]}`)),
    );
    expect(calls.delete('dynamodb:Scan')).toBe(true);
    expect(calls.size).toBeGreaterThan(3);
    expect([...STORE_ACTIONS].sort()).toEqual([...calls].sort());
  });

  test('a customer managed key is granted along with the table', () => {
    const stack = new Stack(testApp(), 'S', { env });
    const key = new kms.Key(stack, 'K', { enableKeyRotation: true });
    const store = new StoreTable(stack, 'Store', { encryption: dynamodb.TableEncryptionV2.customerManagedKey(key) });
    store.grantReadWrite(new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    const actions = policyStatements(Template.fromStack(stack))
      .filter((s) => s.where.startsWith('ReaderDefaultPolicy'))
      .flatMap((s) => actionsOf(s.statement));
    expect(actions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt']));
  });
});
