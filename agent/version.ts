/** The agent's version: the package's, reported in every batch and in the manifests' labels. */
import { version } from '../package.json';

export const AGENT_VERSION: string = version;
