/** A brute-force reference model of the graph index: sets, maps and a plain BFS. */
export class Model {
  conn = new Map<number, Set<number>>();
  fol = new Set<string>();
  blk = new Set<string>();
  hidden = new Set<number>();
  groups = new Map<number, Set<number>>(); // member -> groups
  nodes = new Set<number>();
  private cache = new Map<number, Map<number, number>>();

  private nb(a: number): Set<number> {
    let s = this.conn.get(a);
    if (!s) this.conn.set(a, (s = new Set()));
    return s;
  }
  blockedEither(a: number, b: number): boolean {
    return this.blk.has(`${a},${b}`) || this.blk.has(`${b},${a}`);
  }
  addConnection(a: number, b: number): void {
    this.cache.clear();
    if (a === b || this.blockedEither(a, b)) return;
    this.nodes.add(a).add(b);
    this.nb(a).add(b);
    this.nb(b).add(a);
  }
  removeConnection(a: number, b: number): void {
    this.cache.clear();
    this.conn.get(a)?.delete(b);
    this.conn.get(b)?.delete(a);
  }
  addFollow(a: number, b: number): void {
    this.cache.clear();
    if (a === b || this.blockedEither(a, b)) return;
    this.fol.add(`${a},${b}`);
  }
  removeFollow(a: number, b: number): void {
    this.cache.clear();
    this.fol.delete(`${a},${b}`);
  }
  addBlock(a: number, b: number): void {
    this.cache.clear();
    if (a === b) return;
    this.blk.add(`${a},${b}`);
    this.removeConnection(a, b);
    this.removeFollow(a, b);
    this.removeFollow(b, a);
  }
  removeBlock(a: number, b: number): void {
    this.cache.clear();
    this.blk.delete(`${a},${b}`);
  }
  setHidden(a: number, h: boolean): void {
    this.cache.clear();
    if (h) this.hidden.add(a);
    else this.hidden.delete(a);
  }
  joinGroup(g: number, m: number): void {
    let s = this.groups.get(m);
    if (!s) this.groups.set(m, (s = new Set()));
    s.add(g);
  }
  leaveGroup(g: number, m: number): void {
    this.groups.get(m)?.delete(g);
  }

  neighbors(a: number): number[] {
    return [...(this.conn.get(a) ?? [])].sort((x, y) => x - y);
  }
  visibleTo(v: number, x: number): boolean {
    return !this.hidden.has(x) && !this.blockedEither(v, x);
  }
  /** Distances from v over members visible to v (hidden members' edges ignored). */
  bfs(v: number): Map<number, number> {
    const hit = this.cache.get(v);
    if (hit) return hit;
    const dist = new Map<number, number>();
    if (this.hidden.has(v)) return dist;
    dist.set(v, 0);
    let frontier = [v];
    for (let d = 1; frontier.length > 0; d++) {
      const next: number[] = [];
      for (const x of frontier) {
        for (const y of this.conn.get(x) ?? []) {
          if (dist.has(y) || !this.visibleTo(v, y)) continue;
          dist.set(y, d);
          next.push(y);
        }
      }
      frontier = next;
    }
    this.cache.set(v, dist);
    return dist;
  }
  degree(v: number, m: number): 1 | 2 | 3 | null {
    if (v === m || this.hidden.has(v) || !this.visibleTo(v, m)) return null;
    const d = this.bfs(v).get(m);
    return d !== undefined && d >= 1 && d <= 3 ? (d as 1 | 2 | 3) : null;
  }
  mutuals(v: number, m: number): number[] {
    if (v === m || this.hidden.has(v) || !this.visibleTo(v, m)) return [];
    const mm = this.conn.get(m) ?? new Set();
    return this.neighbors(v).filter((x) => mm.has(x) && this.visibleTo(v, x));
  }
  /** All introduction paths, lexicographic. */
  paths(v: number, m: number): number[][] {
    const d = this.degree(v, m);
    if (d === 2) return this.mutuals(v, m).map((x) => [x]);
    if (d !== 3) return [];
    const out: number[][] = [];
    const mm = this.conn.get(m) ?? new Set();
    for (const x of this.neighbors(v)) {
      if (!this.visibleTo(v, x)) continue;
      for (const y of this.neighbors(x)) {
        if (y !== v && mm.has(y) && this.visibleTo(v, y)) out.push([x, y]);
      }
    }
    return out;
  }
  secondDegreeSize(v: number): number {
    return this.layer(v, 2).length;
  }
  /** The members at distance exactly `d` (ascending ids). */
  layer(v: number, d: number): number[] {
    return [...this.bfs(v)]
      .filter(([, x]) => x === d)
      .map(([id]) => id)
      .sort((a, b) => a - b);
  }
  suggestions(v: number, exclude?: (id: number) => boolean): { id: number; mutualConnections: number }[] {
    const out: { id: number; mutualConnections: number }[] = [];
    for (const [id, d] of this.bfs(v)) {
      if (d !== 2 || (exclude && exclude(id))) continue;
      out.push({ id, mutualConnections: this.mutuals(v, id).length });
    }
    return out.sort((a, b) => b.mutualConnections - a.mutualConnections || a.id - b.id);
  }
  connectionsOf(v: number): number[] {
    if (this.hidden.has(v)) return [];
    return this.neighbors(v).filter((x) => this.visibleTo(v, x));
  }
  sharedGroupCount(a: number, b: number): number {
    if (a === b) return 0;
    const ga = this.groups.get(a) ?? new Set();
    let c = 0;
    for (const g of this.groups.get(b) ?? []) if (ga.has(g)) c++;
    return c;
  }
}
