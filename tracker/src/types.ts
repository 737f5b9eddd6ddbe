/** The wire shape of one v1 event (docs/event-contract.md); only what the tracker sends. */
export type Scalar = string | number | boolean | null;
export type Props = Record<string, Scalar>;

export interface Product {
  id: string;
  name?: string;
  category?: string;
  brand?: string;
  price?: number;
  discountPrice?: number;
}

export interface OrderItem {
  productId: string;
  quantity: number;
  price: number;
}

export interface Order {
  id: string;
  revenue: number;
  currency?: string;
  items?: OrderItem[];
}

export interface Cart {
  value?: number;
  currency?: string;
  items?: unknown[];
}

export interface WireEvent {
  eventName: string;
  eventId: string;
  eventTimestamp: string;
  sentAt?: string;
  schemaVersion: string;
  clientId?: string;
  sessionId?: string;
  isFirstVisit?: boolean;
  userId?: string;
  userLoginState?: 'guest' | 'logged_in';
  pageUrl: string;
  pageTitle: string;
  referrer: string;
  product?: Product;
  order?: Order;
  search?: { query: string };
  properties?: Props;
}

export type ConsentState = 'granted' | 'pending' | 'denied';

export interface Options {
  endpoint: string;
  appId?: string;
  batchSize?: number;
  flushIntervalMs?: number;
  sessionTimeoutMinutes?: number;
  respectDoNotTrack?: boolean;
  consent?: ConsentState;
  cookieDomain?: string;
  autoPageViews?: boolean;
  /** Most events kept unsent on the device; past it the oldest are dropped (and counted). */
  maxQueue?: number;
  /** Track automated browsers (navigator.webdriver): headless test runs set it. */
  allowAutomation?: boolean;
}

/** The browser as the tracker sees it: a window-like object, and the clock (the real one by default), so tests can hand in fakes. */
export interface Env {
  // The window is loosely typed on purpose: every access to it is guarded, whatever the host page did to it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  w: any;
  now?: () => number;
  rnd?: () => number;
  st?: (fn: () => void, ms: number) => unknown;
  ct?: (id: never) => void;
}
