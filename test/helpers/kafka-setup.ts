import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { KAFKA_CACHE_DIR, startBroker, stopBroker } from '../../scripts/broker-control.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap address of the broker the Kafka tests use (empty when this run has no Kafka test). */
    kafkaBrokers: string;
  }
}

/** This run's own broker folder, apart from the one `npm run broker` manages. */
export const TEST_BROKER_DIR = path.join(KAFKA_CACHE_DIR, 'test-broker');

/**
 * True when the command line filters test files (vitest matches a filter as
 * a substring of the path) and no filter matches a Kafka test file: then
 * nobody needs the broker and its start-up is saved.
 */
function runHasNoKafkaTest(argv: readonly string[], root: string): boolean {
  const runAt = argv.findIndex((arg) => arg === 'run' || arg.endsWith('vitest.mjs') || arg.endsWith('/vitest'));
  const filters = argv.slice(runAt + 1).filter((arg) => !arg.startsWith('-') && arg !== 'run');
  if (filters.length === 0) return false;
  const kafkaFiles = readdirSync(path.join(root, 'test'), { recursive: true })
    .map((file) => path.join('test', String(file)))
    .filter((file) => file.includes('kafka') && file.endsWith('.test.ts'));
  return !filters.some((filter) => kafkaFiles.some((file) => file.includes(filter) || path.join(root, file).includes(filter)));
}

/**
 * Once per run: a real single-node Kafka broker for the Kafka tests, unless
 * KAFKA_BROKERS points at an existing cluster. The first run resolves the
 * broker's jars with Maven (progress below); later runs only start it.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const existing = process.env.KAFKA_BROKERS;
  if (existing !== undefined && existing !== '') {
    project.provide('kafkaBrokers', existing);
    return undefined;
  }
  if (runHasNoKafkaTest(process.argv, project.config.root)) {
    project.provide('kafkaBrokers', '');
    return undefined;
  }
  const progress = (line: string): void => {
    process.stderr.write(`[kafka-setup] ${line}\n`);
  };
  // A broker left behind by an interrupted run would hold stale topics: start clean.
  await stopBroker(TEST_BROKER_DIR, 2000);
  rmSync(TEST_BROKER_DIR, { recursive: true, force: true });
  const started = Date.now();
  const address = await startBroker({ dir: TEST_BROKER_DIR, partitions: 4, progress });
  progress(`broker ready at ${address} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('kafkaBrokers', address);
  return async () => {
    await stopBroker(TEST_BROKER_DIR, 5000);
    rmSync(TEST_BROKER_DIR, { recursive: true, force: true });
  };
}
