import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeBrowser } from './fake';

test('events carry the page URL (UTM parameters kept), title, referrer, timestamps and the contract version', async () => {
  const b = new FakeBrowser();
  b.href = 'https://shop.example.com/p/1?utm_source=news&utm_medium=email&utm_campaign=spring';
  const t = b.tracker({ appId: 'shop-web' });
  b.time += 1234;
  await t.flush();
  const [view] = b.events();
  assert.equal(view.eventName, 'page_view');
  assert.equal(view.pageUrl, b.href);
  assert.equal(view.pageTitle, 'Shop');
  assert.equal(view.referrer, 'https://search.example.org/?q=shoes');
  assert.equal(view.eventTimestamp, '2026-12-02T12:00:00.000Z');
  assert.equal(view.sentAt, '2026-12-02T12:00:01.234Z');
  assert.equal(view.schemaVersion, '1.0');
  assert.deepEqual(view.properties, { appId: 'shop-web', sessionIndex: 1 });
});

test('the e-commerce helpers send the v1 events with product, order and search', async () => {
  const b = new FakeBrowser();
  const t = b.tracker({ autoPageViews: false });
  const product = { id: 'sku-1', name: 'Shoe', category: 'shoes', brand: 'B', price: 50, discountPrice: 40 };
  t.viewProduct(product);
  t.addToCart({ id: 'sku-1' }, 2);
  t.removeFromCart({ id: 'sku-1' });
  t.beginCheckout({ value: 100, currency: 'EUR', items: [product] });
  t.search('red shoes');
  t.purchase({ id: 'o-1', revenue: 100, currency: 'EUR', items: [{ productId: 'sku-1', quantity: 2, price: 50 }] });
  await t.flush();
  const events = b.events();
  assert.deepEqual(
    events.map((e) => e.eventName),
    ['view_product', 'add_to_cart', 'remove_from_cart', 'begin_checkout', 'search', 'purchase'],
  );
  assert.deepEqual(events[0].product, product);
  assert.deepEqual([events[1].product, events[1].properties?.quantity], [{ id: 'sku-1' }, 2]);
  assert.equal(events[2].properties?.quantity, 1);
  assert.deepEqual(events[3].properties, { value: 100, currency: 'EUR', sessionIndex: 1 });
  assert.deepEqual(events[4].search, { query: 'red shoes' });
  assert.deepEqual(events[5].order, {
    id: 'o-1',
    revenue: 100,
    currency: 'EUR',
    items: [{ productId: 'sku-1', quantity: 2, price: 50 }],
  });
});

test('properties are made flat: nested values, functions and NaN are left out, at most 50 keys in all', async () => {
  const b = new FakeBrowser();
  const t = b.tracker({ autoPageViews: false });
  const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => ['k' + i, i]));
  const odd = { ok: 'yes', n: 1, b: false, z: null, nested: { a: 1 }, list: [1], f: () => 1, nan: NaN, 'bad key': 1 };
  t.track('custom_thing', odd as never);
  t.track('many', many);
  t.track('long', { s: 'x'.repeat(5000) });
  await t.flush();
  const [custom, lots, long] = b.events();
  assert.deepEqual(custom.properties, { ok: 'yes', n: 1, b: false, z: null, sessionIndex: 1 });
  assert.equal(Object.keys(lots.properties ?? {}).length, 50);
  assert.equal((long.properties?.s as string).length, 1024);
});

test('single-page apps: pushState, replaceState and popstate each make a page view, with the previous URL as referrer', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  const history = b.window.history as { pushState(s: unknown, t: string, u: string): void; replaceState(s: unknown, t: string, u: string): void };
  history.pushState({}, '', '/category/shoes');
  history.replaceState({}, '', '/category/shoes?sort=price');
  history.replaceState({}, '', '/category/shoes?sort=price');
  b.navigate('/');
  b.fire('popstate');
  await t.flush();
  assert.deepEqual(
    b.events().map((e) => [e.eventName, e.pageUrl.replace('https://shop.example.com', ''), e.referrer.replace('https://shop.example.com', '')]),
    [
      ['page_view', '/', 'https://search.example.org/?q=shoes'],
      ['page_view', '/category/shoes', '/'],
      ['page_view', '/category/shoes?sort=price', '/category/shoes'],
      ['page_view', '/', '/category/shoes?sort=price'],
    ],
  );
});

test('autoPageViews: false sends no page view by itself', async () => {
  const b = new FakeBrowser();
  const t = b.tracker({ autoPageViews: false });
  (b.window.history as { pushState(s: unknown, t: string, u: string): void }).pushState({}, '', '/x');
  await t.flush();
  assert.equal(b.sent.length, 0);
});

test('identify puts the userId on the events that follow', async () => {
  const b = new FakeBrowser();
  const t = b.tracker({ autoPageViews: false });
  t.identify('u-1');
  t.track('login');
  await t.flush();
  assert.equal(b.events()[0].userId, 'u-1');
});
