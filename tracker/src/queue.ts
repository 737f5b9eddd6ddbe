import type { WireEvent } from './types';

/** The most bytes one request may carry: sendBeacon and keepalive fetch refuse bigger bodies. */
export const MAX_BODY_BYTES = 65536;

/** Appends, dropping the oldest past `cap`; returns how many were dropped. */
export const push = <T>(queue: T[], event: T, cap: number): number => {
  queue.push(event);
  let dropped = 0;
  while (queue.length > cap) {
    queue.shift();
    dropped++;
  }
  return dropped;
};

const bytes = (text: string): number => new TextEncoder().encode(text).length;

/**
 * The events in the body (in queue order), the request body ({"events": [...]}), and the events too big for any
 * request: to drop (and count), never to retry.
 */
export type Batch = [events: WireEvent[], body: string, oversize: WireEvent[]];

/**
 * The next request from the head of the queue: as many events as fit in `maxBytes`, all with the same userId (a
 * request goes either to the anonymous or to the authenticated route). Each event gets `sentAt` first, since it is
 * part of the size.
 */
export const nextBatch = (queue: WireEvent[], sentAt: string, maxBytes: number = MAX_BODY_BYTES): Batch => {
  const events: WireEvent[] = [];
  const oversize: WireEvent[] = [];
  const parts: string[] = [];
  let size = 13; // {"events":[]}
  for (const event of queue) {
    // No check of the ingest's 500 events per request: 64 KB never holds that many (each event has three uuids).
    if (events.length && event.userId !== events[0].userId) break;
    event.sentAt = sentAt;
    let json: string;
    try {
      json = JSON.stringify(event);
    } catch {
      oversize.push(event);
      continue;
    }
    const n = bytes(json) + (parts.length ? 1 : 0);
    if (13 + n > maxBytes) {
      oversize.push(event);
      continue;
    }
    if (size + n > maxBytes) break;
    size += n;
    parts.push(json);
    events.push(event);
  }
  return [events, '{"events":[' + parts.join(',') + ']}', oversize];
};

/** The queue without `gone` (by identity: events may have been added while a request was in flight). */
export const without = (queue: WireEvent[], gone: WireEvent[]): WireEvent[] => queue.filter((e) => gone.indexOf(e) < 0);
