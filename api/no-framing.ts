// The operators' pages (the ops page, Bull Board) have buttons that change things: no
// other site may show them in a frame and trick an operator into clicking (clickjacking).
// Sent on every /ops response, JSON, assets and errors included: one rule, no exception to forget.
import type { RequestHandler } from 'express';

export const FRAME_ANCESTORS_NONE = "frame-ancestors 'none'";

/** X-Frame-Options for old browsers, CSP frame-ancestors for the rest; a page with its own CSP keeps `frame-ancestors 'none'` in it. */
export const noFraming: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', FRAME_ANCESTORS_NONE);
  next();
};
