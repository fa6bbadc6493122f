// Test data: bytes that look random and do not compress, the same on every run.

/** Pseudo-random bytes (xorshift32), the same on every run. */
export function noise(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
