import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { GatewayError } from '../errors.js';
import { requestDeadline, type DeadlineLimits } from './request-deadline.js';

/** A model as the hook sees it: a `PredictingModel` or a `V2Model`. */
export interface Admitting {
  refusalOf(rows: number, maxWaitMs: number | undefined): GatewayError | undefined;
}

/**
 * An `onRequest` hook for a predict route: a request its model would refuse
 * whatever its rows (overloaded, queue full, not ready, shutting down) is
 * answered before its body is read. Past capacity most requests are refused,
 * and reading, parsing and validating each body only to refuse it took CPU
 * from the workers on shared cores: 32-row requests at twice their closed
 * loop were refused at p50 4–8 ms before and 0.6–1.5 ms since, and 60–81 %
 * of the closed loop's goodput became 68–91 % (bench/RESULTS.md, "Issue 14:
 * refusing before the body is read").
 *
 * It asks admission about one row: admission only grows stricter with more
 * rows, so nothing refused here would have been taken after the body was read.
 * A request it lets through is checked again, with its real rows, by the
 * handler. What it cannot judge yet (an unknown model, a malformed header) is
 * left to the handler, which answers it as before. The error handler keeps
 * the connection open while Node discards the unread body.
 */
export function refuseBeforeBody(modelOf: (request: FastifyRequest) => Admitting, limits: DeadlineLimits): onRequestAsyncHookHandler {
  return async (request) => {
    let model: Admitting;
    let maxWaitMs: number | undefined;
    try {
      model = modelOf(request);
      maxWaitMs = requestDeadline(request.headers, limits).maxWaitMs;
    } catch {
      return;
    }
    const refusal = model.refusalOf(1, maxWaitMs);
    if (refusal) throw refusal;
  };
}
