import { Router } from 'express';
import type { Database } from '../../infra/database.js';

const READY_TIMEOUT_MS = 2_000;

export function healthRoutes(db: Database): Router {
  return Router()
    .get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    })
    .get('/ready', async (_req, res) => {
      try {
        await Promise.race([
          db.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('database ping timed out')), READY_TIMEOUT_MS).unref()),
        ]);
        res.json({ status: 'ready', database: db.kind });
      } catch {
        res.status(503).json({ status: 'unavailable', database: db.kind });
      }
    });
}
