#!/usr/bin/env node
import { helpText, loadConfig, readOptions } from './config/config.js';
import { GatewayError } from './errors.js';
import { prepareModelFor, startGateway } from './gateway.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  const { values, help, prepareOnly } = readOptions(process.argv.slice(2), process.env);
  if (help) {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  const config = await loadConfig(values);
  const logger = createLogger(config.logLevel);
  const { manifest } = config.model;
  if (prepareOnly) {
    await prepareModelFor(config, logger);
    logger.info(`${manifest.name} ${manifest.version} is prepared`);
    return;
  }
  logger.info({ model: manifest.name, version: manifest.version, dir: config.model.dir }, `starting ${manifest.name} ${manifest.version} with ${config.workers} workers`);
  const gateway = await startGateway(config, logger);
  if (config.http) {
    const base = await gateway.app.listen({ host: config.host, port: config.port });
    logger.info(
      { model: manifest.name, version: manifest.version, workers: config.workers, maxBatchRows: config.maxBatchRows, url: base },
      `serving ${manifest.name} ${manifest.version} with ${config.workers} workers on ${base}/predict — docs at ${base}/docs`,
    );
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
