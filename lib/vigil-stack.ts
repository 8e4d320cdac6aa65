import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StoreTable } from './store-table';

/** The deployable stack. The CDK issue grows it into the full L3 construct; today it holds the store. */
export class VigilStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    new StoreTable(this, 'Store');
  }
}
