import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { helpText, loadConfig, readOptions } from '../../../src/config/config.js';
import { ConfigError } from '../../../src/errors.js';

const configFrom = async (argv: string[], env: NodeJS.ProcessEnv = {}) => loadConfig(readOptions(argv, env).values);

async function issuesOf(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<readonly { field: string; reason: string }[]> {
  const error = await configFrom(argv, env).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).issues;
}

describe('config: Kafka options', () => {
  it('leaves Kafka off by default, with HTTP on and the documented topic names', async () => {
    const config = await configFrom([]);
    expect(config.kafkaBrokers).toBeUndefined();
    expect(config.http).toBe(true);
    expect(config.exactlyOnce).toBe(false);
    expect(config.kafkaInputTopic).toBe('predict-requests');
    expect(config.kafkaOutputTopic).toBe('predict-results');
    expect(config.kafkaDlqTopic).toBe('predict-requests.dlq');
    expect(config.kafkaGroupId).toBe('inference-gateway');
    expect(config.kafkaTransactionalId).toBe(`inference-gateway-${os.hostname()}`);
  });

  it('reads brokers as a list from the flag or KAFKA_BROKERS, flag first', async () => {
    expect((await configFrom(['--kafka-brokers', 'a:9092, b:9093'])).kafkaBrokers).toEqual(['a:9092', 'b:9093']);
    expect((await configFrom([], { KAFKA_BROKERS: 'k:1' })).kafkaBrokers).toEqual(['k:1']);
    expect((await configFrom(['--kafka-brokers', 'f:2'], { KAFKA_BROKERS: 'k:1' })).kafkaBrokers).toEqual(['f:2']);
  });

  it('derives the dead-letter topic from the input topic unless given', async () => {
    expect((await configFrom(['--kafka-brokers', 'k:1', '--kafka-input-topic', 'scores'])).kafkaDlqTopic).toBe('scores.dlq');
    expect((await configFrom(['--kafka-brokers', 'k:1', '--kafka-dlq-topic', 'dead'])).kafkaDlqTopic).toBe('dead');
  });

  it('takes --no-http and --exactly-once as flags and from the environment', async () => {
    const flags = await configFrom(['--kafka-brokers', 'k:1', '--no-http', '--exactly-once', '--kafka-transactional-id', 'gw-1']);
    expect(flags.http).toBe(false);
    expect(flags.exactlyOnce).toBe(true);
    expect(flags.kafkaTransactionalId).toBe('gw-1');
    const env = await configFrom([], { KAFKA_BROKERS: 'k:1', GATEWAY_HTTP: 'false', KAFKA_EXACTLY_ONCE: 'true' });
    expect(env.http).toBe(false);
    expect(env.exactlyOnce).toBe(true);
  });

  it('refuses --no-http and --exactly-once without brokers, naming the option', async () => {
    expect(await issuesOf(['--no-http'])).toEqual([{ field: 'http (--http / GATEWAY_HTTP)', reason: '--no-http needs --kafka-brokers, or the gateway would serve nothing' }]);
    expect(await issuesOf(['--exactly-once'])).toEqual([{ field: 'exactlyOnce (--exactly-once / KAFKA_EXACTLY_ONCE)', reason: 'needs --kafka-brokers' }]);
  });

  it('refuses a broker without a port and bad topic names', async () => {
    expect((await issuesOf(['--kafka-brokers', 'localhost']))[0]!.field).toMatch(/^kafkaBrokers/);
    expect((await issuesOf(['--kafka-brokers', 'k:1', '--kafka-output-topic', 'no spaces']))[0]!.field).toMatch(/^kafkaOutputTopic/);
  });

  it('refuses an output or dead-letter topic equal to the input topic', async () => {
    const issues = await issuesOf(['--kafka-brokers', 'k:1', '--kafka-input-topic', 't', '--kafka-output-topic', 't', '--kafka-dlq-topic', 't']);
    expect(issues.map((i) => i.field.split(' ')[0]).sort()).toEqual(['kafkaDlqTopic', 'kafkaOutputTopic']);
  });

  it('takes --forward-to-kafka with brokers, with a reply topic unique per process unless named', async () => {
    const config = await configFrom(['--forward-to-kafka', '--kafka-brokers', 'k:1']);
    expect(config.forwardToKafka).toBe(true);
    expect(config.kafkaReplyTopic).toMatch(/^predict-requests\.replies\.[A-Za-z0-9._-]+\.[0-9a-f]{8}$/);
    expect(config.kafkaReplyTopicGenerated).toBe(true);
    expect((await configFrom(['--forward-to-kafka', '--kafka-brokers', 'k:1'])).kafkaReplyTopic).not.toBe(config.kafkaReplyTopic);
    const named = await configFrom(['--forward-to-kafka', '--kafka-brokers', 'k:1', '--kafka-reply-topic', 'edge-1.replies']);
    expect(named.kafkaReplyTopic).toBe('edge-1.replies');
    expect(named.kafkaReplyTopicGenerated).toBe(false);
    expect(config.forwardRetryMs).toBe(2000);
    expect(config.forwardMaxPending).toBe(16_384);
  });

  it('refuses --forward-to-kafka without brokers, with --no-http or --exactly-once, and a reply topic equal to the input topic', async () => {
    expect((await issuesOf(['--forward-to-kafka'])).map((i) => i.field.split(' ')[0])).toEqual(['forwardToKafka']);
    expect((await issuesOf(['--forward-to-kafka', '--kafka-brokers', 'k:1', '--no-http'])).map((i) => i.field.split(' ')[0])).toEqual(['forwardToKafka']);
    expect((await issuesOf(['--forward-to-kafka', '--kafka-brokers', 'k:1', '--exactly-once'])).map((i) => i.field.split(' ')[0])).toEqual(['exactlyOnce']);
    expect((await issuesOf(['--forward-to-kafka', '--kafka-brokers', 'k:1', '--kafka-reply-topic', 'predict-requests'])).map((i) => i.field.split(' ')[0])).toEqual(['kafkaReplyTopic']);
  });

  it('lines up --help in columns however long a flag or variable is', () => {
    const options = helpText().split('\n').filter((line) => line.startsWith('  --'));
    expect(options.some((line) => line.includes('--latency-slo-max-cost'))).toBe(true);
    // Each line: the flag, then the variable (or the text) at one column for all.
    const columns = new Set(options.map((line) => /^ {2}--\S+ +/.exec(line)![0].length));
    expect(columns.size).toBe(1);
  });

  it('lists the Kafka options in --help', () => {
    expect(helpText()).toContain('--kafka-brokers');
    expect(helpText()).toContain('--exactly-once');
  });
});
