import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ensureVenv } from '../python-venv.js';
import { CENSUS_DIR, CENSUS_REQUIREMENTS, PEERS_DIR, PEERS_STATE_DIR } from './paths.js';
import { singleThreadedEnv } from './system.js';

const SOURCE = path.join(PEERS_DIR, 'jet');
const STATE = path.join(PEERS_STATE_DIR, 'jet');
const JAR = path.join(SOURCE, 'target', 'jet-peer.jar');
const BUILD_STAMP = path.join(SOURCE, 'target', '.bench-built');

export type JetGuarantee = 'at-least-once' | 'exactly-once';

/** Jet's knobs; 0 leaves a parallelism to Jet (one processor per core). Defaults: bench/peers/jet/settings.json. */
export interface JetTuning {
  /** Local parallelism of the mapUsingPython stage: how many Python processes. */
  readonly pythonParallelism: number;
  /** Local parallelism of the Kafka source. */
  readonly sourceParallelism: number;
  /** How often Jet snapshots: with exactly-once, how often the sink's transaction commits. */
  readonly snapshotIntervalMs: number;
}

/** The committed settings (the best of the parallelism grid in bench/RESULTS.md). */
export function defaultJetTuning(): JetTuning {
  const saved = JSON.parse(readFileSync(path.join(SOURCE, 'settings.json'), 'utf8')) as Partial<JetTuning>;
  return { pythonParallelism: saved.pythonParallelism ?? 0, sourceParallelism: saved.sourceParallelism ?? 0, snapshotIntervalMs: saved.snapshotIntervalMs ?? 1000 };
}

/** One line JetPeer printed about its job (`jet-peer {...}` on its stdout). */
export interface JetEvent {
  readonly event: 'submitted' | 'status' | 'suspended' | 'resumed' | 'failed';
  readonly timeMs: number;
  readonly status?: string;
  readonly cause?: string;
}

export interface JetOptions extends JetTuning {
  readonly brokers: string;
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly guarantee: JetGuarantee;
  /** Resume the job from its last snapshot when a failure suspends it (JobConfig.setSuspendOnFailure). */
  readonly resumeOnFailure?: boolean;
  readonly heap?: string;
}

export interface RunningJet {
  /** The JVM (the Jet member); its Python processes are its descendants. */
  readonly pid: number;
  readonly events: readonly JetEvent[];
  logTail(n?: number): string;
  stop(): Promise<void>;
}

