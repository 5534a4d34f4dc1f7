import { ValidationError } from '../errors.js';
import { requestBudget, type RequestBudget } from '../registry/request-budget.js';

export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout';
const DIGITS = /^[0-9]{1,16}$/;

export interface DeadlineLimits {
  /** The deadline of a request that names none. */
  readonly defaultTimeoutMs: number;
  /** The longest deadline a request may ask for. */
  readonly maxTimeoutMs: number;
}

/**
 * The deadline and admission budget of an HTTP request, read once from its
 * `x-request-timeout` header (whole milliseconds); throws
 * {@link ValidationError} naming the header when it is not one.
 */
export function requestDeadline(headers: Readonly<Record<string, string | string[] | undefined>>, limits: DeadlineLimits): RequestBudget {
  const value = headers[REQUEST_TIMEOUT_HEADER];
  if (value === undefined) return requestBudget('interactive', undefined, limits.defaultTimeoutMs);
  // Only plain digits: Number() would also take '0x10', '1e3' and '' (as 0).
  if (typeof value !== 'string' || !DIGITS.test(value)) throw invalid(`must be a whole number of milliseconds from 1 to ${limits.maxTimeoutMs}`);
  const ms = Number(value);
  if (ms < 1) throw invalid('must be >= 1');
  if (ms > limits.maxTimeoutMs) throw invalid(`must be <= ${limits.maxTimeoutMs}`);
  return requestBudget('interactive', ms, limits.defaultTimeoutMs);
}

function invalid(reason: string): ValidationError {
  return new ValidationError([{ field: `header ${REQUEST_TIMEOUT_HEADER}`, reason }]);
}
