#!/usr/bin/env node
import { helpText, loadConfig, readOptions } from './config/config.js';
import { GatewayError } from './errors.js';
import { startForwardingGateway } from './forward/start-forwarding-gateway.js';
import { prepareModels, startGateway } from './gateway.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  const { values, help, prepareOnly } = readOptions(process.argv.slice(2), process.env);
  if (help) {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  const config = await loadConfig(values);
  const logger = createLogger(config.logLevel);
  const models = config.models.map(({ spec, workers }) => ({ model: spec.manifest.name, version: spec.manifest.version, dir: spec.dir, workers }));
  const names = models.map((m) => `${m.model} ${m.version}`).join(', ');
  if (prepareOnly) {
    await prepareModels(config, logger);
    logger.info({ models }, `prepared ${names}`);
    return;
  }
  logger.info({ models, repository: config.repository.root, defaultModel: config.defaultModel }, `starting ${names}`);
  // The edge role: HTTP only, every model forwarded to the Kafka worker instances.
  const gateway = config.forwardToKafka ? await startForwardingGateway(config, logger) : await startGateway(config, logger);
  if (gateway.url !== undefined) {
    const base = gateway.url;
    logger.info({ models, defaultModel: config.defaultModel, url: base }, `serving ${names} on ${base}/models/{name}/predict (${base}/predict: ${config.defaultModel}) — docs at ${base}/docs`);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'stopping: refusing new work, answering accepted requests, then stopping workers');
    gateway.close().then(
      (finished) => process.exit(finished ? 0 : 1),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof GatewayError) {
    process.stderr.write(`inference-gateway: ${error.code}: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`inference-gateway: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
