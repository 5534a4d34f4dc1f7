/**
 * `npm run kafka -- produce|consume`: send rows to the gateway's input topic
 * and read its answers, on the gateway's own Kafka client (@platformatic/kafka),
 * so Kafka mode can be tried without installing Kafka's shell tools.
 *
 *   npm run -s kafka -- produce '{"x": 1}'            # one record per argument
 *   printf '%s\n' '{"x":1}' '{"x":2}' | npm run -s kafka -- produce   # or one per stdin line
 *   npm run -s kafka -- produce --header reply-to=my-replies --header correlation-id=42 '{"x": 1}'
 *   npm run -s kafka -- consume --from-beginning --count 2
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Consumer, MessagesStreamModes, Producer, type Message } from '@platformatic/kafka';

const USAGE = `usage:
  npm run -s kafka -- produce [--brokers HOST:PORT] [--topic T] [--model NAME] [--header NAME=VALUE ...] [--key K] [JSON ...]
      (no JSON: one record per stdin line; --model NAME is --header model=NAME; --header may repeat)
  npm run -s kafka -- consume [--brokers HOST:PORT] [--topic T] [--from-beginning] [--count N]
defaults: --brokers $KAFKA_BROKERS or localhost:9092; --topic $KAFKA_INPUT_TOPIC or predict-requests (produce),
          $KAFKA_OUTPUT_TOPIC or predict-results (consume; the dead letters are on <input topic>.dlq)`;

/** `--header NAME=VALUE` (repeatable) and `--model NAME` as the record's headers; the last of a name wins. */
function headersOf(pairs: readonly string[], model: string | undefined): Map<Buffer, Buffer> | undefined {
  const headers = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--header must be NAME=VALUE, got ${JSON.stringify(pair)}`);
    headers.set(pair.slice(0, at), pair.slice(at + 1));
  }
  if (model !== undefined) headers.set('model', model);
  if (headers.size === 0) return undefined;
  return new Map([...headers].map(([name, value]) => [Buffer.from(name), Buffer.from(value)]));
}

async function produce(brokers: string, topic: string, values: readonly string[], options: { headers: Map<Buffer, Buffer> | undefined; key?: string | undefined }): Promise<void> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'inference-gateway-cli', bootstrapBrokers: brokers.split(','), autocreateTopics: true });
  try {
    const lines = values.length > 0 ? values : await readStdinLines();
    const messages = lines.map((value, i) => ({
      topic,
      key: Buffer.from(options.key ?? `cli-${Date.now()}-${i}`),
      value: Buffer.from(value),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    }));
    if (messages.length > 0) await producer.send({ messages });
    process.stderr.write(`sent ${messages.length} record${messages.length === 1 ? '' : 's'} to ${topic}\n`);
  } finally {
    await producer.close();
  }
}

async function consume(brokers: string, topic: string, fromBeginning: boolean, count: number | undefined): Promise<void> {
  // A fresh group that never commits: reading here never moves anyone's offsets.
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'inference-gateway-cli', groupId: `inference-gateway-cli-${randomUUID()}`, bootstrapBrokers: brokers.split(','), autocommit: false, autocreateTopics: true, maxWaitTime: 500 });
  const stream = await consumer.consume({ topics: [topic], mode: fromBeginning ? MessagesStreamModes.EARLIEST : MessagesStreamModes.LATEST });
  let seen = 0;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
      process.stdout.write(`${JSON.stringify(describe(message))}\n`);
      seen += 1;
      if (count !== undefined && seen >= count) resolve();
    });
    stream.on('error', reject);
    process.once('SIGINT', () => resolve());
  });
  try {
    await done;
  } finally {
    await consumer.close(true);
  }
}

/** One record as one JSON line: key, headers, and the value parsed when it is JSON. */
function describe(message: Message<Buffer, Buffer, Buffer, Buffer>): Record<string, unknown> {
  const text = message.value?.toString('utf8');
  let value: unknown = text;
  try {
    value = text === undefined ? null : (JSON.parse(text) as unknown);
  } catch {
    // Not JSON (a dead letter's original record may be anything): keep the text.
  }
  const headers = Object.fromEntries([...(message.headers ?? new Map())].map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]));
  return { partition: message.partition, offset: String(message.offset), key: message.key?.toString('utf8') ?? null, headers, value };
}

async function readStdinLines(): Promise<string[]> {
  if (process.stdin.isTTY) throw new UsageError('give the records as arguments, or one per line on stdin');
  const lines: string[] = [];
  for await (const line of createInterface({ input: process.stdin })) if (line.trim() !== '') lines.push(line);
  return lines;
}

class UsageError extends Error {}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    args: process.argv.slice(2),
    options: { brokers: { type: 'string' }, topic: { type: 'string' }, model: { type: 'string' }, header: { type: 'string', multiple: true }, key: { type: 'string' }, 'from-beginning': { type: 'boolean' }, count: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const brokers = values.brokers ?? process.env.KAFKA_BROKERS ?? 'localhost:9092';
  const [command, ...rest] = positionals;
  if (command === 'produce') {
    const headers = headersOf(values.header ?? [], values.model);
    await produce(brokers, values.topic ?? process.env.KAFKA_INPUT_TOPIC ?? 'predict-requests', rest, { headers, key: values.key });
    return 0;
  }
  if (command === 'consume') {
    const count = values.count === undefined ? undefined : Number(values.count);
    if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw new UsageError(`--count must be an integer >= 1, got ${values.count}`);
    await consume(brokers, values.topic ?? process.env.KAFKA_OUTPUT_TOPIC ?? 'predict-results', values['from-beginning'] === true, count);
    return 0;
  }
  throw new UsageError(command === undefined ? 'name a command: produce or consume' : `unknown command ${JSON.stringify(command)}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(error instanceof UsageError ? `kafka: ${error.message}\n${USAGE}\n` : `kafka: ${(error as Error).message}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
