import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { kafkaBrokers, testTopics } from '../helpers/kafka.js';
import { ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = path.join(ROOT, 'scripts', 'kafka.ts');

describe('npm run kafka -- produce|consume (real broker)', () => {
  it('produces each argument as a record (with a model header) and consumes them back as JSON lines', async () => {
    const brokers = kafkaBrokers();
    const { input: topic } = testTopics('cli');
    const sent = await run(TSX, [SCRIPT, 'produce', '--brokers', brokers, '--topic', topic, '--model', 'toy', '{"x": 1}', '{"x": 2}']);
    expect(sent.stderr).toContain(`sent 2 records to ${topic}`);
    const read = await run(TSX, [SCRIPT, 'consume', '--brokers', brokers, '--topic', topic, '--from-beginning', '--count', '2'], { timeout: 60_000 });
    const records = read.stdout.trim().split('\n').map((line) => JSON.parse(line) as { value: unknown; headers: Record<string, string> });
    expect(records.map((r) => r.value).sort((a, b) => (a as { x: number }).x - (b as { x: number }).x)).toEqual([{ x: 1 }, { x: 2 }]);
    expect(records.every((r) => r.headers.model === 'toy')).toBe(true);
  });

  it('sets any header with --header NAME=VALUE (repeatable), --model beside them', async () => {
    const brokers = kafkaBrokers();
    const { input: topic } = testTopics('cli-headers');
    await run(TSX, [SCRIPT, 'produce', '--brokers', brokers, '--topic', topic, '--model', 'toy', '--header', 'reply-to=my-replies', '--header', 'deadline-ms=5000', '--header', 'x-note=a=b', '{"x": 1}']);
    const read = await run(TSX, [SCRIPT, 'consume', '--brokers', brokers, '--topic', topic, '--from-beginning', '--count', '1'], { timeout: 60_000 });
    const record = JSON.parse(read.stdout.trim()) as { headers: Record<string, string> };
    expect(record.headers).toEqual({ model: 'toy', 'reply-to': 'my-replies', 'deadline-ms': '5000', 'x-note': 'a=b' });
  });

  it('refuses a --header without a name and value, before connecting', async () => {
    const failed = (await run(TSX, [SCRIPT, 'produce', '--brokers', '127.0.0.1:1', '--header', 'reply-to', '{}']).catch((error: unknown) => error)) as { code: number; stderr: string };
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('--header must be NAME=VALUE, got "reply-to"');
  });

  it('an unknown command exits 2 with the usage', async () => {
    const failed = await run(TSX, [SCRIPT, 'sing']).catch((error: unknown) => error as { code: number; stderr: string });
    expect((failed as { code: number }).code).toBe(2);
    expect((failed as { stderr: string }).stderr).toContain('usage:');
  });
});
