import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/**
 * A single-node Apache Kafka broker (KRaft, broker + controller in one JVM)
 * for development and tests, resolved from Maven Central with Maven: no
 * Docker, no tarball download.
 */

export const KAFKA_VERSION = '3.9.1';
const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
/** Maven's local repository, the resolved classpath and the default broker folder live here (gitignored). */
export const KAFKA_CACHE_DIR = process.env.KAFKA_CACHE_DIR ?? path.join(ROOT, '.cache', 'kafka');
/** The broker `npm run broker` manages; tests use their own folder. */
export const DEFAULT_BROKER_DIR = path.join(KAFKA_CACHE_DIR, 'broker');

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
}

export interface BrokerOptions {
  /** Folder for this broker's config, data, log and pid file. */
  readonly dir?: string;
  /** Partitions of auto-created topics. */
  readonly partitions?: number;
  /** Where progress lines go (never stdout: its last line is the address). */
  readonly progress?: (line: string) => void;
  readonly startTimeoutMs?: number;
}

/** What `broker.json` in the broker folder records. */
interface BrokerState {
  readonly pid: number;
  readonly port: number;
  readonly controllerPort: number;
}

export interface BrokerStatus {
  readonly running: boolean;
  /** `127.0.0.1:PORT` when running. */
  readonly address?: string;
  readonly pid?: number;
}

const stateFile = (dir: string): string => path.join(dir, 'broker.json');
const logFile = (dir: string): string => path.join(dir, 'broker.log');

function readState(dir: string): BrokerState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as BrokerState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function requireTool(command: string, args: string[], hint: string): void {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  if (result.error) throw new BrokerError(`${command} is not on PATH (${(result.error as NodeJS.ErrnoException).code ?? result.error.message}): ${hint}`);
  if (result.status !== 0) throw new BrokerError(`\`${command} ${args.join(' ')}\` exited with ${result.status}: ${hint}`);
}

const JAVA_HINT = 'install Java 17 or later (e.g. apt-get install openjdk-17-jre-headless)';

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.inference-gateway</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <!-- Kafka 3.9 builds against reload4j but does not ship it as a runtime dependency. -->
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`;

/** The broker's runtime classpath, resolved once with Maven into the cache folder. */
export function resolveClasspath(progress: (line: string) => void = () => {}): string {
  const dir = path.join(KAFKA_CACHE_DIR, 'maven');
  const classpathFile = path.join(dir, `classpath-${KAFKA_VERSION}.txt`);
  if (existsSync(classpathFile)) {
    const classpath = readFileSync(classpathFile, 'utf8').trim();
    if (classpath.split(path.delimiter).every((jar) => existsSync(jar))) return classpath;
  }
  requireTool('mvn', ['-v'], 'install Apache Maven (e.g. apt-get install maven)');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'pom.xml'), POM);
  // The jars go to a Maven repository of the cache's own; `dir` keeps only the pom and the classpath.
  const jars = path.join(KAFKA_CACHE_DIR, 'm2');
  progress(`resolving Apache Kafka ${KAFKA_VERSION} from Maven Central into ${path.relative(ROOT, jars) || jars} (first time only, ~60 MB)`);
  const result = spawnSync(
    'mvn',
    ['-B', '-q', `-Dmaven.repo.local=${jars}`, 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`, '-Dmdep.includeScope=runtime'],
    { cwd: dir, encoding: 'utf8' },
  );
  if (result.status !== 0 || !existsSync(classpathFile)) {
    rmSync(classpathFile, { force: true });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new BrokerError(`Maven could not resolve org.apache.kafka:kafka_2.13:${KAFKA_VERSION} (exit ${result.status}):\n${output}`);
  }
  return readFileSync(classpathFile, 'utf8').trim();
}

