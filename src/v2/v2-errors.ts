import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayError } from '../errors.js';
import { toGatewayError } from '../http/error-handler.js';

/** The error's stable code, beside the spec's `{"error": message}` body (which has no room for it). */
export const ERROR_CODE_HEADER = 'x-error-code';

/**
 * The V2 front door's HTTP status for each error code: the one place codes
 * become statuses here. An unknown code is a server fault (500).
 */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  GW_ERR_VALIDATION: 400,
  GW_ERR_INVALID_JSON: 400,
  GW_ERR_BAD_REQUEST: 400,
  GW_ERR_EMPTY_RECORD: 400,
  GW_ERR_UNAUTHORIZED: 401,
  GW_ERR_NOT_FOUND: 404,
  GW_ERR_RELOAD_IN_PROGRESS: 409,
  GW_ERR_PAYLOAD_TOO_LARGE: 413,
  GW_ERR_TOO_MANY_ROWS: 413,
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  GW_ERR_RELOAD_FAILED: 422,
  GW_ERR_MODEL: 500,
  GW_ERR_POISON_ROW: 500,
  GW_ERR_PROTOCOL: 500,
  GW_ERR_INTERNAL: 500,
  GW_ERR_CONFIG: 500,
  GW_ERR_MANIFEST: 500,
  GW_ERR_PREPARE: 500,
  GW_ERR_QUEUE_FULL: 503,
  GW_ERR_OVERLOADED: 503,
  GW_ERR_NOT_READY: 503,
  GW_ERR_SHUTTING_DOWN: 503,
  GW_ERR_WORKER_EXITED: 503,
  GW_ERR_BATCH_TIMEOUT: 503,
  GW_ERR_WORKER_START: 503,
  GW_ERR_KAFKA: 503,
  GW_ERR_DEADLINE_EXCEEDED: 504,
};

/** Statuses that tell the client to come back: they always carry `Retry-After`. */
const RETRY_STATUSES = new Set([503]);

export function v2Status(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/** Seconds to wait before retrying: the error's own figure where it has one (e.g. the predicted wait), else 1. */
function retryAfterSeconds(error: GatewayError): number {
  const own = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof own === 'number' && own > 0 ? own : 1;
}

/**
 * The V2 routes' error handler: `{"error": "<message>"}` with the status of
 * the error's code, `Retry-After` on 503, the code in `x-error-code`.
 */
export function v2ErrorHandler(bodyLimit: number) {
  return function handle(this: unknown, error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const gatewayError = toGatewayError(error, bodyLimit);
    const status = v2Status(gatewayError.code);
    if (status >= 500 && status !== 503 && status !== 504) {
      request.log.error({ err: error, code: gatewayError.code }, gatewayError.message);
    } else {
      request.log.debug({ code: gatewayError.code }, gatewayError.message);
    }
    if (RETRY_STATUSES.has(status)) reply.header('retry-after', String(retryAfterSeconds(gatewayError)));
    return reply
      .code(status)
      .header(ERROR_CODE_HEADER, gatewayError.code)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ error: gatewayError.message }));
  };
}
