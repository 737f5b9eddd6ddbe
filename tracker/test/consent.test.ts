import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeBrowser } from './fake';

test("consent 'pending': events wait in memory, nothing is written to the device and nothing is sent", async () => {
  const b = new FakeBrowser();
  const t = b.tracker({ consent: 'pending' });
  t.track('click');
  t.purchase({ id: 'o-1', revenue: 10 });
  await b.advance(60000);
  assert.equal(b.sent.length, 0);
  assert.equal(b.storage.size, 0);
  assert.equal(b.cookieWrites.length, 0);
  assert.equal(t.stats().queued, 3);
});

test("granted after pending: the waiting events are sent, and the ids stored, once", async () => {
  const b = new FakeBrowser();
  const t = b.tracker({ consent: 'pending' });
  t.track('click');
  t.consent('granted');
  await t.flush();
  assert.deepEqual(
    b.events().map((e) => e.eventName),
    ['page_view', 'click'],
  );
  assert.equal(b.storage.get('_cs_id'), b.events()[0].clientId);
  assert.equal(b.cookies.get('_cs_id'), b.events()[0].clientId);
  await b.advance(60000);
  assert.equal(b.events().length, 2);
});

test('pending keeps to the queue cap, oldest dropped and counted', () => {
  const b = new FakeBrowser();
  const t = b.tracker({ consent: 'pending', maxQueue: 5 });
  for (let i = 0; i < 9; i++) t.track('click');
  assert.deepEqual(t.stats(), { dropped: 5, oversize: 0, queued: 5 });
});

test('denied after pending: the waiting events are dropped and the ids cleared', async () => {
  const b = new FakeBrowser();
  const t = b.tracker({ consent: 'pending' });
  t.track('click');
  t.consent('denied');
  t.track('click');
  await b.advance(60000);
  assert.equal(b.sent.length, 0);
  assert.equal(t.stats().queued, 0);
  assert.equal(b.storage.size, 0);
  assert.equal(b.cookies.size, 0);
});

test('denied after granted: nothing more is sent, and the stored ids and queue are removed', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  await t.flush();
  b.replies = ['network-error'];
  t.track('click');
  await t.flush();
  assert.ok(b.storage.has('_cs_q'));
  t.consent('denied');
  t.track('click');
  await b.advance(10 * 60000);
  assert.equal(b.events().length, 1);
  assert.deepEqual([...b.storage.keys(), ...b.cookies.keys()], []);
  // granted again, it starts over as a new visitor
  t.consent('granted');
  t.track('click');
  await t.flush();
  assert.notEqual(b.events().at(-1)?.clientId, b.events()[0].clientId);
});

test('consent denied from the start sends nothing and stores nothing', async () => {
  const b = new FakeBrowser();
  const t = b.tracker({ consent: 'denied' });
  t.track('click');
  await b.advance(60000);
  assert.equal(b.sent.length + b.storage.size + b.cookieWrites.length, 0);
});

test('optOut sends nothing, clears the ids, and is remembered by the next page load until optIn', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  await t.flush();
  t.optOut();
  t.track('click');
  await b.advance(60000);
  assert.equal(b.events().length, 1);
  assert.equal(b.storage.get('_cs_id'), undefined);
  assert.equal(b.cookies.get('_cs_id'), undefined);
  const next = new FakeBrowser();
  next.storage = b.storage;
  next.cookies = b.cookies;
  const t2 = next.tracker();
  await next.advance(60000);
  assert.equal(next.sent.length, 0);
  t2.optIn();
  t2.track('click');
  await t2.flush();
  assert.equal(next.events().length, 1);
});

for (const [name, flags] of [
  ['Do Not Track', { doNotTrack: '1' }],
  ['Global Privacy Control', { globalPrivacyControl: true }],
] as const) {
  test(`respectDoNotTrack honours ${name}; without it the browser is tracked`, async () => {
    const b = new FakeBrowser();
    Object.assign(b.navigator, flags);
    b.tracker({ respectDoNotTrack: true }).track('click');
    await b.advance(60000);
    assert.equal(b.sent.length + b.storage.size, 0);
    const c = new FakeBrowser();
    Object.assign(c.navigator, flags);
    await c.tracker().flush();
    assert.equal(c.sent.length, 1);
  });
}

test('an automated browser (navigator.webdriver) is not tracked unless allowAutomation', async () => {
  const b = new FakeBrowser();
  b.navigator.webdriver = true;
  await b.tracker().flush();
  assert.equal(b.sent.length + b.storage.size, 0);
  const c = new FakeBrowser();
  c.navigator.webdriver = true;
  await c.tracker({ allowAutomation: true }).flush();
  assert.equal(c.sent.length, 1);
});
