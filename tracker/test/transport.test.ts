import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs } from '../src/transport';
import { FakeBrowser, settle } from './fake';

test('backoff doubles from 1 s, is capped at a minute, and is jittered between 50 and 100%', () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((n) => backoffMs(n, 1)),
    [1000, 2000, 4000, 8000],
  );
  assert.equal(backoffMs(6, 1), 60000);
  assert.equal(backoffMs(1000, 1), 60000);
  assert.equal(backoffMs(3, 0), 4000);
  assert.equal(backoffMs(3, 0.5), 6000);
});

for (const failure of ['network-error', 429, 503] as const) {
  test(`a request that fails with ${failure} is retried with backoff, then sent`, async () => {
    const b = new FakeBrowser();
    b.replies = [failure, failure];
    const t = b.tracker();
    await t.flush();
    assert.equal(b.sent.length, failure == 'network-error' ? 0 : 1);
    // jitter 0.5 (the fake's random): 750 ms, then 1500 ms
    assert.deepEqual(b.pendingTimers(), [750]);
    await b.advance(749);
    assert.equal(b.replies.length, 1);
    await b.advance(1);
    assert.equal(b.replies.length, 0);
    await b.advance(1500);
    const ok = b.sent.filter((_, i) => failure == 'network-error' || i == 2);
    assert.equal(ok.at(-1)?.events[0].eventName, 'page_view');
    assert.deepEqual(t.stats().queued, 0);
    // the same event each time: its eventId is the ingest's dedup key
    assert.equal(new Set(b.events().map((e) => e.eventId)).size, 1);
  });
}

test('backoff is bounded: after many failures the tracker still tries once a minute at most', async () => {
  const b = new FakeBrowser();
  b.replies = Array(30).fill(503);
  b.tracker();
  await b.advance(30 * 60000);
  const tries = b.sent.length;
  assert.ok(tries >= 30, `${tries} tries in 30 minutes`);
  assert.ok(Math.max(...b.pendingTimers(), 0) <= 60000);
});

for (const status of [400, 413, 500, 403]) {
  test(`a request refused with ${status} is never retried`, async () => {
    const b = new FakeBrowser();
    b.replies = [status];
    const t = b.tracker();
    await t.flush();
    await b.advance(10 * 60000);
    assert.equal(b.sent.length, 1);
    assert.equal(t.stats().queued, 0);
  });
}

test('requests are text/plain fetches with keepalive (no CORS preflight)', async () => {
  const b = new FakeBrowser();
  await b.tracker().flush();
  assert.equal(b.sent[0].via, 'fetch');
  assert.deepEqual(b.sent[0].headers, { 'content-type': 'text/plain' });
  assert.equal(b.sent[0].url, 'https://collect.example.com/clickstream');
});

test('hiding the page flushes by sendBeacon; pagehide too', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  t.track('click');
  b.document.visibilityState = 'hidden';
  b.fire('visibilitychange');
  assert.deepEqual(
    b.sent.map((s) => [s.via, s.events.length]),
    [['beacon', 2]],
  );
  await settle();
  t.track('click');
  b.fire('pagehide');
  assert.deepEqual(
    b.sent.map((s) => s.via),
    ['beacon', 'beacon'],
  );
  await b.advance(10000);
  assert.equal(b.sent.length, 2);
});

test('closing the tab while a request is in flight: the beacons send only what that request does not carry', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  t.purchase({ id: 'o-1', revenue: 10 }); // a key event: posted at once, with the page view before it
  t.track('click');
  // The tab closes before the purchase's answer: both unload events fire, each flushing by beacon.
  b.document.visibilityState = 'hidden';
  b.fire('visibilitychange');
  b.fire('pagehide');
  await settle();
  assert.deepEqual(
    b.sent.map((s) => [s.via, s.events.map((e) => e.eventName)]),
    [
      ['fetch', ['page_view', 'purchase']],
      ['beacon', ['click']],
    ],
  );
  assert.equal(t.stats().queued, 0);
});

test('an in-flight request that fails leaves its events queued, and the next flush sends them', async () => {
  const b = new FakeBrowser();
  b.replies = ['network-error'];
  const t = b.tracker();
  t.purchase({ id: 'o-1', revenue: 10 });
  b.fire('pagehide');
  await settle();
  assert.equal(b.sent.length, 0);
  assert.equal(t.stats().queued, 2);
  await b.advance(1000);
  assert.deepEqual(
    b.sent.map((s) => s.events.map((e) => e.eventName)),
    [['page_view', 'purchase']],
  );
});

test('a beacon the browser refuses falls back to a keepalive fetch', async () => {
  const b = new FakeBrowser();
  b.beaconAccepts = false;
  b.tracker();
  b.fire('pagehide');
  await b.advance(0);
  assert.deepEqual(
    b.sent.map((s) => s.via),
    ['fetch'],
  );
});

test('hidden while offline: no beacon (it would be lost), the events wait and go once online', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  t.track('click');
  b.online = false;
  b.replies = ['network-error'];
  b.document.visibilityState = 'hidden';
  b.fire('visibilitychange');
  await settle();
  assert.equal(b.sent.length, 0);
  assert.equal(t.stats().queued, 2);
  b.online = true;
  await b.advance(1000);
  assert.deepEqual(
    b.sent.map((s) => [s.via, s.events.map((e) => e.eventName)]),
    [['fetch', ['page_view', 'click']]],
  );
  assert.equal(t.stats().queued, 0);
});

test('identify with a Cognito id token sends to the authenticated route; earlier events stay anonymous', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  t.identify('u-42', { idToken: 'header.payload.signature' });
  t.track('login');
  await b.advance(0);
  assert.deepEqual(
    b.sent.map((s) => [s.url, s.headers.authorization, s.events.map((e) => e.userId)]),
    [
      ['https://collect.example.com/clickstream', undefined, [undefined]],
      ['https://collect.example.com/clickstream/auth', 'Bearer header.payload.signature', ['u-42']],
    ],
  );
  // without a token, the userId goes on the anonymous route
  t.identify('u-43');
  t.track('login');
  await b.advance(0);
  assert.equal(b.sent.at(-1)?.url, 'https://collect.example.com/clickstream');
  assert.equal(b.sent.at(-1)?.events[0].userId, 'u-43');
});

test('full requests go back to back without a failure: each answer is read, freeing keepalive quota', async () => {
  // Chrome refuses a keepalive fetch while the bodies in flight (answers unread) would pass 64 KB together.
  const b = new FakeBrowser();
  const t = b.tracker({ autoPageViews: false });
  for (let n = 0; n < 300; n++) t.track('list_scroll', { n, note: 'x'.repeat(400) });
  await t.flush();
  await settle();
  assert.deepEqual(b.pendingTimers(), [], 'no retry was needed');
  assert.equal(t.stats().queued, 0);
  assert.ok(b.sent.length >= 3, `${b.sent.length} requests`);
  assert.equal(b.events().length, 300);
  assert.equal(b.keepaliveBytes, 0);
});
