import type { GatewayProcessOptions } from '../gateway-process.js';
import { startCeiling } from './ceiling.js';
import { startGatewayOnnxSystem, startGatewaySystem, startGatewayV2System } from './gateway.js';
import { setupMlserver, startMlserver, type MlserverTuning } from './mlserver.js';
import { setupNaive, startNaive } from './naive.js';
import type { RunningSystem, SystemName } from './system.js';

export interface SystemOptions {
  readonly gateway?: GatewayProcessOptions;
  readonly mlserver?: MlserverTuning;
}

export function startSystem(name: SystemName, options: SystemOptions = {}): Promise<RunningSystem> {
  switch (name) {
    case 'gateway':
      return startGatewaySystem(options.gateway);
    case 'gateway-v2':
      return startGatewayV2System(options.gateway);
    case 'gateway-onnx':
      return startGatewayOnnxSystem(options.gateway);
    case 'mlserver':
      return startMlserver(options.mlserver);
    case 'naive':
      return startNaive();
    case 'ceiling':
      return startCeiling();
  }
}

/** Installs what the Python peers need before anything is measured, so setup time and output stay out of the runs. */
export async function setupSystems(names: readonly SystemName[]): Promise<void> {
  if (names.includes('naive')) await setupNaive();
  if (names.includes('mlserver')) await setupMlserver();
}

/** Starts a system, runs `body` against it, and always stops it. */
export async function withSystem<T>(name: SystemName, options: SystemOptions, body: (system: RunningSystem) => Promise<T>): Promise<T> {
  process.stderr.write(`bench: starting ${name}\n`);
  const system = await startSystem(name, options);
  try {
    return await body(system);
  } finally {
    const how = await system.stop();
    if (how !== 'exit 0' && how !== 'signal SIGTERM') process.stderr.write(`bench: ${name} ended with ${how} after SIGTERM\n`);
  }
}
