import { startGateway, type GatewayProcessOptions } from '../gateway-process.js';
import { CENSUS_ONNX_DIR } from '../raw-onnx-time.js';
import { GATEWAY_V2_PATH, gatewayV2Body } from '../v2-body.js';
import type { RunningSystem } from './system.js';

/** This project: the compiled gateway, single rows as JSON objects, several as `{"instances": [...]}`. */
export async function startGatewaySystem(options: GatewayProcessOptions = {}): Promise<RunningSystem> {
  const gateway = await startGateway(options);
  return {
    name: 'gateway',
    url: gateway.url,
    path: '/predict',
    pid: gateway.pid,
    body: (rows) => Buffer.from(JSON.stringify(rows.length === 1 ? rows[0] : { instances: rows })),
    settings: { ...options },
    logTail: (n = 20) => gateway.logLines.slice(-n).join('\n'),
    stop: () => gateway.stop(),
  };
}

/** The same gateway driven through its Open Inference Protocol route, with the very request MLServer is sent. */
export async function startGatewayV2System(options: GatewayProcessOptions = {}): Promise<RunningSystem> {
  const gateway = await startGatewaySystem(options);
  return { ...gateway, name: 'gateway-v2', path: GATEWAY_V2_PATH, body: gatewayV2Body };
}

/** The same gateway serving the census pipeline's ONNX export (models/census-income-onnx) on worker threads: same rows, same /predict. */
export async function startGatewayOnnxSystem(options: GatewayProcessOptions = {}): Promise<RunningSystem> {
  const gateway = await startGatewaySystem({ ...options, modelDir: CENSUS_ONNX_DIR });
  return { ...gateway, name: 'gateway-onnx' };
}
