import { OPT_OUT_KEY, excluded } from './consent';
import { CLIENT_KEY, uuid } from './ids';
import { cleanOrder, cleanProduct, flatProps } from './props';
import { nextBatch, push, without } from './queue';
import { SESSION_KEY, type Session, campaignOf, readSession, touch } from './session';
import { storage } from './storage';
import { RETRY, backoffMs, post } from './transport';
import { watchHistory } from './spa';
import type { Cart, ConsentState, Env, Options, Order, Product, Props, WireEvent } from './types';

export const QUEUE_KEY = '_cs_q';
/** Events sent at once rather than batched: losing them costs the most. */
const KEY_EVENT = /^(purchase|login|sign_up)$/;

export interface Stats {
  /** events waiting to be sent (persisted; only in memory while consent is pending) */
  queued: number;
  /** events dropped because the queue was full (oldest first) */
  dropped: number;
  /** events dropped because no request could hold them (over 64 KB alone) or could not be serialised */
  oversize: number;
}

export interface Tracker {
  page(props?: Props): void;
  track(eventName: string, props?: Props): void;
  viewProduct(product: Product): void;
  addToCart(product: Product, quantity?: number): void;
  removeFromCart(product: Product, quantity?: number): void;
  beginCheckout(cart?: Cart): void;
  purchase(order: Order): void;
  search(query: string): void;
  identify(userId: string, options?: { idToken?: string }): void;
  consent(state: 'granted' | 'denied'): void;
  optOut(): void;
  optIn(): void;
  flush(): Promise<void>;
  stats(): Stats;
}

/**
 * The tracker over an environment (the browser, or fakes in tests). Its methods may throw on arguments of the wrong
 * shape: `guard` (api.ts) is what the host page gets.
 *
 * Consent: while it is pending, events are stamped and queued in memory only; the ids may be read from the device
 * (an earlier visit's), but nothing is written to it until consent is granted, when ids and queue are persisted
 * and sent. Denied (or opted out), nothing is recorded, and the queue and ids are cleared from memory and device.
 */
