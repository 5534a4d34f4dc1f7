import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface VenvOptions {
  /** Whose virtualenv, for progress lines and errors, e.g. `mlserver`. */
  readonly name: string;
  /** Where the virtualenv lives, e.g. `bench/.peers/mlserver/.venv`. */
  readonly dir: string;
  /** Requirement files installed into it, all pinned. */
  readonly requirements: readonly string[];
  /** Python that creates it (default `python3`, or `BENCH_PYTHON`). */
  readonly python?: string;
}

const STAMP = '.bench-installed';

/** The Python inside a virtualenv. */
export function venvPythonOf(dir: string): string {
  return path.join(dir, 'bin', 'python');
}

/**
 * Makes a peer's virtualenv, idempotently: created once, then pip installs
 * the requirement files whenever their content changed. The stamp holds the
 * hash of every file, as src/backends/python/prepare-python-model.ts does for the model, so a
 * second run costs one hash and no pip.
 */
export async function ensureVenv(options: VenvOptions): Promise<string> {
  const python = venvPythonOf(options.dir);
  const stampFile = path.join(options.dir, STAMP);
  const hash = createHash('sha256');
  for (const file of options.requirements) hash.update(path.basename(file)).update(readFileSync(file));
  const stamp = hash.digest('hex').slice(0, 16);
  if (existsSync(python) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) return python;

  if (!existsSync(python)) {
    progress(options.name, `creating virtualenv ${options.dir}`);
    await run(options.name, options.python ?? process.env.BENCH_PYTHON ?? 'python3', ['-m', 'venv', options.dir], 'create its virtualenv');
  }
  progress(options.name, `installing ${options.requirements.map((f) => path.relative(process.cwd(), f)).join(', ')} (first run only; a few minutes)`);
  const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off'];
  for (const file of options.requirements) args.push('-r', file);
  await run(options.name, python, args, 'install its requirements');
  writeFileSync(stampFile, `${stamp}\n`);
  progress(options.name, 'virtualenv ready');
  return python;
}

function progress(name: string, line: string): void {
  process.stderr.write(`[setup ${name}] ${line}\n`);
}

/** Runs a setup command with its output shown line by line; a failure names the peer and shows the tail. */
function run(name: string, command: string, args: readonly string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (line.trim() === '') return;
        tail.push(line);
        if (tail.length > 15) tail.shift();
        progress(name, line);
      });
    }
    child.once('error', (error) => reject(new Error(`${name}: cannot ${what}: ${command} could not be started (${error.message})`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${name}: cannot ${what}: ${command} ${args.join(' ')} exited with ${signal ?? code}; last output:\n${tail.join('\n')}`));
    });
  });
}
