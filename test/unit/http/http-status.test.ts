import { describe, expect, it } from 'vitest';
import { BadHttpRequestError, ERROR_CODE_LIST, ERROR_CODES, ModelNotFoundError, OverloadedError, ValidationError } from '../../../src/errors.js';
import { HTTP_STATUS, httpStatusOf } from '../../../src/http/http-status.js';

describe('HTTP status of each error code', () => {
  it('maps every code, retriable ones to 503 (retry later) and the rest to a 4xx or 500', () => {
    for (const code of ERROR_CODE_LIST) {
      const status = HTTP_STATUS[code];
      if (ERROR_CODES[code].retriable) expect([503, 409], code).toContain(status);
      else expect(status >= 400 && status < 600 && status !== 503, code).toBe(true);
    }
  });

  it('answers by code, and an unreadable HTTP request by why it was refused', () => {
    expect(httpStatusOf(new ValidationError([{ field: 'x', reason: 'is required' }]))).toBe(400);
    expect(httpStatusOf(new ModelNotFoundError('nope'))).toBe(404);
    expect(httpStatusOf(new OverloadedError(200, 100))).toBe(503);
    expect(httpStatusOf(new BadHttpRequestError('slow', 'timeout'))).toBe(408);
    expect(httpStatusOf(new BadHttpRequestError('big', 'headers_too_large'))).toBe(431);
  });
});