function writeConfig(dir: string, state: Omit<BrokerState, 'pid'>, partitions: number): string {
  const properties = path.join(dir, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${state.controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${state.port},CONTROLLER://127.0.0.1:${state.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${state.port}`,
      'inter.broker.listener.name=PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      `num.partitions=${partitions}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=4',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.logger.kafka=INFO',
      'log4j.logger.org.apache.kafka=WARN',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'),
  );
  return properties;
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Whether the broker in `dir` runs, and where. */
export async function brokerStatus(dir: string = DEFAULT_BROKER_DIR): Promise<BrokerStatus> {
  const state = readState(dir);
  if (!state || !alive(state.pid) || !(await accepts(state.port))) return { running: false };
  return { running: true, address: `127.0.0.1:${state.port}`, pid: state.pid };
}

/**
 * Starts the broker in `dir` unless it already runs; resolves with its
 * bootstrap address once it accepts connections. Data survives a stop and
 * start while the saved ports are free; otherwise storage is formatted anew.
 */
export async function startBroker(options: BrokerOptions = {}): Promise<string> {
  const dir = options.dir ?? DEFAULT_BROKER_DIR;
  const progress = options.progress ?? (() => {});
  const running = await brokerStatus(dir);
  if (running.address) return running.address;
  const previous = readState(dir);
  if (previous && alive(previous.pid)) {
    // A broker from this folder is still starting (or hung): wait for it rather than start a second one.
    return waitUntilAccepting(dir, previous, options.startTimeoutMs ?? 90_000);
  }

  requireTool('java', ['-version'], JAVA_HINT);
  const classpath = resolveClasspath(progress);
  mkdirSync(dir, { recursive: true });
  const dataDir = path.join(dir, 'data');
  const reusable = previous !== undefined && existsSync(path.join(dataDir, 'meta.properties')) && !(await accepts(previous.port)) && !(await accepts(previous.controllerPort));
  const ports = reusable ? { port: previous.port, controllerPort: previous.controllerPort } : { port: await freePort(), controllerPort: await freePort() };
  const properties = writeConfig(dir, ports, options.partitions ?? 4);
  const javaBase = ['-Xmx512m', '-Xms128m', `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`, '-cp', classpath];

  if (!reusable) {
    rmSync(dataDir, { recursive: true, force: true });
    progress(`formatting KRaft storage in ${dataDir}`);
    const uuid = spawnSync('java', [...javaBase, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' });
    const clusterId = uuid.stdout?.trim().split('\n').pop()?.trim();
    if (uuid.status !== 0 || !clusterId) throw new BrokerError(`kafka.tools.StorageTool random-uuid failed: ${uuid.stderr}`);
    const format = spawnSync('java', [...javaBase, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties], { encoding: 'utf8' });
    if (format.status !== 0) throw new BrokerError(`formatting Kafka storage failed: ${format.stdout}${format.stderr}`);
  }

  const log = openSync(logFile(dir), 'a');
  const child = spawn('java', [...javaBase, 'kafka.Kafka', properties], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid === undefined) throw new BrokerError('could not start java');
  child.unref();
  const state: BrokerState = { pid: child.pid, ...ports };
  writeFileSync(stateFile(dir), `${JSON.stringify(state)}\n`);
  progress(`starting Kafka ${KAFKA_VERSION} (pid ${child.pid}) on 127.0.0.1:${ports.port}, log ${logFile(dir)}`);
  return waitUntilAccepting(dir, state, options.startTimeoutMs ?? 90_000);
}

async function waitUntilAccepting(dir: string, state: BrokerState, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(state.pid)) throw new BrokerError(`the Kafka broker exited while starting; last lines of ${logFile(dir)}:\n${tail(logFile(dir))}`);
    // The listener opens once the broker has caught up with the metadata log, so a connection means ready.
    if (await accepts(state.port)) return `127.0.0.1:${state.port}`;
    await sleep(250);
  }
  throw new BrokerError(`the Kafka broker did not accept connections on 127.0.0.1:${state.port} within ${timeoutMs} ms; see ${logFile(dir)}`);
}

/** Stops the broker in `dir` (SIGTERM, then SIGKILL after `graceMs`); true if one was running. */
export async function stopBroker(dir: string = DEFAULT_BROKER_DIR, graceMs = 20_000): Promise<boolean> {
  const state = readState(dir);
  if (!state || !alive(state.pid)) return false;
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(state.pid) && Date.now() < deadline) await sleep(100);
  if (alive(state.pid)) {
    process.kill(state.pid, 'SIGKILL');
    while (alive(state.pid)) await sleep(50);
  }
  return true;
}
