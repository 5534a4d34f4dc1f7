import { BadHttpRequestError, type BadHttpReason, type ErrorCode, type GatewayError } from '../errors.js';

/**
 * The HTTP status of every error code: the only place a code meets HTTP.
 * Typed as a full record so that a new code cannot ship without its status.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  GW_ERR_CONFIG: 500,
  GW_ERR_MANIFEST: 500,
  GW_ERR_PREPARE: 500,
  GW_ERR_VALIDATION: 400,
  GW_ERR_INVALID_JSON: 400,
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  GW_ERR_PAYLOAD_TOO_LARGE: 413,
  GW_ERR_TOO_MANY_ROWS: 413,
  GW_ERR_BAD_REQUEST: 400,
  GW_ERR_NOT_FOUND: 404,
  GW_ERR_METHOD_NOT_ALLOWED: 405,
  GW_ERR_MODEL_NOT_FOUND: 404,
  GW_ERR_EMPTY_RECORD: 400,
  GW_ERR_QUEUE_FULL: 503,
  GW_ERR_OVERLOADED: 503,
  GW_ERR_NOT_READY: 503,
  GW_ERR_SHUTTING_DOWN: 503,
  GW_ERR_DEADLINE_EXCEEDED: 504,
  GW_ERR_MODEL: 500,
  GW_ERR_WORKER_EXITED: 503,
  GW_ERR_BATCH_TIMEOUT: 503,
  GW_ERR_POISON_ROW: 500,
  GW_ERR_WORKER_START: 503,
  GW_ERR_PROTOCOL: 500,
  GW_ERR_UNAUTHORIZED: 401,
  GW_ERR_RELOAD_FAILED: 422,
  GW_ERR_LOAD_FAILED: 422,
  GW_ERR_RELOAD_IN_PROGRESS: 409,
  GW_ERR_KAFKA: 503,
  GW_ERR_INTERNAL: 500,
};

const BAD_REQUEST_STATUS: Readonly<Record<BadHttpReason, 400 | 408 | 417 | 431>> = { malformed: 400, timeout: 408, headers_too_large: 431, expectation_failed: 417 };

/** The status an error is answered with over HTTP. */
export function httpStatusOf(error: GatewayError): number {
  if (error instanceof BadHttpRequestError) return BAD_REQUEST_STATUS[error.reason];
  return HTTP_STATUS[error.code];
}
