// GET /metrics: the Prometheus text exposition of this process. Open by default
// (scrapers on a private network rarely carry secrets); with METRICS_TOKEN set, a
// scraper sends it as a bearer token (Prometheus `authorization: credentials:`)
// or as the Basic password. Never the admin token: a scraper should not hold it.
import { Router, type RequestHandler } from 'express';
import { requireToken } from '../authorize.js';

export type MetricsSource = { exposition(): Promise<{ contentType: string; body: string }> };

export function metricsRoutes(metrics: MetricsSource, token?: string): Router {
  const guard: RequestHandler[] = token ? [requireToken(token, { what: 'the metrics token' })] : [];
  return Router().get('/metrics', ...guard, async (_req, res) => {
    const { contentType, body } = await metrics.exposition();
    // A scrape is a reading of now: no cache may answer for the next one.
    res.setHeader('Cache-Control', 'no-store');
    res.type(contentType).send(body);
  });
}