function progress(line: string): void {
  process.stderr.write(`[setup jet] ${line}\n`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** Hash of what the jar is built from: a changed source rebuilds it, an unchanged one costs no Maven. */
function sourceStamp(): string {
  const hash = createHash('sha256');
  for (const file of [path.join(SOURCE, 'pom.xml'), ...filesUnder(path.join(SOURCE, 'src')).sort()]) hash.update(path.relative(SOURCE, file)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/** `mvn -q package` in bench/peers/jet once (and again whenever its sources change); returns the jar. */
export function buildJetPeer(): string {
  const stamp = sourceStamp();
  if (existsSync(JAR) && existsSync(BUILD_STAMP) && readFileSync(BUILD_STAMP, 'utf8').trim() === stamp) return JAR;
  if (spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status !== 0) throw new Error('jet: Apache Maven is needed to build bench/peers/jet (e.g. apt-get install maven)');
  progress('building bench/peers/jet with `mvn -q package` (first run resolves Hazelcast 5.5.0 from Maven Central, ~40 MB)');
  const result = spawnSync('mvn', ['-B', '-q', 'package'], { cwd: SOURCE, stdio: ['ignore', 2, 2] });
  if (result.status !== 0 || !existsSync(JAR)) throw new Error(`jet: \`mvn -q package\` in ${SOURCE} failed (exit ${result.status ?? result.signal})`);
  writeFileSync(BUILD_STAMP, `${stamp}\n`);
  progress(`built ${path.relative(process.cwd(), JAR)}`);
  return JAR;
}

/** The venv's site-packages, which the bench puts on the Python processes' PYTHONPATH. */
function sitePackages(python: string): string {
  const result = spawnSync(python, ['-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: 'utf8' });
  const dir = result.stdout.trim();
  if (result.status !== 0 || !existsSync(dir)) throw new Error(`jet: cannot find the site-packages of ${python}: ${result.stderr}`);
  return dir;
}

/**
 * Installs the Jet peer, idempotently: bench/.peers/jet/.venv with Jet's
 * pinned grpcio/protobuf and the census model's pins, and the jar.
 */
export async function setupJet(): Promise<{ jar: string; sitePackages: string }> {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) throw new Error('jet: Java 17 or later is needed (e.g. apt-get install openjdk-17-jre-headless)');
  const python = await ensureVenv({ name: 'jet', dir: path.join(STATE, '.venv'), requirements: [path.join(SOURCE, 'requirements.txt'), CENSUS_REQUIREMENTS] });
  return { jar: buildJetPeer(), sitePackages: sitePackages(python) };
}

/**
 * One Jet member (its own JVM) with the census job submitted; resolves once
 * the job is RUNNING. Jet starts the Python processes itself: its init
 * script makes a venv per job in a temporary copy of
 * bench/peers/jet/python/, where the PYTHONPATH set here makes grpcio,
 * protobuf and the model's packages already present.
 */
export async function startJet(options: JetOptions): Promise<RunningJet> {
  const { jar, sitePackages: site } = await setupJet();
  const tmp = path.join(STATE, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const args = [
    `-Xmx${options.heap ?? '1g'}`,
    `-Djava.io.tmpdir=${tmp}`,
    '-jar', jar,
    '--bootstrap', options.brokers,
    '--input', options.inputTopic,
    '--output', options.outputTopic,
    '--guarantee', options.guarantee,
    '--python-parallelism', String(options.pythonParallelism),
    '--source-parallelism', String(options.sourceParallelism),
    '--snapshot-interval-ms', String(options.snapshotIntervalMs),
    '--resume-on-failure', String(options.resumeOnFailure ?? true),
    '--base-dir', path.join(SOURCE, 'python'),
    '--handler-module', 'census_handler',
  ];
  const env = { ...singleThreadedEnv(), PYTHONPATH: site, CENSUS_MODEL_DIR: CENSUS_DIR };
  // detached: its own process group, so stop() also reaches the Python processes.
  const child = spawn('java', args, { cwd: STATE, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const events: JetEvent[] = [];
  const log: string[] = [];
  // The member's whole log, for a look after the run (the bench keeps only its tail).
  const logFile = createWriteStream(path.join(STATE, 'jet.log'));
  const keep = (line: string): void => {
    logFile.write(`${line}\n`);
    log.push(line);
    if (log.length > 2000) log.splice(0, 1000);
  };
  let exited: string | undefined;
  const ended = new Promise<void>((resolve) => child.once('exit', (code, signal) => ((exited = signal ?? `exit ${code}`), resolve())));
  const onExit = (): void => killGroup(child.pid);
  process.once('exit', onExit);
  let running: (() => void) | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    keep(line);
    if (!line.startsWith('jet-peer ')) return;
    const event = JSON.parse(line.slice('jet-peer '.length)) as JetEvent;
    events.push(event);
    if (event.event === 'status' && event.status === 'RUNNING') running?.();
  });
  createInterface({ input: child.stderr! }).on('line', keep);
  const logTail = (n = 30): string => log.slice(-n).join('\n');

  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid), 15_000);
      await ended;
      clearTimeout(timer);
    }
    killGroup(child.pid);
  };

  const ready = new Promise<void>((resolve) => (running = resolve));
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 180_000).unref());
  const outcome = await Promise.race([ready, ended.then(() => 'exited' as const), timeout]);
  if (outcome !== undefined) {
    await stop();
    throw new Error(`jet: the job did not reach RUNNING (${outcome === 'exited' ? `java ${exited}` : 'within 180 s'}); last output:\n${logTail()}`);
  }
  return { pid: child.pid!, events, logTail, stop };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
