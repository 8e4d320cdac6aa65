#!/usr/bin/env node
/** The CDK app: `cdk synth` / `cdk deploy` run this file (cdk.json "app"). */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VigilConfigError } from '../lib/vigil';
import { VigilStack } from '../lib/vigil-stack';
import { ContextError, readVigilContext } from './context';

/** Vigil's stack from the app's `vigil:*` context, with cdk-nag's AwsSolutions checks failing synth on any finding. */
export function buildApp(app: App): VigilStack {
  const config = readVigilContext(app.node.getAllContext());
  const { stackName, ...props } = config;
  const stack = new VigilStack(app, stackName, props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}

if (require.main === module) {
  try {
    buildApp(new App());
  } catch (e) {
    if (!(e instanceof ContextError || e instanceof VigilConfigError)) throw e;
    // A configuration mistake is not a crash: its message alone, without a stack trace.
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
