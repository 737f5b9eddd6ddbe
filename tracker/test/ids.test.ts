import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLIENT_KEY, uuid } from '../src/ids';
import { FakeBrowser } from './fake';

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('uuids are version 4, from Web Crypto or, without it, from Math.random', () => {
  const withCrypto = uuid({ w: { crypto: globalThis.crypto } });
  const without = new Set(Array.from({ length: 200 }, () => uuid({ w: {} })));
  assert.match(withCrypto, UUID4);
  for (const id of without) assert.match(id, UUID4);
  assert.equal(without.size, 200);
});

test('every event has its own eventId and the visitor one clientId, kept in localStorage and a cookie', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  t.track('click');
  await t.flush();
  const [view, click] = b.events();
  assert.match(view.eventId, UUID4);
  assert.notEqual(view.eventId, click.eventId);
  assert.match(view.clientId as string, UUID4);
  assert.equal(click.clientId, view.clientId);
  assert.equal(b.storage.get(CLIENT_KEY), view.clientId);
  assert.equal(b.cookies.get(CLIENT_KEY), view.clientId);
  assert.ok(b.cookieWrites.some((w) => w.includes('max-age=63072000') && w.includes('SameSite=Lax')));
});

test('the clientId comes back from the cookie when localStorage was cleared, and is written back to it', async () => {
  const b = new FakeBrowser();
  await b.tracker().flush();
  const id = b.events()[0].clientId;
  b.storage.clear();
  const again = new FakeBrowser();
  again.cookies = b.cookies;
  await again.tracker().flush();
  assert.equal(again.events()[0].clientId, id);
  assert.equal(again.storage.get(CLIENT_KEY), id);
});

test('the clientId comes back from localStorage when the cookie was lost, and the cookie is set again', async () => {
  const b = new FakeBrowser();
  await b.tracker().flush();
  const id = b.events()[0].clientId;
  const again = new FakeBrowser();
  again.storage = b.storage;
  await again.tracker().flush();
  assert.equal(again.events()[0].clientId, id);
  assert.equal(again.cookies.get(CLIENT_KEY), id);
});

test('the cookie goes to the configured domain', () => {
  const b = new FakeBrowser();
  b.tracker({ cookieDomain: 'example.com' });
  assert.ok(b.cookieWrites.some((w) => w.startsWith(CLIENT_KEY + '=') && w.endsWith(';domain=example.com')));
});