export const createCore = (options: Options, env: Env): Tracker => {
  const batchSize = options.batchSize || 10;
  const intervalMs = options.flushIntervalMs || 5000;
  const timeoutMs = (options.sessionTimeoutMinutes || 30) * 60000;
  const cap = options.maxQueue || 500;
  const endpoint = options.endpoint;
  const store = storage(env, options.cookieDomain);
  const make = (): string => uuid(env);
  const { now = Date.now, rnd = Math.random, st = setTimeout, ct = clearTimeout } = env;
  const iso = (t: number): string => new Date(t).toISOString();

  let state: ConsentState = options.consent || 'granted';
  let queue: WireEvent[] = [];
  const stats = { dropped: 0, oversize: 0 };
  let userId: string | undefined;
  let token: string | null = null;
  let cid: string | null = null;
  let session: Session | null = null;
  let timer: unknown = null;
  let attempt = 0;
  let retryAt = 0;
  let inflight: Promise<void> | null = null;
  // Events posted and not answered yet. Every post is a keepalive request, which outlives the page, so a beacon at
  // pagehide leaves them out instead of sending them twice; unanswered, they stay queued on the device.
  let sending: WireEvent[] = [];
  let lastUrl = '';
  let referrer = '';

  const off = (): boolean => state == 'denied' || excluded(env, options) || !!store.get(OPT_OUT_KEY);
  const granted = (): boolean => state == 'granted' && !off();

  /** Writes ids and queue to the device, once that is allowed. */
  const save = (): void => {
    if (granted()) {
      if (cid) store.set(CLIENT_KEY, cid);
      if (session) store.set(SESSION_KEY, JSON.stringify(session));
      store.set(QUEUE_KEY, JSON.stringify(queue), true);
    }
  };
  const forget = (): void => {
    for (const k of [CLIENT_KEY, SESSION_KEY, QUEUE_KEY]) store.del(k);
    queue = [];
    cid = null;
    session = null;
  };

  /** Takes back what an earlier page left unsent (only once the device may be used). */
  const restore = (): void => {
    if (!granted()) return;
    try {
      const saved = JSON.parse(store.get(QUEUE_KEY, true) || '[]');
      if (Array.isArray(saved)) queue = saved.concat(queue).slice(-cap);
    } catch {
      /* an unreadable queue is dropped */
    }
    save();
    if (queue.length) schedule(0);
  };

  const schedule = (ms: number): void => {
    if (timer == null)
      timer = st(() => {
        timer = null;
        flush();
      }, ms);
  };

  /** The page's URL, or '' on a page without one. */
  const here = (): string => {
    try {
      return String(env.w.location.href);
    } catch {
      return '';
    }
  };

  const record = (eventName: string, fields: Partial<WireEvent>, props?: unknown): void => {
    if (off()) return;
    let pageTitle = '';
    try {
      pageTitle = String(env.w.document.title).slice(0, 512);
    } catch {
      /* a page without a title still sends the event */
    }
    const at = now();
    const pageUrl = here().slice(0, 2048);
    // The device's copies first (another tab may have moved the session on), memory when there are none (consent
    // pending, storage failing). The id survives in either copy (localStorage, cookie); save() writes both back.
    cid = store.get(CLIENT_KEY) || cid || make();
    session = touch(readSession(store.get(SESSION_KEY)) || session, at, timeoutMs, campaignOf(pageUrl), make);
    const event: WireEvent = {
      eventName,
      eventId: make(),
      eventTimestamp: iso(at),
      schemaVersion: '1.0',
      clientId: cid,
      sessionId: session.i,
      isFirstVisit: session.n == 1,
      // userLoginState is left to the ingest: logged_in only with a verified token, guest otherwise
      userId,
      pageUrl,
      pageTitle,
      referrer: referrer.slice(0, 2048),
      ...fields,
      properties: { ...flatProps(props, options.appId ? { appId: options.appId } : undefined), sessionIndex: session.n },
    };
    stats.dropped += push(queue, event, cap);
    save();
    if (KEY_EVENT.test(eventName) || queue.length >= batchSize) flush();
    else schedule(intervalMs);
  };

  const drain = async (beacon: boolean): Promise<void> => {
    ct(timer as never);
    timer = null;
    let todo: WireEvent[];
    while ((todo = without(queue, sending)).length && granted()) {
      if (now() < retryAt) {
        // backing off: the queue waits on the device (beacons included: the next page load sends it)
        schedule(retryAt - now());
        return;
      }
      const [events, body, oversize] = nextBatch(todo, iso(now()));
      stats.oversize += oversize.length;
      queue = without(queue, oversize);
      if (!events.length) continue;
      const auth = token && events[0].userId == userId ? token : null;
      sending = sending.concat(events);
      const outcome = await post(env, auth ? endpoint.replace(/\/?$/, '/auth') : endpoint, body, auth, beacon);
      sending = without(sending, events);
      if (outcome == RETRY) retryAt = now() + backoffMs(attempt++, rnd());
      else {
        attempt = 0;
        queue = without(queue, events);
      }
      save();
    }
  };

  const flush = (beacon = false): Promise<void> =>
    beacon
      ? drain(true).catch(() => undefined)
      : (inflight =
          inflight ||
          drain(false)
            .catch(() => undefined)
            .then(() => {
              inflight = null;
            }));

  const page = (props?: Props): void => {
    // after the first page, the referrer of a page view is the page before it (in a single-page app too)
    if (lastUrl) referrer = lastUrl;
    lastUrl = here();
    record('page_view', {}, props);
  };

  const cart =
    (name: string) =>
    (p: Product, quantity?: number): void =>
      record(name, { product: cleanProduct(p) }, { quantity: quantity || 1 });

  const api: Tracker = {
    page,
    track: (name, props) => record(String(name), {}, props),
    viewProduct: (p) => record('view_product', { product: cleanProduct(p) }),
    addToCart: cart('add_to_cart'),
    removeFromCart: cart('remove_from_cart'),
    // the cart's scalars (value, currency) become properties; its items list does not fit the flat properties
    beginCheckout: (c) => record('begin_checkout', {}, c),
    purchase: (order) => record('purchase', { order: cleanOrder(order) }),
    search: (query) => record('search', { search: { query: String(query) } }),
    identify: (id, o) => {
      userId = id ? String(id) : undefined;
      token = (o && o.idToken) || null;
    },
    consent: (next) => {
      state = next == 'granted' ? 'granted' : 'denied';
      if (off()) forget();
      else restore();
    },
    optOut: () => {
      forget();
      store.set(OPT_OUT_KEY, '1');
    },
    optIn: () => store.del(OPT_OUT_KEY),
    flush: () => flush(),
    stats: () => ({ ...stats, queued: queue.length }),
  };

  // Anything thrown here makes createTracker (api.ts) answer with a harmless tracker instead.
  restore();
  referrer = String(env.w.document.referrer || '');
  env.w.document.addEventListener('visibilitychange', () => {
    if (env.w.document.visibilityState == 'hidden') flush(true);
  });
  env.w.addEventListener('pagehide', () => flush(true));
  if (options.autoPageViews !== false) {
    page();
    watchHistory(env, () => {
      try {
        if (here() != lastUrl) page();
      } catch {
        /* called from the host's pushState: never throw into it */
      }
    });
  }
  return api;
};
