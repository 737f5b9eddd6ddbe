/** A visit: a new one after `timeoutMs` without activity, or when the visitor arrives from a new campaign. */
export interface Session {
  /** session id */
  i: string;
  /** 1 for the visitor's first session, then 2, 3, ... */
  n: number;
  /** last activity, epoch ms */
  t: number;
  /** the campaign (utm_source|utm_medium|utm_campaign) the session came from, '' for none */
  c: string;
}

export const SESSION_KEY = '_cs_s';

/** The campaign a URL names in its query, or '' when it has no UTM parameters. */
export const campaignOf = (url: string): string => {
  try {
    const q = new URL(url).searchParams;
    const key = ['source', 'medium', 'campaign'].map((k) => q.get('utm_' + k) || '').join('|');
    return key == '||' ? '' : key;
  } catch {
    return '';
  }
};

export const readSession = (raw: string | null): Session | null => {
  try {
    const s = raw ? JSON.parse(raw) : null;
    return s && s.i && s.n > 0 ? s : null;
  } catch {
    return null;
  }
};

/** The session an activity at `now` belongs to: the current one, or the next one when it has lapsed. */
export const touch = (prev: Session | null, now: number, timeoutMs: number, campaign: string, make: () => string): Session => {
  if (prev && now - prev.t <= timeoutMs && (!campaign || campaign == prev.c))
    return { i: prev.i, n: prev.n, t: now, c: prev.c };
  return { i: make(), n: prev ? prev.n + 1 : 1, t: now, c: campaign };
};
