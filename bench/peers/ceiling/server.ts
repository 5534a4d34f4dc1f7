/**
 * The HTTP ceiling of this machine: a Fastify route that parses the same
 * JSON row as the gateway's /predict and answers a constant. No model, no
 * validation, no workers: whatever the gateway reaches is measured against
 * this, with the same client on the same cores.
 *
 *   npx tsx bench/peers/ceiling/server.ts --port 8090
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';

const { values } = parseArgs({ options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '8090' } } });
const app = Fastify({ logger: false });
const answer = { probability: 1, income: '<=50K' };

app.get('/health', async () => ({ ready: true }));
app.post('/predict', async () => answer);

await app.listen({ host: values.host, port: Number(values.port) });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
