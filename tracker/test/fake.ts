// A fake browser for the tracker's unit tests: a clock with timers, localStorage, a cookie jar, fetch and
// sendBeacon that record what they were given, history, and event listeners. Each part can be made to fail.
import { createTracker } from '../src/api';
import type { Tracker } from '../src/tracker';
import type { Env, Options, WireEvent } from '../src/types';

export interface Sent {
  via: 'fetch' | 'beacon';
  url: string;
  body: string;
  headers: Record<string, string>;
  events: WireEvent[];
}

type Reply = number | 'network-error';

export class FakeBrowser {
  time = Date.UTC(2026, 11, 2, 12, 0, 0);
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  storage = new Map<string, string>();
  storageThrows = false;
  cookies = new Map<string, string>();
  cookieWrites: string[] = [];
  sent: Sent[] = [];
  /** answers for the next fetches, in order; 200 when empty */
  replies: Reply[] = [];
  beaconAccepts = true;
  /** navigator.onLine: offline, the real sendBeacon still says yes, then drops the request. */
  online = true;
  fetchThrows = false;
  /** bytes of keepalive request bodies in flight (answers not read yet) */
  keepaliveBytes = 0;
  href = 'https://shop.example.com/';
  listeners = new Map<string, (() => void)[]>();
  navigator: Record<string, unknown> = {};
  document: Record<string, unknown>;
  window: Record<string, unknown>;

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const listen = (type: string, fn: () => void): void => {
      self.listeners.set(type, [...(self.listeners.get(type) || []), fn]);
    };
    this.document = {
      title: 'Shop',
      referrer: 'https://search.example.org/?q=shoes',
      visibilityState: 'visible',
      addEventListener: listen,
      get cookie(): string {
        return [...self.cookies].map(([k, v]) => k + '=' + v).join('; ');
      },
      set cookie(line: string) {
        self.cookieWrites.push(line);
        const [pair, ...attrs] = line.split(';');
        const at = pair.indexOf('=');
        const name = pair.slice(0, at);
        if (attrs.some((a) => a.trim() == 'max-age=0')) self.cookies.delete(name);
        else self.cookies.set(name, pair.slice(at + 1));
      },
    };
    this.navigator = {
      get onLine(): boolean {
        return self.online;
      },
      sendBeacon: (url: string, body: string): boolean => {
        if (!self.beaconAccepts) return false;
        self.record('beacon', url, body, {});
        return true;
      },
    };
    const localStorage = {
      getItem: (k: string): string | null => {
        if (self.storageThrows) throw new Error('SecurityError');
        return self.storage.has(k) ? (self.storage.get(k) as string) : null;
      },
      setItem: (k: string, v: string): void => {
        if (self.storageThrows) throw new Error('QuotaExceededError');
        self.storage.set(k, String(v));
      },
      removeItem: (k: string): void => {
        if (self.storageThrows) throw new Error('SecurityError');
        self.storage.delete(k);
      },
    };
    const history = {
      pushState: (_s: unknown, _t: string, url: string): void => self.navigate(url),
      replaceState: (_s: unknown, _t: string, url: string): void => self.navigate(url),
    };
    this.window = {
      document: this.document,
      navigator: this.navigator,
      localStorage,
      history,
      crypto: globalThis.crypto,
      addEventListener: listen,
      fetch: async (url: string, init: { body: string; headers: Record<string, string>; keepalive: boolean }) => {
        if (self.fetchThrows) throw new TypeError('Failed to fetch');
        if (!init.keepalive) throw new Error('the tracker always asks for keepalive');
        // Chrome's quota: the bodies of keepalive requests in flight hold at most 64 KB together, and a request is
        // in flight until its answer has been read to the end.
        const size = new TextEncoder().encode(init.body).length;
        if (self.keepaliveBytes + size > 65536) throw new TypeError('Failed to fetch');
        const reply = self.replies.shift() ?? 200;
        if (reply == 'network-error') throw new TypeError('Failed to fetch');
        self.record('fetch', url, init.body, init.headers);
        self.keepaliveBytes += size;
        return {
          ok: reply >= 200 && reply < 300,
          status: reply,
          text: async () => {
            self.keepaliveBytes -= size;
            return '{}';
          },
        };
      },
    };
    Object.defineProperty(this.window, 'location', {
      get: () => ({ href: self.href, protocol: 'https:' }),
    });
  }

  private record(via: Sent['via'], url: string, body: string, headers: Record<string, string>): void {
    this.sent.push({ via, url, body, headers, events: (JSON.parse(body) as { events: WireEvent[] }).events });
  }

  navigate(url: string): void {
    this.href = new URL(url, this.href).href;
  }

  env(): Env {
    return {
      w: this.window,
      now: () => this.time,
      rnd: () => 0.5,
      st: (fn, ms) => {
        const id = this.nextId++;
        this.timers.push({ at: this.time + Math.max(0, ms), fn, id });
        return id;
      },
      ct: (id) => {
        this.timers = this.timers.filter((t) => t.id !== (id as unknown as number));
      },
    };
  }

  tracker(options: Partial<Options> = {}): Tracker {
    return createTracker({ endpoint: 'https://collect.example.com/clickstream', ...options }, this.env());
  }

  /** Moves the clock on, running the timers that fall due (and the promises they start) in order. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
    await settle();
  }

  fire(type: string): void {
    for (const fn of this.listeners.get(type) || []) fn();
  }

  /** Every event sent, in order. */
  events(): WireEvent[] {
    return this.sent.flatMap((s) => s.events);
  }

  pendingTimers(): number[] {
    return this.timers.map((t) => t.at - this.time);
  }
}

/** Lets pending promise callbacks (a fetch answer, the drain after it) run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};
