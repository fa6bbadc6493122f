import { describe, expect, it } from "vitest";
import {
  CHUNK_MAX,
  CHUNK_MIN,
  cutPoints,
  planCheckpoint,
  runBytes,
  type PackIndex,
} from "../../src/vm/worker/chunks.ts";
import { noise } from "../helpers/noise.ts";

const sizes = (ends: Uint32Array) => [...ends].map((e, i) => e - (i ? ends[i - 1]! : 0));

describe("cutPoints", () => {
  it("cuts every byte into chunks between the limits, the same way every time", () => {
    const data = noise(3_000_000);
    const ends = cutPoints(data);
    expect(ends.at(-1)).toBe(data.length);
    const s = sizes(ends);
    expect(Math.min(...s.slice(0, -1))).toBeGreaterThanOrEqual(CHUNK_MIN);
    expect(Math.max(...s)).toBeLessThanOrEqual(CHUNK_MAX);
    expect(ends.length).toBeGreaterThan(50); // about 12 KB each on random bytes
    expect(cutPoints(data)).toEqual(ends);
  });

  it("finds the same cuts again after bytes are inserted before them", () => {
    const data = noise(2_000_000);
    const shifted = new Uint8Array(data.length + 100);
    shifted.set(data.subarray(0, 1000));
    shifted.set(data.subarray(1000), 1100);
    const before = new Set([...cutPoints(data)].map((e) => e + 100));
    const after = [...cutPoints(shifted)];
    const same = after.filter((e) => before.has(e)).length;
    expect(same).toBeGreaterThan(after.length - 3);
  });

  it("cuts a run of zeros at the longest chunk", () => {
    expect(sizes(cutPoints(new Uint8Array(CHUNK_MAX * 2 + 5)))).toEqual([CHUNK_MAX, CHUNK_MAX, 5]);
  });
});

/** A state of chunks named by letters, each `size` bytes. */
function state(names: string, size = 100) {
  return {
    ends: Uint32Array.from([...names], (_, i) => (i + 1) * size),
    hashes: [...names],
  };
}

function index(id: string, names: string, size = 100): PackIndex {
  return {
    id,
    rawBytes: names.length * size,
    packedBytes: 0,
    checksum: "",
    hashes: [...names],
    offsets: Uint32Array.from([...names], (_, i) => i * size),
  };
}

let n = 0;
const id = () => `new${n++}`;

describe("planCheckpoint", () => {
  it("stores every chunk once in a new pack when nothing is stored", () => {
    const { ends, hashes } = state("abca");
    const { manifest, fresh } = planCheckpoint(ends, hashes, [], id);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.hashes).toEqual(["a", "b", "c"]);
    expect([...fresh[0]!.ranges]).toEqual([0, 100, 100, 200, 200, 300]);
    expect(manifest.packs).toEqual([fresh[0]!.id]);
    // a, b, c run on in the pack; the second a points back to the start.
    expect([...manifest.runs]).toEqual([0, 0, 300, 0, 0, 100]);
    expect(runBytes(manifest.runs)).toBe(manifest.rawBytes);
  });

  it("stores only what no pack holds, and reads the rest from the old pack", () => {
    const { ends, hashes } = state("abXd");
    const { manifest, fresh } = planCheckpoint(ends, hashes, [index("old", "abcd")], id);
    expect(fresh.map((p) => p.hashes)).toEqual([["X"]]);
    expect(manifest.packs).toEqual(["old", fresh[0]!.id]);
    expect([...manifest.runs]).toEqual([0, 0, 200, 1, 0, 100, 0, 300, 100]);
  });

  it("stores again what it uses of a pack it would barely use, so that pack can go", () => {
    const { ends, hashes } = state("aXYZ");
    const { manifest, fresh } = planCheckpoint(ends, hashes, [index("old", "abcd")], id);
    expect(fresh[0]!.hashes).toEqual(["a", "X", "Y", "Z"]);
    expect(manifest.packs).toEqual([fresh[0]!.id]);
  });

  it("starts another pack when one would grow past the limit", () => {
    const { ends, hashes } = state("abcde");
    const { manifest, fresh } = planCheckpoint(ends, hashes, [], id, {
      packMaxRaw: 250,
      minUse: 0.5,
    });
    expect(fresh.map((p) => p.hashes)).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(manifest.packs).toHaveLength(3);
    expect(runBytes(manifest.runs)).toBe(500);
  });
});
