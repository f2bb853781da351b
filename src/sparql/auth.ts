/**
 * Who may write: a bearer token (RFC 6750) compared with the configured one in constant time, as
 * SHA-256 digests so that neither the length nor the content of the token leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ForbiddenHttpError, UnauthorizedHttpError } from '../errors.js';

const REALM = 'cdg-writes';

/**
 * Checks a request's `Authorization` header against the write token.
 * @param authorization - the header, if any
 * @param tokenSha256 - hex SHA-256 of the configured token; empty when writes are disabled
 * @throws ForbiddenHttpError (403) when writes are disabled or the token is wrong
 * @throws UnauthorizedHttpError (401, with `WWW-Authenticate: Bearer`) when no bearer token is sent
 */
export function authorizeWrite(authorization: string | undefined, tokenSha256: string): void {
  if (tokenSha256 === '') {
    throw new ForbiddenHttpError(
      'Writes are disabled on this server: the public endpoint is read-only. ' +
        'The operator enables them by setting a write token (CDG_WRITE_TOKEN).',
    );
  }
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/iu.exec(authorization ?? '');
  if (m === null) {
    const malformed = authorization !== undefined && authorization !== '';
    throw new UnauthorizedHttpError(
      malformed
        ? 'Send the write token as "Authorization: Bearer <token>".'
        : 'Writes need a bearer token: send "Authorization: Bearer <token>".',
      malformed ? `Bearer realm="${REALM}", error="invalid_request"` : `Bearer realm="${REALM}"`,
    );
  }
  const given = createHash('sha256').update(m[1]!, 'utf8').digest();
  const expected = Buffer.from(tokenSha256, 'hex');
  if (expected.length !== given.length || !timingSafeEqual(given, expected)) {
    throw new ForbiddenHttpError('The bearer token is not valid for writes.');
  }
}
