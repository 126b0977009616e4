// One JSON POST over node:http(s), for the integrations' outgoing calls (today the
// sandbox's webhook callbacks). Not fetch:
// fetch refuses the ports browsers block (4190, 6000, 6665-6669, 10080…) with a
// bare "fetch failed", and this service calls itself on whatever PORT it was given.
// Redirects are never followed: a 3xx comes back as its status, like any non-2xx.
// guardedPostJson (the events' webhooks) connects only to addresses the address rules allow.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { literalAddress, notAllowedMessage, refusedAddressReason, systemResolve, type Resolve } from '../../domain/events/address-rules.js';

export type PostJson = (url: string, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<number>;
type Guard = { allowPrivate: boolean; agents: { http: HttpAgent; https: HttpsAgent } };

/**
 * Sends `body` and reads the whole answer within `timeoutMs`; resolves with the
 * status code. A network error, a timeout or an answer cut short rejects, with
 * the cause (message and code) in the error's message, where logs and job
 * histories show it.
 */
export function postJson(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  return send(url, headers, body, timeoutMs);
}

/**
 * A resolver for sockets that hands over only addresses the rules allow, and fails the
 * connection with "address … is not allowed" when any address of the name is refused:
 * resolved, checked and connected to in one step, so a name that changes its answer
 * (DNS rebinding) cannot slip an unchecked address in between.
 */
function checkedLookup(allowPrivate: boolean, resolve: Resolve): LookupFunction {
  return (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    resolve(hostname).then(
      (found) => {
        const refused = found.map((a) => ({ a, reason: refusedAddressReason(a.address, allowPrivate) })).find((r) => r.reason !== undefined);
        if (refused) return callback(new Error(notAllowedMessage(refused.a.address, refused.reason!)), '');
        const wanted = found.filter((a) => !options.family || a.family === options.family);
        if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
        if (options.all) callback(null, wanted);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

/**
 * postJson for URLs that callers chose (webhook subscriptions): connects only to addresses
 * the address rules allow (domain/events/address-rules.ts), checked at every connection. Its
 * own agents, so that it never reuses a connection the unguarded postJson opened.
 */
export function guardedPostJson({ allowPrivate, resolve = systemResolve }: { allowPrivate: boolean; resolve?: Resolve }): PostJson {
  const lookup = checkedLookup(allowPrivate, resolve);
  const guard: Guard = { allowPrivate, agents: { http: new HttpAgent({ keepAlive: true, lookup }), https: new HttpsAgent({ keepAlive: true, lookup }) } };
  return (url, headers, body, timeoutMs) => send(url, headers, body, timeoutMs, guard);
}

function send(url: string, headers: Record<string, string>, body: string, timeoutMs: number, guard?: Guard): Promise<number> {
  const target = new URL(url);
  const where = `POST ${target.origin}${target.pathname}`; // no credentials or query in logs
  const request = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
  if (!request) return Promise.reject(new Error(`${where}: only http and https URLs are supported`));
  // An address written in the URL is connected to without a lookup: checked here.
  const literal = guard && literalAddress(target.hostname);
  const refused = literal && refusedAddressReason(literal, guard.allowPrivate);
  if (literal && refused) return Promise.reject(new Error(`${where} failed: ${notAllowedMessage(literal, refused)}`));
  const agent = guard && (target.protocol === 'https:' ? guard.agents.https : guard.agents.http);
  return new Promise<number>((resolve, reject) => {
    const fail = (err: Error) => {
      clearTimeout(timer);
      req.destroy();
      const code = (err as NodeJS.ErrnoException).code;
      reject(new Error(`${where} failed: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`, { cause: err }));
    };
    const req = request(
      target,
      {
        method: 'POST',
        ...(agent ? { agent } : {}),
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      },
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
