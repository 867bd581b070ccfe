/** The bus implementations and the event tracker (de-duplication, out-of-order commits, holes). */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BusGroup, createBus, InProcessBus, validSubjectPrefix, type BusMessage } from '../../src/realtime/bus.js';
import { clientData, concerned, parseSince } from '../../src/realtime/frames.js';
import { EventTracker } from '../../src/realtime/tracker.js';

const ev = (id: number) => ({ id, type: 'connection.added', memberIds: [1, 2], payload: { a: 1, b: 2 }, createdAt: new Date(0).toISOString() });

describe('EventTracker', () => {
  it('accepts each id once, in any order, and remembers holes until they fill or expire', () => {
    const t = new EventTracker(10, 1000);
    expect(t.mark(10)).toBe(false); // already in the loaded state
    expect(t.mark(13, 0)).toBe(true);
    expect(t.openGaps(0)).toEqual([11, 12]);
    expect(t.mark(13)).toBe(false);
    expect(t.mark(12)).toBe(true); // committed out of order
    expect(t.mark(12)).toBe(false);
    expect(t.openGaps(500)).toEqual([11]);
    expect(t.openGaps(2000)).toEqual([]); // a rolled-back id: forgotten
    expect(t.mark(11)).toBe(false);
    expect(t.high).toBe(13);
  });

  it('takes holes found in storage at start', () => {
    const t = new EventTracker(100);
    t.addGaps([98, 99]);
    expect(t.isNew(99)).toBe(true);
    expect(t.mark(99)).toBe(true);
    expect(t.isNew(97)).toBe(false);
  });
});

describe('stream helpers', () => {
  it('parses since (durable ids and typing ids), stringifies ids, and finds who an event concerns', () => {
    expect(parseSince('42')).toBe(42);
    expect(parseSince('42:t7')).toBe(42);
    expect(parseSince('t:7')).toBeUndefined();
    expect(parseSince('abc')).toBeUndefined();
    expect(clientData({ by: 3, invitationId: '9', n: 1 })).toEqual({ by: '3', invitationId: '9', n: 1 });
    expect(concerned({ memberIds: [5], payload: { from: { id: '7' }, message: { sender: { id: '7' } } } }).sort()).toEqual([5, 7]);
    expect(validSubjectPrefix('liaison.test_1')).toBe(true);
    expect(validSubjectPrefix('bad subject')).toBe(false);
  });
});

describe('InProcessBus', () => {
  it('is a no-op alone and delivers to the other instances of a group', async () => {
    const group = new BusGroup();
    const a = new InProcessBus('a', group);
    const b = new InProcessBus('b', group);
    const got: BusMessage[] = [];
    const self: BusMessage[] = [];
    b.subscribe((m) => got.push(m));
    a.subscribe((m) => self.push(m));
    a.publish({ events: [ev(1)] });
    await new Promise((r) => setTimeout(r, 0));
    expect(got.map((m) => m.events![0]!.id)).toEqual([1]);
    expect(self).toEqual([]);
    await b.close();
    a.publish({ events: [ev(2)] });
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toHaveLength(1);
  });
});

describe.skipIf(!process.env.LIAISON_NATS_URL)('NatsBus', () => {
  it('carries events between instances in order, never back to their origin', async () => {
    const subjectPrefix = `liaison_test.${randomBytes(6).toString('hex')}`;
    const a = await createBus({ natsUrl: process.env.LIAISON_NATS_URL, subjectPrefix, origin: 'a' });
    const b = await createBus({ natsUrl: process.env.LIAISON_NATS_URL, subjectPrefix, origin: 'b' });
    try {
      expect(a.kind).toBe('nats');
      const got: number[] = [];
      const self: number[] = [];
      b.subscribe((m) => got.push(...(m.events ?? []).map((e) => e.id)));
      a.subscribe((m) => self.push(...(m.events ?? []).map((e) => e.id)));
      await new Promise((r) => setTimeout(r, 100)); // subscriptions reach the server
      for (let i = 1; i <= 50; i++) a.publish({ events: [ev(i)] });
      const t0 = Date.now();
      while (got.length < 50 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(self).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
