// One JSON POST over node:http(s), for the integrations' outgoing calls (today the
// sandbox's webhook callbacks). Not fetch:
// fetch refuses the ports browsers block (4190, 6000, 6665-6669, 10080…) with a
// bare "fetch failed", and this service calls itself on whatever PORT it was given.
// Redirects are never followed: a 3xx comes back as its status, like any non-2xx.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * Sends `body` and reads the whole answer within `timeoutMs`; resolves with the
 * status code. A network error, a timeout or an answer cut short rejects, with
 * the cause (message and code) in the error's message, where logs and job
 * histories show it.
 */
export function postJson(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  const target = new URL(url);
  const where = `POST ${target.origin}${target.pathname}`; // no credentials or query in logs
  const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
  if (!send) return Promise.reject(new Error(`${where}: only http and https URLs are supported`));
  return new Promise<number>((resolve, reject) => {
    const fail = (err: Error) => {
      clearTimeout(timer);
      req.destroy();
      const code = (err as NodeJS.ErrnoException).code;
      reject(new Error(`${where} failed: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`, { cause: err }));
    };
    const req = send(
      target,
      { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } },
      (res: IncomingMessage) => {
        res.on('error', fail);
        // 'end' comes only once the answer is complete; 'close' without it means it was cut short.
        res.on('end', () => {
          clearTimeout(timer);
          resolve(res.statusCode ?? 0);
        });
        res.on('close', () => {
          if (!res.complete) fail(new Error('the connection closed before the whole answer arrived'));
        });
        res.resume(); // drain, so the connection can be reused
      },
    );
    const timer = setTimeout(() => fail(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', fail);
    req.end(body);
  });
}
