import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_BODY_BYTES, nextBatch, push } from '../src/queue';
import { QUEUE_KEY } from '../src/tracker';
import type { WireEvent } from '../src/types';
import { FakeBrowser } from './fake';

const event = (i: number, extra: Partial<WireEvent> = {}): WireEvent => ({
  eventName: 'click',
  eventId: 'e-' + i,
  eventTimestamp: '2026-12-02T12:00:00.000Z',
  schemaVersion: '1.0',
  clientId: 'c-1',
  pageUrl: 'https://shop.example.com/',
  pageTitle: 'Shop',
  referrer: '',
  ...extra,
});

test('push drops the oldest past the cap and says how many', () => {
  const q = [event(1), event(2)];
  assert.equal(push(q, event(3), 3), 0);
  assert.equal(push(q, event(4), 3), 1);
  assert.deepEqual(
    q.map((e) => e.eventId),
    ['e-2', 'e-3', 'e-4'],
  );
});

test('500 events never make a request over 64 KB, and every one of them is sent once', () => {
  const queue = Array.from({ length: 500 }, (_, i) => event(i, { properties: { note: 'é'.repeat(200 + (i % 50)) } }));
  const seen: string[] = [];
  let rest = queue;
  let requests = 0;
  while (rest.length) {
    const [events, body, oversize] = nextBatch(rest, '2026-12-02T12:00:05.000Z');
    assert.equal(oversize.length, 0);
    assert.ok(Buffer.byteLength(body) <= MAX_BODY_BYTES, `request of ${Buffer.byteLength(body)} bytes`);
    assert.deepEqual(JSON.parse(body), { events });
    seen.push(...events.map((e) => e.eventId));
    rest = rest.slice(events.length);
    requests++;
  }
  assert.equal(seen.length, 500);
  assert.equal(new Set(seen).size, 500);
  assert.ok(requests > 1);
});

test('an event bigger than a request can hold is set aside, its neighbours still go', () => {
  const big = event(2, { properties: { a: 'x'.repeat(1024) } });
  const [events, , oversize] = nextBatch([event(1), big, event(3)], '2026-12-02T12:00:05.000Z', 1000);
  assert.deepEqual(
    events.map((e) => e.eventId),
    ['e-1', 'e-3'],
  );
  assert.deepEqual(oversize, [big]);
});

test('a batch holds one userId only (each request goes to one route)', () => {
  const [events] = nextBatch([event(1), event(2), event(3, { userId: 'u-1' })], 'x');
  assert.equal(events.length, 2);
});

test('every event of a request carries its sentAt', () => {
  const [events] = nextBatch([event(1), event(2)], '2026-12-02T12:00:05.000Z');
  assert.deepEqual(
    events.map((e) => e.sentAt),
    ['2026-12-02T12:00:05.000Z', '2026-12-02T12:00:05.000Z'],
  );
});

test('events go in batches of batchSize (default 10)', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  for (let i = 0; i < 8; i++) t.track('click');
  await b.advance(0);
  assert.equal(b.sent.length, 0);
  t.track('click');
  await b.advance(0);
  assert.deepEqual(
    b.sent.map((s) => s.events.length),
    [10],
  );
});

test('events go after flushIntervalMs (default 5 s) when the batch does not fill', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  t.track('click');
  await b.advance(4999);
  assert.equal(b.sent.length, 0);
  await b.advance(1);
  assert.equal(b.sent.length, 1);
  assert.equal(b.sent[0].events.length, 2);
  const other = new FakeBrowser();
  other.tracker({ flushIntervalMs: 1000, batchSize: 3 });
  await other.advance(1000);
  assert.equal(other.sent.length, 1);
});

test('purchase, login and sign_up go at once, with what is queued', async () => {
  for (const send of [
    (t: ReturnType<FakeBrowser['tracker']>) => t.purchase({ id: 'o-1', revenue: 30, currency: 'EUR' }),
    (t: ReturnType<FakeBrowser['tracker']>) => t.track('login'),
    (t: ReturnType<FakeBrowser['tracker']>) => t.track('sign_up'),
  ]) {
    const b = new FakeBrowser();
    send(b.tracker());
    await b.advance(0);
    assert.equal(b.sent.length, 1);
    assert.equal(b.sent[0].events.length, 2);
  }
});

test('the persisted queue is capped: the oldest are dropped first and counted', async () => {
  const b = new FakeBrowser();
  b.replies = Array(100).fill('network-error');
  const t = b.tracker({ maxQueue: 20, batchSize: 1000 });
  for (let i = 0; i < 30; i++) t.track('click', { i });
  const saved = JSON.parse(b.storage.get(QUEUE_KEY) as string) as WireEvent[];
  assert.equal(saved.length, 20);
  assert.deepEqual(
    saved.map((e) => e.properties?.i),
    Array.from({ length: 20 }, (_, i) => i + 10),
  );
  assert.deepEqual(t.stats(), { dropped: 11, oversize: 0, queued: 20 });
});

test('what a page left unsent goes with the next page load', async () => {
  const b = new FakeBrowser();
  b.fetchThrows = true;
  const t = b.tracker();
  t.track('click');
  await b.advance(5000);
  assert.equal(b.sent.length, 0);
  const next = new FakeBrowser();
  next.storage = b.storage;
  next.cookies = b.cookies;
  next.tracker({ autoPageViews: false });
  await next.advance(0);
  assert.deepEqual(
    next.events().map((e) => e.eventName),
    ['page_view', 'click'],
  );
});

test('an event too big for any request is dropped and counted, not retried for ever', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  // properties cannot get there (49 keys of 1024 characters), an unbounded search query can
  t.search('x'.repeat(70000));
  await t.flush();
  await b.advance(60000);
  assert.deepEqual(
    b.events().map((e) => e.eventName),
    ['page_view'],
  );
  assert.equal(b.sent.length, 1);
  assert.deepEqual(t.stats(), { dropped: 0, oversize: 1, queued: 0 });
});
