import { describe, expect, it } from "vitest";
import { download, sha256Hex } from "../../src/vm/worker/download.ts";

const file = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);

/** A body that delivers `cut` bytes and then fails, like a dropped connection. */
function body(bytes: Uint8Array, cut = bytes.length) {
  const pieces = [bytes.slice(0, Math.min(cut, 40_000))];
  if (cut > 40_000) pieces.push(bytes.slice(40_000, cut));
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = pieces.shift();
      if (next) controller.enqueue(next);
      else if (cut < bytes.length) controller.error(new TypeError("network error"));
      else controller.close();
    },
  });
}

describe("download", () => {
  it("resumes a dropped download with a Range request and checks the hash", async () => {
    const ranges: (string | null)[] = [];
    let calls = 0;
    const fetch = (async (_u: string, init?: RequestInit) => {
      const range = new Headers(init?.headers).get("Range");
      ranges.push(range);
      if (calls++ === 0) return new Response(body(file, 60_000), { status: 200 });
      const from = Number(/bytes=(\d+)-/.exec(range!)![1]);
      return new Response(body(file.slice(from)), { status: 206 });
    }) as typeof globalThis.fetch;
    const progress: number[] = [];
    const got = await download("/s", {
      size: file.length,
      sha256: await sha256Hex(file),
      fetch,
      onProgress: (loaded) => progress.push(loaded),
    });
    expect(got).toEqual(file);
    expect(ranges).toEqual([null, "bytes=60000-"]);
    expect(progress.at(-1)).toBe(file.length);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
  });

  it("starts over honestly when the server ignores the Range", async () => {
    let calls = 0;
    const fetch = (async () =>
      new Response(body(file, calls++ === 0 ? 30_000 : file.length), {
        status: 200,
      })) as typeof globalThis.fetch;
    const progress: number[] = [];
    const got = await download("/s", {
      size: file.length,
      fetch,
      onProgress: (l) => progress.push(l),
    });
    expect(got).toEqual(file);
    expect(progress).toContain(0); // the bar went back to zero for the restart
  });

  it("refuses a file whose hash does not match, naming the file", async () => {
    const fetch = (async () =>
      new Response(body(file), { status: 200 })) as typeof globalThis.fetch;
    await expect(
      download("/vm/state/x.bin.zst", {
        size: file.length,
        sha256: "00".repeat(32),
        fetch,
        retries: 0,
      }),
    ).rejects.toThrow(/x\.bin\.zst: sha256 .* expected 0000/);
  });

  it("fails at once on HTTP 404 with the URL", async () => {
    const fetch = (async () => new Response("no", { status: 404 })) as typeof globalThis.fetch;
    await expect(download("/vm/state/missing", { size: 10, fetch })).rejects.toThrow(
      "/vm/state/missing: HTTP 404",
    );
  });
});
