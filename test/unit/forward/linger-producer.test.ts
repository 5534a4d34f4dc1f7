import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../../src/errors.js';
import type { ForwardRecord } from '../../../src/forward/forward-codec.js';
import { LingerProducer } from '../../../src/forward/linger-producer.js';
import type { KafkaProducer } from '../../../src/kafka/delivery.js';

/** A producer whose sends complete when told. */
class FakeProducer {
  readonly sends: { messages: ForwardRecord[]; finish: (error?: Error) => void }[] = [];
  send(options: { messages: ForwardRecord[] }): Promise<unknown> {
    return new Promise((resolve, reject) => this.sends.push({ messages: options.messages, finish: (error) => (error ? reject(error) : resolve({})) }));
  }
  async close(): Promise<void> {}
}

const record = (n: number): ForwardRecord => ({ topic: 't', value: Buffer.from(String(n)) });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('LingerProducer', () => {
  it('sends a lone record at the next tick, and batches what arrives while a send is in flight into the next one', async () => {
    const fake = new FakeProducer();
    const producer = new LingerProducer(fake as unknown as KafkaProducer);
    const first = producer.send(record(1));
    await tick();
    expect(fake.sends.map((s) => s.messages.length)).toEqual([1]);
    const later = [producer.send(record(2)), producer.send(record(3)), producer.send(record(4))];
    await tick();
    // Still one request in flight: the three wait for it.
    expect(fake.sends).toHaveLength(1);
    fake.sends[0]!.finish();
    await first;
    await tick();
    expect(fake.sends.map((s) => s.messages.map((m) => String(m.value)))).toEqual([['1'], ['2', '3', '4']]);
    fake.sends[1]!.finish();
    await Promise.all(later);
  });

  it('coalesces records sent in the same tick into one request', async () => {
    const fake = new FakeProducer();
    const producer = new LingerProducer(fake as unknown as KafkaProducer);
    const sent = [1, 2, 3].map((n) => producer.send(record(n)));
    await tick();
    expect(fake.sends.map((s) => s.messages.length)).toEqual([3]);
    fake.sends[0]!.finish();
    await Promise.all(sent);
  });

  it('rejects every record of a failed request with GW_ERR_KAFKA', async () => {
    const fake = new FakeProducer();
    const producer = new LingerProducer(fake as unknown as KafkaProducer);
    const sent = [producer.send(record(1)), producer.send(record(2))];
    await tick();
    fake.sends[0]!.finish(new Error('broker gone'));
    for (const s of sent) await expect(s).rejects.toBeInstanceOf(KafkaError);
  });
});
