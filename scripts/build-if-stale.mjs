// `npm start`'s prestart: compiles src/ to dist/ only when a source (or the
// TypeScript config, or package.json) is newer than the last build, and says
// so, since on a busy 2-core machine tsc takes half a minute. Plain
// JavaScript so that it runs before anything is built.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(file) : statSync(file).mtimeMs);
  }
  return latest;
}

const sources = Math.max(newest(path.join(root, 'src')), ...['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => statSync(path.join(root, f)).mtimeMs));
if (existsSync(stamp) && existsSync(path.join(root, 'dist', 'main.js')) && statSync(stamp).mtimeMs >= sources) process.exit(0);

process.stderr.write('building TypeScript (src/ → dist/; only when src/ changed, up to ~30 s on a busy machine)…\n');
const started = Date.now();
const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
// Dated when the build started: a source saved during the build is newer, and rebuilds next time.
utimesSync(stamp, started / 1000, started / 1000);
process.stderr.write(`built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
