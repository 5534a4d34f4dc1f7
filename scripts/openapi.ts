/**
 * `npm run openapi -- [--out FILE] [gateway options]`: writes the OpenAPI
 * document the gateway serves at /openapi.json (default: openapi.json), for
 * client generators, without starting a model. The gateway options choose
 * the models as `npm start` would (`--model-repository`, `--model`, ...).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, readOptions } from '../src/config/config.js';
import { GatewayError } from '../src/errors.js';
import { openApiDocument } from '../src/http/openapi-document.js';
import { createLogger } from '../src/logger.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.findIndex((arg) => arg === '--out' || arg === '-o');
  const out = path.resolve(at === -1 ? 'openapi.json' : (args[at + 1] ?? 'openapi.json'));
  if (at !== -1) args.splice(at, 2);
  const config = await loadConfig({ ...readOptions(args, process.env).values, prepare: false });
  const document = await openApiDocument(config, createLogger('warn', false));
  writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
  const paths = Object.keys((document.paths as Record<string, unknown> | undefined) ?? {}).length;
  process.stderr.write(`wrote ${out}: ${paths} paths, models ${config.models.map((m) => m.spec.manifest.name).join(', ')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`openapi: ${error instanceof GatewayError ? `${error.code}: ${error.message}` : String((error as Error)?.stack ?? error)}\n`);
  process.exit(error instanceof GatewayError ? 2 : 1);
});
