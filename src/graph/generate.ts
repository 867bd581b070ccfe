/**
 * Deterministic generation of a professional-network-like graph (for `liaison seed` and the
 * benchmarks): power-law degrees (Chung–Lu with Pareto weights, alpha 2.5) and clustering (80% of
 * edges inside communities of ~500 members). Pure: a seed gives the same graph every time.
 */

/** A small, fast, seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Undirected edges over member indices 0..n-1 as flat pairs (i < j), without duplicates or loops,
 * about n * avgDegree / 2 of them.
 */
export function generateEdges(n: number, avgDegree: number, seed: number): Int32Array {
  const rnd = mulberry32(seed);
  if (n < 2 || avgDegree <= 0) return new Int32Array(0);
  const alpha = 2.5;
  const wMax = Math.max(1, Math.min(2000, n / 10));
  const w = new Float64Array(n);
  let wSum = 0;
  for (let i = 0; i < n; i++) {
    w[i] = Math.min(wMax, Math.pow(1 - rnd(), -1 / (alpha - 1)));
    wSum += w[i];
  }
  const scale = (n * avgDegree) / wSum;
  const stubCount = new Int32Array(n);
  let S = 0;
  for (let i = 0; i < n; i++) {
    stubCount[i] = Math.max(1, Math.round(w[i] * scale));
    S += stubCount[i];
  }
  const communities = Math.max(1, Math.round(n / 500));
  const comm = new Int32Array(n);
  for (let i = 0; i < n; i++) comm[i] = Math.floor(rnd() * communities);
  const cStart = new Int32Array(communities + 1);
  for (let i = 0; i < n; i++) cStart[comm[i] + 1] += stubCount[i];
  for (let c = 0; c < communities; c++) cStart[c + 1] += cStart[c];
  const fill = cStart.slice(0, communities);
  const stubs = new Int32Array(S);
  for (let i = 0; i < n; i++) for (let k = 0; k < stubCount[i]; k++) stubs[fill[comm[i]]++] = i;
  const target = Math.min(Math.round((n * avgDegree) / 2), (n * (n - 1)) / 2);
  // Keys a*n+b (exact below 2^53), sorted and de-duplicated (no Set, so millions of edges fit);
  // rounds top up what duplicates took away, then a random surplus is dropped.
  const draw = (): number => {
    for (;;) {
      const u = stubs[Math.floor(rnd() * S)];
      let v: number;
      if (rnd() < 0.8) {
        const c = comm[u];
        v = stubs[cStart[c] + Math.floor(rnd() * (cStart[c + 1] - cStart[c]))]!;
      } else v = stubs[Math.floor(rnd() * S)]!;
      if (u !== v) return u < v ? u * n + v : v * n + u;
    }
  };
  let unique = new Float64Array(0);
  for (let round = 0; round < 6 && unique.length < target; round++) {
    const want = Math.ceil((target - unique.length) * (round === 0 ? 1 : 1.5)) + 16;
    const keys = new Float64Array(unique.length + want);
    keys.set(unique);
    for (let k = unique.length; k < keys.length; k++) keys[k] = draw();
    keys.sort();
    let m = 0;
    for (let i = 0; i < keys.length; i++) if (i === 0 || keys[i] !== keys[i - 1]) keys[m++] = keys[i]!;
    unique = keys.slice(0, m);
  }
  let count = unique.length;
  if (count > target) {
    for (let i = 0; i < count - target; i++) {
      const j = i + Math.floor(rnd() * (count - i));
      const t = unique[i];
      unique[i] = unique[j]!;
      unique[j] = t;
    }
    unique = unique.subarray(count - target).sort();
    count = target;
  }
  const out = new Int32Array(2 * count);
  for (let i = 0; i < count; i++) {
    const key = unique[i];
    out[2 * i] = Math.floor(key / n);
    out[2 * i + 1] = key % n;
  }
  return out;
}
