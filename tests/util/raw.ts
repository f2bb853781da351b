/**
 * Raw HTTP over a socket, for requests no well-behaved client library would send: malformed paths,
 * raw bytes, header floods, partial requests.
 */
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/** Splits a complete HTTP/1.1 response into status, head and body. */
export function parseRaw(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/u.exec(head)?.[1] ?? 0);
  return { status, head, body: end === -1 ? '' : text.slice(end + 4) };
}

/**
 * Sends bytes as they are and reads until the server closes the connection (send
 * `Connection: close`).
 * @param url - the server's base URL (host and port are used)
 * @param bytes - the whole request, head and body
 * @param timeoutMs - give up (reject) after this long
 */
export function rawRequest(
  url: string,
  bytes: string | Buffer,
  timeoutMs = 20_000,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      // A reset after the response was read is still an answer.
      clearTimeout(timer);
      if (chunks.length > 0) resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
    });
    socket.write(bytes);
  });
}

/**
 * A POST with a body sent byte for byte (no client library re-encoding it), `Connection: close`.
 * @param target - the request target
 * @param type - the Content-Type header's value
 * @param body - the body's bytes
 * @param headers - extra header lines
 */
export function rawPost(
  target: string,
  type: string,
  body: Buffer,
  headers: readonly string[] = [],
): Buffer {
  const head = [
    `POST ${target} HTTP/1.1`,
    'Host: localhost',
    'Connection: close',
    `Content-Type: ${type}`,
    `Content-Length: ${body.length}`,
    ...headers,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * A GET request line and headers, ending the head, with `Connection: close`.
 * @param target - the request target exactly as sent (not encoded)
 * @param headers - extra header lines
 */
export function rawGet(target: string, headers: readonly string[] = []): string {
  return [
    `GET ${target} HTTP/1.1`,
    'Host: localhost',
    'Connection: close',
    ...headers,
    '',
    '',
  ].join('\r\n');
}
