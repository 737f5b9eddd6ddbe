import type { Env } from './types';

export const SENT = 0;
export const RETRY = 1;
export const DROP = 2;
export type Outcome = typeof SENT | typeof RETRY | typeof DROP;


/** Jittered exponential backoff: 1 s, 2 s, 4 s, ... capped at a minute, each 50 to 100% of that. */
export const backoffMs = (attempt: number, rnd: number): number =>
  Math.min(1000 * 2 ** attempt, 60000) * (0.5 + rnd / 2);

/**
 * Posts one body. As text/plain (what the ingest accepts, and a "simple" request: no CORS preflight) unless it
 * carries a token. `beacon` (the page is going away) tries navigator.sendBeacon first, which the browser sends even
 * after the page is gone; a refused beacon falls back to a keepalive fetch.
 */
export const post = async (env: Env, url: string, body: string, token: string | null, beacon: boolean): Promise<Outcome> => {
  try {
    // offline, sendBeacon still says yes and the browser then drops the request: the fetch fails instead, and the
    // events wait on the device for the next page
    if (beacon && !token && env.w.navigator.onLine !== false && env.w.navigator.sendBeacon(url, body)) return SENT;
  } catch {
    /* no sendBeacon, or it threw: fetch below */
  }
  try {
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (token) headers.authorization = 'Bearer ' + token;
    const reply = await env.w.fetch(url, { method: 'POST', body, headers, keepalive: true });
    // Read to its end: until then Chrome counts this body against the 64 KB that keepalive requests in flight may
    // hold, and fails the next big one as a network error.
    await reply.text();
    // retried only when the server asks for it (429, 503) or nothing came back at all (the catch below)
    return reply.ok ? SENT : reply.status == 429 || reply.status == 503 ? RETRY : DROP;
  } catch {
    return RETRY;
  }
};
