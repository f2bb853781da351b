import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isHttpError } from '../../../src/errors.js';
import { authorizeWrite } from '../../../src/sparql/auth.js';

const TOKEN = 'a-long-enough-write-token-123';
const DIGEST = createHash('sha256').update(TOKEN).digest('hex');

function outcome(header: string | undefined, digest = DIGEST): [number, Record<string, string>] {
  try {
    authorizeWrite(header, digest);
    return [200, {}];
  } catch (error) {
    if (isHttpError(error)) return [error.statusCode, error.headers];
    throw error;
  }
}

describe('authorizeWrite', () => {
  it('lets the right bearer token through, whatever the case of the scheme', () => {
    expect(outcome(`Bearer ${TOKEN}`)[0]).toBe(200);
    expect(outcome(`bearer ${TOKEN}`)[0]).toBe(200);
  });

  it('asks for a bearer token with 401 and WWW-Authenticate', () => {
    const [status, headers] = outcome(undefined);
    expect(status).toBe(401);
    expect(headers['WWW-Authenticate']).toBe('Bearer realm="cdg-writes"');
    const [basic, basicHeaders] = outcome('Basic dXNlcjpwYXNz');
    expect(basic).toBe(401);
    expect(basicHeaders['WWW-Authenticate']).toMatch(/error="invalid_request"/);
  });

  it('refuses a wrong token with 403, including a prefix or extension of the right one', () => {
    for (const wrong of ['nope', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase()]) {
      expect(outcome(`Bearer ${wrong}`)[0]).toBe(403);
    }
  });

  it('refuses every write with 403 when no token is configured', () => {
    expect(outcome(`Bearer ${TOKEN}`, '')[0]).toBe(403);
    expect(outcome(undefined, '')[0]).toBe(403);
  });
});
