// The mapping from the daemon's error answers to classes; pure, no daemon needed.
import { describe, expect, it } from 'vitest';

import { errorFromResponse } from '../src/errors.js';
import {
  APIError,
  NotFoundError,
  QuotaExceededError,
  ServiceUnavailableError,
  type ExecResult,
} from '../src/index.js';

const noResult = (): ExecResult => {
  throw new Error('not an exec answer');
};

describe('errorFromResponse', () => {
  it('gives each status its class, with status, code and message', () => {
    const cases: [number, string, new (...args: never[]) => APIError][] = [
      [404, 'SESSION_NOT_FOUND', NotFoundError],
      [429, 'QUOTA_EXCEEDED', QuotaExceededError],
      [503, 'UNAVAILABLE', ServiceUnavailableError],
    ];
    for (const [status, code, cls] of cases) {
      const e = errorFromResponse(status, JSON.stringify({ error: 'what happened', code }), noResult);
      expect(e).toBeInstanceOf(cls);
      expect(e).toMatchObject({ status, code });
      expect(e.message).toContain('what happened');
    }
  });

  it('leaves a status without a class of its own as a plain APIError', () => {
    const e = errorFromResponse(418, '{"error":"teapot","code":"TEAPOT"}', noResult);
    expect(e.constructor).toBe(APIError);
  });
});
