/**
 * The agent process (what the image runs): configuration from the environment, the probes server, the
 * agent; a clean stop on SIGTERM. Exit code 1 with every problem listed when the configuration is wrong.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { ConfigError } from '../common/config';
import { createLogger } from '../common/log';
import { readAgentConfig } from './config';
import { startHealthServer } from './health';
import { createAgentRuntime } from './runtime';
import { AGENT_VERSION } from './version';

async function main(): Promise<void> {
  const bootLog = createLogger({ service: 'vigil-agent' }, { version: AGENT_VERSION });
  let config;
  try {
    config = readAgentConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      bootLog.error('invalid configuration', { problems: e.problems });
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger({ service: 'vigil-agent', level: config.logLevel }, { version: AGENT_VERSION, cluster: config.cluster });
  process.on('unhandledRejection', (e) => logger.error('unhandled rejection', { error: e }));
  const agent = createAgentRuntime(config, { logger });
  const health = await startHealthServer(agent, config.healthPort);
  logger.info('probes listening', { port: health.port, paths: ['/healthz', '/readyz', '/metrics'] });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    void agent
      .stop()
      .then(() => health.close())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await agent.start();
}

main().catch((e) => {
  console.error(JSON.stringify({ level: 'error', service: 'vigil-agent', message: 'agent failed to start', error: (e as Error).message }));
  process.exit(1);
});
