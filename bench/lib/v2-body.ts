import type { Row } from '../../src/model/row-schema.js';
import { v2Request } from './systems/v2-request.js';

/** The gateway's Open Inference Protocol route for the census model. */
export const GATEWAY_V2_PATH = '/v2/models/census-income/infer';

/**
 * Census rows as a V2 request to the gateway: the very inputs MLServer is
 * sent (one tensor per column, `content_type: "pd"`), so a comparison of
 * the two is on the same bytes in, and no `outputs`, so the gateway answers
 * both of its outputs (`probability`, `income`) as `/predict` does.
 */
export function gatewayV2Body(rows: readonly Row[]): Buffer {
  const { outputs: _mlserverOutputs, ...request } = v2Request(rows) as { outputs?: unknown } & Record<string, unknown>;
  return Buffer.from(JSON.stringify(request));
}
