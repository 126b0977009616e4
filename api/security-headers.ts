// Security headers on every response (helmet's defaults: nosniff, Referrer-Policy, HSTS, a CSP
// of 'self' that also serves Swagger UI at /docs, …). Routes with stricter needs set their own
// after this runs: every /ops response forbids framing (no-framing.ts), the ops page has its own CSP.
import helmet from 'helmet';

export const securityHeaders = helmet({
  contentSecurityPolicy: {
    // The service is often reached over plain HTTP (locally, or behind a TLS-terminating proxy
    // that forwards http): upgrading its pages' subresources to https would break /docs there.
    directives: { upgradeInsecureRequests: null },
  },
});
