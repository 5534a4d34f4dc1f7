/**
 * `npm run broker -- start|stop|status [--dir DIR]`: a local Apache Kafka
 * broker for development. `start` prints the bootstrap address as the last
 * line of stdout (and nothing else), so `$(npm run -s broker -- start)` works.
 */
import { parseArgs } from 'node:util';
import { BrokerError, DEFAULT_BROKER_DIR, brokerStatus, startBroker, stopBroker } from './broker-control.js';

const USAGE = 'usage: npm run broker -- start|stop|status [--dir DIR] [--partitions N]';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    args: process.argv.slice(2),
    options: { dir: { type: 'string' }, partitions: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const dir = values.dir ?? DEFAULT_BROKER_DIR;
  const command = positionals[0];
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  switch (command) {
    case 'start': {
      const partitions = values.partitions === undefined ? undefined : Number(values.partitions);
      if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1)) throw new BrokerError(`--partitions must be an integer >= 1, got ${values.partitions}`);
      const address = await startBroker({ dir, ...(partitions ? { partitions } : {}), progress: (line) => process.stderr.write(`broker: ${line}\n`) });
      process.stdout.write(`${address}\n`);
      return 0;
    }
    case 'stop':
      if (!(await stopBroker(dir))) process.stderr.write('broker: not running\n');
      return 0;
    case 'status': {
      const status = await brokerStatus(dir);
      process.stdout.write(status.running ? `running (pid ${status.pid})\n${status.address}\n` : 'stopped\n');
      return status.running ? 0 : 3;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof BrokerError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? (error as Error).message : ((error as Error).stack ?? String(error));
    process.stderr.write(`broker: ${message}\n`);
    process.exit(1);
  },
);
