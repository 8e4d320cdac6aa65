/** The context `cdk synth` reads from cdk.json: the feature flags and the sample `vigil:*` keys. */
import * as fs from 'fs';
import * as path from 'path';

/** cdk.json's context, for an app built outside the CDK CLI (tests, the bundle benchmark) to synthesize as `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const file = path.join(__dirname, '..', 'cdk.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { context: Record<string, unknown> }).context;
}
