import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTracker } from '../src/api';
import type { Tracker } from '../src/tracker';
import { FakeBrowser } from './fake';

/** Every method with arguments of every odd shape: none may throw, flush always gives a promise. */
const everything = async (t: Tracker): Promise<void> => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const odd: unknown[] = [undefined, null, 42, 'x', cyclic, [cyclic], () => 1, Symbol('s'), 10n];
  const methods = t as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of ['page', 'track', 'viewProduct', 'addToCart', 'removeFromCart', 'beginCheckout', 'purchase', 'search', 'identify', 'consent', 'optOut', 'optIn', 'stats'])
    for (const a of odd) for (const c of odd) methods[name](a, c);
  t.optIn();
  t.consent('granted');
  t.track('click', cyclic as never);
  t.purchase({ id: 'o', revenue: 1, items: [cyclic] } as never);
  t.viewProduct({ id: 'p', name: cyclic } as never);
  const p = t.flush();
  assert.ok(p instanceof Promise);
  await p;
};

test('storage that throws on every call: events still go, nothing is thrown', async () => {
  const b = new FakeBrowser();
  b.storageThrows = true;
  const t = b.tracker();
  await everything(t);
  t.track('click');
  await t.flush();
  assert.ok(b.events().some((e) => e.eventName == 'click'));
});

test('fetch that throws and sendBeacon that refuses: nothing is thrown, the events wait', async () => {
  const b = new FakeBrowser();
  b.fetchThrows = true;
  b.beaconAccepts = false;
  const t = b.tracker();
  await everything(t);
  b.fire('pagehide');
  b.document.visibilityState = 'hidden';
  b.fire('visibilitychange');
  await b.advance(60000);
  assert.equal(b.sent.length, 0);
  assert.ok(t.stats().queued > 0);
});

test('a cycle in properties, a product or an order never reaches JSON.stringify', async () => {
  const b = new FakeBrowser();
  const t = b.tracker({ autoPageViews: false });
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  t.track('click', cyclic as never);
  t.viewProduct({ id: 'p', name: cyclic } as never);
  await t.flush();
  assert.deepEqual(b.events()[0].properties, { a: 1, sessionIndex: 1 });
  // the product whose name holds a cycle cannot be serialised: dropped and counted, not retried
  assert.equal(b.events().length, 1);
  assert.equal(t.stats().oversize, 1);
});

test('a window without anything (no location, document, storage, history, fetch) gives a harmless tracker', async () => {
  const t = createTracker({ endpoint: 'https://collect.example.com/clickstream' }, { w: {} });
  await everything(t);
  assert.equal(t.stats(), undefined);
});

test('a host page whose getters throw: nothing is thrown', async () => {
  const b = new FakeBrowser();
  const boom = (): never => {
    throw new Error('host page');
  };
  Object.defineProperty(b.window, 'localStorage', { get: boom });
  Object.defineProperty(b.document, 'title', { get: boom });
  Object.defineProperty(b.navigator, 'webdriver', { get: boom });
  const t = b.tracker();
  await everything(t);
  await t.flush();
});

test('the page-wide Clickstream: calls before init, an init that fails, and await on it neither throw nor hang', async () => {
  const { Clickstream } = await import('../src/index');
  // no window in node: init fails inside, and the API stays harmless
  Clickstream.track('click');
  Clickstream.init({ endpoint: 'https://collect.example.com/clickstream' });
  Clickstream.page();
  assert.equal(Clickstream.stats(), undefined);
  assert.ok(Clickstream.flush() instanceof Promise);
  assert.equal(await Clickstream, Clickstream);
});
