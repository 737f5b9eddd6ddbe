import assert from 'node:assert/strict';
import { test } from 'node:test';
import { campaignOf, touch } from '../src/session';
import { FakeBrowser } from './fake';

const MIN = 60000;

test('campaignOf reads the UTM source, medium and campaign; a URL without them has none', () => {
  assert.equal(campaignOf('https://s.example/?utm_source=news&utm_medium=email&utm_campaign=spring&x=1'), 'news|email|spring');
  assert.equal(campaignOf('https://s.example/?x=1'), '');
  assert.equal(campaignOf('not a url'), '');
});

test('touch keeps a session within the timeout, and starts the next one after it or at a new campaign', () => {
  let n = 0;
  const make = (): string => 's' + ++n;
  const first = touch(null, 0, 30 * MIN, '', make);
  assert.deepEqual(first, { i: 's1', n: 1, t: 0, c: '' });
  assert.equal(touch(first, 30 * MIN, 30 * MIN, '', make).i, 's1');
  const lapsed = touch(first, 30 * MIN + 1, 30 * MIN, '', make);
  assert.deepEqual([lapsed.i, lapsed.n], ['s2', 2]);
  const campaign = touch(first, MIN, 30 * MIN, 'news|email|spring', make);
  assert.deepEqual([campaign.i, campaign.n, campaign.c], ['s3', 2, 'news|email|spring']);
  // the same campaign again (or a page without one) stays in the session
  assert.equal(touch(campaign, 2 * MIN, 30 * MIN, 'news|email|spring', make).i, 's3');
  assert.equal(touch(campaign, 2 * MIN, 30 * MIN, '', make).c, 'news|email|spring');
});

test('the session rolls after 30 minutes without activity, not before; index and isFirstVisit follow', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  await b.advance(29 * MIN);
  t.track('click');
  await b.advance(30 * MIN + 1000);
  t.track('click');
  await t.flush();
  const [view, stillFirst, next] = b.events();
  assert.equal(stillFirst.sessionId, view.sessionId);
  assert.notEqual(next.sessionId, view.sessionId);
  assert.deepEqual(
    b.events().map((e) => [e.properties?.sessionIndex, e.isFirstVisit]),
    [
      [1, true],
      [1, true],
      [2, false],
    ],
  );
});

test('sessionTimeoutMinutes changes the timeout', async () => {
  const b = new FakeBrowser();
  const t = b.tracker({ sessionTimeoutMinutes: 5 });
  await b.advance(6 * MIN);
  t.track('click');
  await t.flush();
  assert.notEqual(b.events()[0].sessionId, b.events()[1].sessionId);
});

test('a new campaign in the URL starts a new session; the session survives a reload', async () => {
  const b = new FakeBrowser();
  const t = b.tracker();
  b.navigate('/?utm_source=news&utm_medium=email&utm_campaign=spring');
  t.page();
  await t.flush();
  const [before, campaign] = b.events();
  assert.notEqual(campaign.sessionId, before.sessionId);
  assert.equal(campaign.properties?.sessionIndex, 2);
  // next page load, same browser: same session, and not a first visit any more
  const again = new FakeBrowser();
  again.storage = b.storage;
  again.cookies = b.cookies;
  again.time = b.time + 10 * MIN;
  again.href = 'https://shop.example.com/cart';
  await again.tracker().flush();
  assert.equal(again.events()[0].sessionId, campaign.sessionId);
  assert.equal(again.events()[0].isFirstVisit, false);
});

test('two tabs share one session: what one tab moved on, the other sees', async () => {
  const a = new FakeBrowser();
  const ta = a.tracker();
  const b = new FakeBrowser();
  b.storage = a.storage;
  b.cookies = a.cookies;
  const tb = b.tracker();
  // tab a comes back after an hour and starts session 2; tab b's next event belongs to it, not a session 3
  a.time = b.time = a.time + 60 * MIN;
  ta.track('click');
  b.time += 1000;
  tb.track('click');
  await ta.flush();
  await tb.flush();
  const click = (tab: FakeBrowser) => tab.events().filter((e) => e.eventName == 'click')[0];
  assert.equal(click(b).sessionId, click(a).sessionId);
  assert.equal(click(b).properties?.sessionIndex, 2);
  assert.equal(a.events()[0].sessionId, b.events()[0].sessionId);
});
