import { describe, expect, it } from 'vitest';
import { GraphIndex, PairBuffer } from '../../src/graph/index.js';

/*
 * A small network (ids with gaps):
 *
 *   ana(10) ── bo(20) ── cy(30) ── dee(40) ── eve(50)
 *      │         │                  │
 *      └──── fay(60) ───────────────┘
 *                         gus(70) (no connections)
 */
const ana = 10,
  bo = 20,
  cy = 30,
  dee = 40,
  eve = 50,
  fay = 60,
  gus = 70;

function network(): GraphIndex {
  return GraphIndex.fromEdges({
    connections: [ana, bo, bo, cy, cy, dee, dee, eve, ana, fay, bo, fay, fay, dee],
    follows: [gus, ana],
    groupMembers: [
      [1, ana],
      [1, gus],
      [2, ana],
      [2, gus],
    ],
    hidden: [],
  });
}

describe('GraphIndex examples', () => {
  it('answers degrees 1, 2, 3 and out of network', () => {
    const g = network();
    expect(g.degree(ana, bo)).toBe(1);
    expect(g.degree(ana, cy)).toBe(2); // via bo
    expect(g.degree(ana, dee)).toBe(2); // via fay
    expect(g.degree(ana, eve)).toBe(3); // via fay, dee
    expect(g.degree(ana, gus)).toBeNull();
    expect(g.degree(ana, ana)).toBeNull();
    expect(g.degree(ana, 999)).toBeNull(); // unknown id
    expect(g.relation(ana, cy)).toEqual({ degree: 2, mutualCount: 1 });
  });

  it('lists mutual connections in ascending id order, page by page', () => {
    const g = network();
    expect(g.mutuals(bo, dee)).toEqual({ count: 2, items: [cy, fay] });
    expect(g.mutuals(bo, dee, { limit: 1 })).toEqual({ count: 2, items: [cy] });
    expect(g.mutuals(bo, dee, { limit: 1, after: cy })).toEqual({ count: 2, items: [fay] });
    expect(g.mutuals(bo, dee, { limit: 1, after: fay })).toEqual({ count: 2, items: [] });
  });

  it('offers introduction paths through whom', () => {
    const g = network();
    expect(g.introductions(ana, cy, 5)).toEqual([[bo]]);
    expect(g.introductions(ana, eve, 5)).toEqual([[fay, dee]]);
    expect(g.introductions(bo, eve, 5)).toEqual([
      [cy, dee],
      [fay, dee],
    ]);
    expect(g.introductions(bo, eve, 1)).toEqual([[cy, dee]]);
    expect(g.introductions(ana, bo, 5)).toEqual([]); // already connected
  });

  it('counts the 2nd-degree network and suggests people by mutual connections', () => {
    const g = network();
    expect(g.secondDegreeSize(ana)).toBe(2); // cy, dee
    expect(g.suggestions(ana)).toEqual([
      { id: cy, mutualConnections: 1 },
      { id: dee, mutualConnections: 1 },
    ]);
    expect(g.suggestions(cy)).toEqual([
      { id: fay, mutualConnections: 2 },
      { id: ana, mutualConnections: 1 },
      { id: eve, mutualConnections: 1 },
    ]);
    // The caller excludes pending invitations and members who ignored the viewer's invitation.
    expect(g.suggestions(cy, { exclude: (id) => id === fay, limit: 1 })).toEqual([{ id: ana, mutualConnections: 1 }]);
  });

  it('hides a deactivated member everywhere, as if its edges did not exist, until reactivated', () => {
    const g = network();
    g.setHidden(fay, true);
    expect(g.degree(ana, fay)).toBeNull();
    expect(g.degree(ana, dee)).toBe(3); // no longer via fay: ana-bo-cy-dee
    expect(g.degree(ana, eve)).toBeNull();
    expect(g.mutuals(bo, dee)).toEqual({ count: 1, items: [cy] });
    expect(g.connectionsOf(ana)).toEqual([bo]);
    expect(g.connectionCount(ana)).toBe(2); // the stored fact
    expect(g.degree(fay, ana)).toBeNull(); // a hidden viewer sees nothing
    g.setHidden(fay, false);
    expect(g.degree(ana, eve)).toBe(3);
  });

  it('blocks hide both members from each other, drop their connection and follows, and restore nothing', () => {
    const g = network();
    g.addFollow(ana, bo);
    g.addBlock(bo, ana);
    expect(g.isBlockedEitherWay(ana, bo)).toBe(true);
    expect(g.hasBlocked(ana, bo)).toBe(false);
    expect(g.isConnected(ana, bo)).toBe(false);
    expect(g.isFollowing(ana, bo)).toBe(false);
    expect(g.degree(ana, bo)).toBeNull();
    expect(g.degree(bo, ana)).toBeNull();
    expect(g.mutuals(ana, fay).items).not.toContain(bo);
    expect(g.mutuals(fay, cy).items).toEqual([bo, dee]); // others still see bo
    expect(g.introductions(ana, cy, 5)).toEqual([[fay, dee]]); // not via bo, for ana
    expect(g.addConnection(ana, bo)).toBe(false); // refused while blocked
    g.removeBlock(bo, ana);
    expect(g.degree(ana, bo)).toBe(2); // via fay; the connection is not restored
  });

  it('applies incremental changes at once and keeps answering across compaction', () => {
    const g = network();
    g.addConnection(gus, eve);
    expect(g.degree(ana, gus)).toBeNull(); // ana-fay-dee-eve-gus is 4 hops
    expect(g.degree(dee, gus)).toBe(2);
    g.addConnection(gus, 5); // a new member with a smaller id than every other
    g.addConnection(5, ana);
    expect(g.degree(ana, gus)).toBe(2);
    expect(g.mutuals(ana, gus).items).toEqual([5]);
    g.compact();
    expect(g.degree(ana, gus)).toBe(2);
    expect(g.connectionsOf(ana)).toEqual([5, bo, fay]);
    expect(g.stats()).toMatchObject({ members: 8, connections: 10, overlayCells: 0 });
    g.removeConnection(5, ana);
    expect(g.degree(ana, gus)).toBeNull();
  });

  it('answers follows and groups', () => {
    const g = network();
    expect(g.isFollowing(gus, ana)).toBe(true);
    expect(g.isFollowing(ana, gus)).toBe(false);
    expect(g.sharedGroupCount(ana, gus)).toBe(2);
    g.leaveGroup(2, gus);
    expect(g.sharedGroupCount(ana, gus)).toBe(1);
    expect(g.isGroupMember(1, gus)).toBe(true);
    g.joinGroup(7, bo);
    expect(g.isGroupMember(7, bo)).toBe(true);
  });

  it('compacts on its own once the overlay passes the threshold', () => {
    const g = new GraphIndex({ compactThreshold: 32, autoCompact: 'sync' });
    for (let i = 1; i <= 40; i++) g.addConnection(i, i + 1);
    expect(g.stats().compactions).toBeGreaterThan(0);
    expect(g.degree(1, 4)).toBe(3);
  });

  it('rejects invalid ids on writes and streams pairs through a PairBuffer', () => {
    const g = new GraphIndex();
    expect(() => g.addConnection(0, 1)).toThrow(RangeError);
    expect(() => g.addConnection(1.5, 2)).toThrow(RangeError);
    expect(() => GraphIndex.fromEdges({ connections: [1, -2] })).toThrow(RangeError);
    const buf = new PairBuffer(1);
    for (let i = 1; i < 100; i++) buf.push(i, i + 1);
    const phases: string[] = [];
    const h = GraphIndex.fromEdges({ connections: buf.view() }, { onProgress: (p) => phases.push(p) });
    expect(h.degree(1, 3)).toBe(2);
    expect(h.connectionCount(50)).toBe(2);
    expect(phases).toEqual(['ids', 'connections', 'follows', 'groups', 'blocks']);
  });
});
