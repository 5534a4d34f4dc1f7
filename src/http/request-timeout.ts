import { z } from 'zod';
import { formatIssues } from '../config/format-issues.js';
import { ValidationError } from '../errors.js';

export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout';
const DIGITS = /^[0-9]{1,16}$/;

/** The `x-request-timeout` header as documented: whole milliseconds from 1 to `maxTimeoutMs`. */
export function requestTimeoutSchema(maxTimeoutMs: number) {
  return z.coerce
    .number()
    .int()
    .min(1)
    .max(maxTimeoutMs)
    .optional()
    .describe('Deadline in milliseconds: rows not sent to the model by then are dropped and answered with 504');
}

/** Parses the header's raw value; `undefined` when the caller sent none. */
export function parseRequestTimeout(value: unknown, maxTimeoutMs: number): { value: number | undefined } | { error: ValidationError } {
  if (value === undefined) return { value: undefined };
  // Only plain digits: Number() would also take '0x10', '1e3' and '' (as 0).
  if (typeof value !== 'string' || !DIGITS.test(value)) {
    return { error: new ValidationError([{ field: `header ${REQUEST_TIMEOUT_HEADER}`, reason: `must be a whole number of milliseconds from 1 to ${maxTimeoutMs}` }]) };
  }
  const parsed = requestTimeoutSchema(maxTimeoutMs).safeParse(value);
  if (parsed.success) return { value: parsed.data };
  return { error: new ValidationError(formatIssues(parsed.error.issues).map((i) => ({ field: `header ${REQUEST_TIMEOUT_HEADER}`, reason: i.reason }))) };
}

/**
 * The deadline and admission bound of one request, from its header. A
 * caller that sets its own deadline will wait that long: it is admitted up
 * to it, not up to the latency objective.
 */
export function requestDeadline(timeoutMs: number | undefined, defaultTimeoutMs: number): { timeoutMs: number; maxWaitMs: number | undefined } {
  return timeoutMs === undefined ? { timeoutMs: defaultTimeoutMs, maxWaitMs: undefined } : { timeoutMs, maxWaitMs: timeoutMs };
}
