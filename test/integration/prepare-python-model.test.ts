import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { PrepareError } from '../../src/errors.js';
import { loadModelSpec } from '../../src/model/manifest.js';
import { preparePythonModel } from '../../src/backends/python/prepare-python-model.js';
import { PYTHON_DIR } from '../../src/config/config.js';

/** A logger whose messages the test can read. */
function capturingLogger(): { logger: pino.Logger; messages: string[] } {
  const messages: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      messages.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), messages };
}

const manifest = (extra: Record<string, unknown>) => ({
  name: 'prep',
  version: '1',
  handler: 'handler',
  input: { type: 'object', properties: { x: { type: 'number' } } },
  output: { type: 'object', properties: { y: { type: 'number' } } },
  ...extra,
});

function modelDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-prepare-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

// Requirement files with no packages: pip runs for real but needs no network.
const TRAIN = 'import pathlib\npathlib.Path("model.bin").write_text("trained")\nprint("training done")\n';

describe('preparePythonModel (real python3 -m venv, real pip)', () => {
  let dir: string;
  let pythonDir: string;

  beforeAll(() => {
    pythonDir = modelDir({ 'requirements.txt': '# none\n' });
    dir = modelDir({
      'model.json': JSON.stringify(manifest({ requirements: 'requirements.txt', artifact: 'model.bin', train: 'train.py' })),
      'requirements.txt': '# nothing yet\n',
      'train.py': TRAIN,
    });
  });

  it('creates the virtualenv, installs, and trains the missing artifact, showing progress', async () => {
    const { logger, messages } = capturingLogger();
    const python = await preparePythonModel({ spec: await loadModelSpec(dir), python: 'python3', pythonDir, logger });
    expect(python).toBe(path.join(dir, '.venv', 'bin', 'python'));
    expect(existsSync(python)).toBe(true);
    expect(readFileSync(path.join(dir, 'model.bin'), 'utf8')).toBe('trained');
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^creating virtualenv/), expect.stringMatching(/^installing Python requirements/), expect.stringMatching(/training prep/), 'training done']));
  });

  it('does nothing the second time', async () => {
    const { logger, messages } = capturingLogger();
    await preparePythonModel({ spec: await loadModelSpec(dir), python: 'python3', pythonDir, logger });
    expect(messages).toEqual([]);
  });

  it('reinstalls when a requirements file changes', async () => {
    writeFileSync(path.join(dir, 'requirements.txt'), '# changed\n');
    const { logger, messages } = capturingLogger();
    await preparePythonModel({ spec: await loadModelSpec(dir), python: 'python3', pythonDir, logger });
    expect(messages.some((m) => m.startsWith('installing Python requirements'))).toBe(true);
    expect(messages.some((m) => m.startsWith('creating virtualenv'))).toBe(false);
  });

  it('reports a failing train script with its output', async () => {
    const failing = modelDir({
      'model.json': JSON.stringify(manifest({ artifact: 'model.bin', train: 'train.py' })),
      'train.py': 'print("loading data")\nraise SystemExit("no data here")\n',
    });
    // workerPython: no virtualenv needed to test the training step.
    const error = await preparePythonModel({ spec: await loadModelSpec(failing), python: 'python3', workerPython: 'python3', pythonDir, logger: capturingLogger().logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrepareError);
    expect((error as Error).message).toMatch(/train the model with train\.py.*no data here/);
  });

  it('runs the train script with the gateway\'s Python package importable, to write its artifact atomically', async () => {
    const dir = modelDir({
      'model.json': JSON.stringify(manifest({ artifact: 'model.bin', train: 'train.py' })),
      'train.py': 'from pathlib import Path\nfrom gateway_worker.artifact_file import save_atomically\nsave_atomically(lambda f: f.write(b"trained"), Path("model.bin"))\n',
    });
    await preparePythonModel({ spec: await loadModelSpec(dir), python: 'python3', workerPython: 'python3', pythonDir: PYTHON_DIR, logger: capturingLogger().logger });
    expect(readFileSync(path.join(dir, 'model.bin'), 'utf8')).toBe('trained');
  });

  it('refuses a missing artifact that no script can make', async () => {
    const untrainable = modelDir({ 'model.json': JSON.stringify(manifest({ artifact: 'model.bin' })) });
    const error = await preparePythonModel({ spec: await loadModelSpec(untrainable), python: 'python3', workerPython: 'python3', pythonDir, logger: capturingLogger().logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrepareError);
    expect((error as Error).message).toMatch(/model\.bin is missing and the manifest names no "train" script/);
  });

  it('takes an absolute artifact path as it is, as --watch-model does (it was looked for inside the model directory)', async () => {
    const elsewhere = path.join(mkdtempSync(path.join(tmpdir(), 'gw-artifact-')), 'model.bin');
    writeFileSync(elsewhere, 'trained elsewhere');
    const absolute = modelDir({ 'model.json': JSON.stringify(manifest({ artifact: elsewhere })) });
    await expect(preparePythonModel({ spec: await loadModelSpec(absolute), python: 'python3', workerPython: 'python3', pythonDir, logger: capturingLogger().logger })).resolves.toBe('python3');
  });

  it('names a Python that cannot be started', async () => {
    const fresh = modelDir({ 'model.json': JSON.stringify(manifest({})) });
    const error = await preparePythonModel({ spec: await loadModelSpec(fresh), python: '/nonexistent/python3', pythonDir, logger: capturingLogger().logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrepareError);
    expect((error as Error).message).toMatch(/cannot create the virtualenv: \/nonexistent\/python3 could not be started/);
  });
});
