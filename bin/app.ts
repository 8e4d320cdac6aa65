#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { VigilStack } from '../lib/vigil-stack';

const app = new App();
new VigilStack(app, 'Vigil');
