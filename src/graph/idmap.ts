/**
 * Open-addressing hash map from member id (positive 32-bit integer) to dense internal index.
 * Two Int32Arrays, linear probing, load factor <= 1/2: 16 bytes per member at worst.
 * Key 0 marks an empty slot (member ids are positive). Nothing is ever deleted: a member that
 * loses every edge keeps its index (cheap, and keeps indices stable between compactions).
 */
export class IdMap {
  private keys: Int32Array;
  private vals: Int32Array;
  private shift: number;
  size = 0;

  constructor(expected = 16) {
    let bits = 4;
    while (1 << bits < expected * 2) bits++;
    this.keys = new Int32Array(1 << bits);
    this.vals = new Int32Array(1 << bits);
    this.shift = 32 - bits;
  }

  /** Internal index of `id`, or -1. */
  get(id: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    let h = Math.imul(id, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = keys[h];
      if (k === id) return this.vals[h];
      if (k === 0) return -1;
      h = (h + 1) & mask;
    }
  }

  /** Sets id -> idx (id must be a positive int32). */
  set(id: number, idx: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const mask = keys.length - 1;
    let h = Math.imul(id, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = keys[h];
      if (k === id) {
        this.vals[h] = idx;
        return;
      }
      if (k === 0) {
        keys[h] = id;
        this.vals[h] = idx;
        this.size++;
        return;
      }
      h = (h + 1) & mask;
    }
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    const bits = 32 - this.shift + 1;
    this.keys = new Int32Array(1 << bits);
    this.vals = new Int32Array(1 << bits);
    this.shift = 32 - bits;
    this.size = 0;
    for (let i = 0; i < oldK.length; i++) if (oldK[i] !== 0) this.set(oldK[i], oldV[i]);
  }

  /** All keys, in no particular order. */
  keysArray(): Int32Array {
    const out = new Int32Array(this.size);
    let w = 0;
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== 0) out[w++] = this.keys[i];
    return out;
  }

  memoryBytes(): number {
    return this.keys.byteLength + this.vals.byteLength;
  }
}

/** True for a valid member/group id: an integer in 1 .. 2^31-1. */
export function isValidId(id: number): boolean {
  return Number.isInteger(id) && id > 0 && id <= 0x7fffffff;
}
