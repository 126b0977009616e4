// Where a subscription may point: http(s) only, no credentials in the URL (they would be
// shown in lists and logs; the signature is how a subscriber authenticates us).

export const MAX_URL_LENGTH = 2048;

/** What is wrong with `url` as a webhook endpoint, or undefined when it will do. */
export function subscriptionUrlProblem(url: string): string | undefined {
  if (url.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (parsed.username !== '' || parsed.password !== '') return 'must not contain credentials (user:password@): subscribers verify the signature instead';
  if (parsed.hash !== '') return 'must not contain a fragment (#…)';
  return undefined;
}
