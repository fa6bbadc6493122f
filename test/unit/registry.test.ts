import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { BundledIndex } from "../../src/vm/registry/bundled.ts";
import type { Digest } from "../../src/vm/registry/digest.ts";
import { sha256Digest, sha256Fallback } from "../../src/vm/registry/digest.ts";
import { MEDIA_TYPES, Registry, type RegistryResponse } from "../../src/vm/registry/registry.ts";
import { MemoryStore } from "../../src/vm/registry/store.ts";
import { missingImageAdvice } from "../../src/vm/registry/advice.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}` as Digest;
const bytes = (s: string) => enc.encode(s);

/** A tiny bundled image set: library/nginx (2 layers, the first shared with library/debian). */
function fixture() {
  const blobs = new Map<Digest, Uint8Array>();
  const add = (b: Uint8Array) => {
    const d = sha(b);
    blobs.set(d, b);
    return d;
  };
  const base = bytes("base layer bytes ".repeat(20));
  const top = bytes("nginx layer");
  const cfg = bytes(JSON.stringify({ architecture: "386", os: "linux" }));
  const baseD = add(base);
  const topD = add(top);
  const cfgD = add(cfg);
  const man = bytes(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifestV2,
      config: {
        mediaType: "application/vnd.docker.container.image.v1+json",
        size: cfg.length,
        digest: cfgD,
      },
      layers: [
        {
          mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
          size: base.length,
          digest: baseD,
        },
        {
          mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
          size: top.length,
          digest: topD,
        },
      ],
    }),
  );
  const manD = add(man);
  const index: BundledIndex = {
    schemaVersion: 1,
    created: "2025-01-01T00:00:00Z",
    repositories: {
      "library/nginx": {
        description: "Official build of Nginx: a web server",
        official: true,
        tags: { latest: manD, "1.22": manD },
        manifests: { [manD]: { size: man.length, mediaType: MEDIA_TYPES.manifestV2 } },
        compressedBytes: 0,
        unpackedBytes: 0,
      },
    },
    blobs: Object.fromEntries([...blobs].map(([d, b]) => [d, b.length])),
    totalBlobBytes: 0,
  };
  const fetched: Digest[] = [];
  const corrupt = new Set<Digest>();
  const fetchBlob = async (d: Digest) => {
    fetched.push(d);
    const b = blobs.get(d);
    if (!b) throw new Error("missing");
    if (corrupt.has(d)) return bytes("tampered");
    return b;
  };
  return { index, fetchBlob, fetched, corrupt, base, baseD, top, topD, cfgD, man, manD };
}

function setup(quota?: number) {
  const f = fixture();
  const store = new MemoryStore(quota);
  const registry = new Registry({ store, bundled: { index: f.index, fetchBlob: f.fetchBlob } });
  const call = (
    method: string,
    target: string,
    opts: { headers?: Record<string, string>; body?: Uint8Array } = {},
  ) =>
    registry.handle({
      method,
      target,
      headers: opts.headers ?? {},
      body: opts.body ?? new Uint8Array(0),
    });
  return { ...f, store, registry, call };
}

function errors(res: RegistryResponse) {
  expect(res.headers["Content-Type"]).toMatch(/^application\/json/);
  return (JSON.parse(dec.decode(res.body)) as { errors: { code: string; message: string }[] })
    .errors;
}

describe("registry: base and manifests", () => {
  it("answers GET /v2/ with {} and the API version header", async () => {
    const { call } = setup();
    const res = await call("GET", "/v2/");
    expect(res.status).toBe(200);
    expect(dec.decode(res.body)).toBe("{}");
    expect(res.headers["Docker-Distribution-API-Version"]).toBe("registry/2.0");
  });

  it("HEAD of a manifest by tag gives type, digest and length but no body, and fetches nothing", async () => {
    const { call, manD, man, fetched } = setup();
    const res = await call("HEAD", "/v2/library/nginx/manifests/latest");
    expect(res.status).toBe(200);
    expect(res.headers["Content-Type"]).toBe(MEDIA_TYPES.manifestV2);
    expect(res.headers["Docker-Content-Digest"]).toBe(manD);
    expect(res.headers["Content-Length"]).toBe(String(man.length));
    expect(res.body).toBeUndefined();
    expect(fetched).toEqual([]);
  });

  it("GET of a manifest by tag and by digest returns bytes whose sha256 is the digest", async () => {
    const { call, manD } = setup();
    for (const ref of ["latest", "1.22", manD]) {
      const res = await call("GET", `/v2/library/nginx/manifests/${ref}`);
      expect(res.status).toBe(200);
      expect(sha(res.body!)).toBe(manD);
      expect(res.headers["Content-Length"]).toBe(String(res.body!.length));
    }
  });

  it("finds library images by their short name too", async () => {
    const { call, manD } = setup();
    const res = await call("GET", "/v2/nginx/manifests/latest");
    expect(res.headers["Docker-Content-Digest"]).toBe(manD);
  });

  it("unknown tag → 404 MANIFEST_UNKNOWN; unknown repository → 404 NAME_UNKNOWN", async () => {
    const { call } = setup();
    const tag = await call("GET", "/v2/library/nginx/manifests/9.9");
    expect(tag.status).toBe(404);
    expect(errors(tag)[0]!.code).toBe("MANIFEST_UNKNOWN");
    const repo = await call("GET", "/v2/library/ubuntu/manifests/14.04");
    expect(repo.status).toBe(404);
    expect(errors(repo)[0]!.code).toBe("NAME_UNKNOWN");
  });
});

describe("registry: blobs", () => {
  it("HEAD gives the size without fetching; GET fetches once, then serves from the store", async () => {
    const { call, baseD, base, fetched, store } = setup();
    const head = await call("HEAD", `/v2/library/nginx/blobs/${baseD}`);
    expect(head.status).toBe(200);
    expect(head.headers["Content-Length"]).toBe(String(base.length));
    expect(head.headers["Docker-Content-Digest"]).toBe(baseD);
    expect(head.body).toBeUndefined();
    expect(fetched).toEqual([]);
    const get1 = await call("GET", `/v2/library/nginx/blobs/${baseD}`);
    const get2 = await call("GET", `/v2/library/debian/blobs/${baseD}`);
    expect(sha(get1.body!)).toBe(baseD);
    expect(sha(get2.body!)).toBe(baseD);
    expect(fetched).toEqual([baseD]);
    expect(await store.blobSize(baseD)).toBe(base.length);
  });

  it("a bundled blob the store has no room for is still served, and the page is told", async () => {
    const f = fixture();
    const full: Error[] = [];
    const registry = new Registry({
      store: new MemoryStore(4),
      bundled: { index: f.index, fetchBlob: f.fetchBlob },
      onStorageFull: (e) => full.push(e),
    });
    const res = await registry.handle({
      method: "GET",
      target: `/v2/library/nginx/blobs/${f.baseD}`,
      headers: {},
      body: new Uint8Array(0),
    });
    expect(res.status).toBe(200);
    expect(sha(res.body!)).toBe(f.baseD);
    expect(full.map((e) => e.name)).toEqual(["StorageFullError"]);
  });

  it("concurrent GETs of one bundled blob share one fetch", async () => {
    const { call, topD, fetched } = setup();
    const rs = await Promise.all(
      [1, 2, 3].map(() => call("GET", `/v2/library/nginx/blobs/${topD}`)),
    );
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(fetched).toEqual([topD]);
  });

  it("serves Range requests: a-b, a-, -n; unsatisfiable → 416 with Content-Range */size", async () => {
    const { call, baseD, base } = setup();
    const url = `/v2/library/nginx/blobs/${baseD}`;
    const r1 = await call("GET", url, { headers: { range: "bytes=2-5" } });
    expect(r1.status).toBe(206);
    expect(r1.headers["Content-Range"]).toBe(`bytes 2-5/${base.length}`);
    expect([...r1.body!]).toEqual([...base.subarray(2, 6)]);
    const r2 = await call("GET", url, { headers: { range: `bytes=${base.length - 4}-` } });
    expect([...r2.body!]).toEqual([...base.subarray(base.length - 4)]);
    const r3 = await call("GET", url, { headers: { range: "bytes=-3" } });
    expect([...r3.body!]).toEqual([...base.subarray(base.length - 3)]);
    expect(r3.headers["Content-Length"]).toBe("3");
    const bad = await call("GET", url, { headers: { range: `bytes=${base.length}-` } });
    expect(bad.status).toBe(416);
    expect(bad.headers["Content-Range"]).toBe(`bytes */${base.length}`);
    expect(errors(bad)[0]!.code).toBe("RANGE_INVALID");
  });

  it("unknown blob → 404 with the registry error JSON", async () => {
    const { call } = setup();
    const res = await call("GET", `/v2/library/nginx/blobs/sha256:${"0".repeat(64)}`);
    expect(res.status).toBe(404);
    const e = errors(res);
    expect(e[0]!.code).toBe("BLOB_UNKNOWN");
    expect(e[0]!.message).toBe("blob unknown to registry");
    const bad = await call("GET", "/v2/library/nginx/blobs/sha256:xyz");
    expect(bad.status).toBe(400);
    expect(errors(bad)[0]!.code).toBe("DIGEST_INVALID");
  });

  it("a bundled blob that fails verification is an error, is not cached, and is fetched again next time", async () => {
    const { call, topD, corrupt, store, fetched } = setup();
    corrupt.add(topD);
    const res = await call("GET", `/v2/library/nginx/blobs/${topD}`);
    expect(res.status).toBe(502);
    expect(errors(res)[0]!.code).toBe("DIGEST_INVALID");
    expect(await store.blobSize(topD)).toBeUndefined();
    corrupt.clear();
    const again = await call("GET", `/v2/library/nginx/blobs/${topD}`);
    expect(again.status).toBe(200);
    expect(fetched).toEqual([topD, topD]);
  });
});

describe("registry: uploads (docker push)", () => {
  async function upload(
    call: ReturnType<typeof setup>["call"],
    repo: string,
    chunks: Uint8Array[],
    digest: string,
  ) {
    const start = await call("POST", `/v2/${repo}/blobs/uploads/`);
    expect(start.status).toBe(202);
    expect(start.headers["Range"]).toBe("0-0");
    const loc = start.headers["Location"]!;
    expect(loc).toMatch(new RegExp(`^/v2/${repo}/blobs/uploads/[0-9a-f-]+$`));
    let off = 0;
    for (const c of chunks) {
      const p = await call("PATCH", loc, {
        body: c,
        headers: { "content-range": `${off}-${off + c.length - 1}` },
      });
      expect(p.status).toBe(202);
      off += c.length;
      expect(p.headers["Range"]).toBe(`0-${off - 1}`);
    }
    return call("PUT", `${loc}?digest=${encodeURIComponent(digest)}`);
  }

  it("POST + chunked PATCH + PUT stores the blob under its digest", async () => {
    const { call, registry } = setup();
    const blob = bytes("a new layer, pushed in three chunks");
    const d = sha(blob);
    const put = await upload(
      call,
      "myapp",
      [blob.subarray(0, 5), blob.subarray(5, 20), blob.subarray(20)],
      d,
    );
    expect(put.status).toBe(201);
    expect(put.headers["Docker-Content-Digest"]).toBe(d);
    expect(put.headers["Location"]).toBe(`/v2/myapp/blobs/${d}`);
    const head = await call("HEAD", `/v2/myapp/blobs/${d}`);
    expect(head.status).toBe(200);
    expect(head.headers["Content-Length"]).toBe(String(blob.length));
    expect(registry.openUploads).toBe(0);
  });

  it("a PUT whose digest does not match is rejected and nothing is kept", async () => {
    const { call, registry, store } = setup();
    const blob = bytes("content");
    const wrong = sha(bytes("other content"));
    const put = await upload(call, "myapp", [blob], wrong);
    expect(put.status).toBe(400);
    expect(errors(put)[0]!.code).toBe("DIGEST_INVALID");
    expect(await store.blobSize(sha(blob))).toBeUndefined();
    expect(await store.blobSize(wrong)).toBeUndefined();
    expect(registry.openUploads).toBe(0);
  });

  it("an out-of-order chunk → 416 and the upload keeps what it had", async () => {
    const { call } = setup();
    const start = await call("POST", "/v2/myapp/blobs/uploads/");
    const loc = start.headers["Location"]!;
    await call("PATCH", loc, { body: bytes("abc"), headers: { "content-range": "0-2" } });
    const bad = await call("PATCH", loc, {
      body: bytes("xyz"),
      headers: { "content-range": "10-12" },
    });
    expect(bad.status).toBe(416);
    const status = await call("GET", loc);
    expect(status.status).toBe(204);
    expect(status.headers["Range"]).toBe("0-2");
  });

  it("monolithic POST ?digest= with the body", async () => {
    const { call } = setup();
    const blob = bytes("monolithic");
    const res = await call("POST", `/v2/myapp/blobs/uploads/?digest=${sha(blob)}`, { body: blob });
    expect(res.status).toBe(201);
  });

  it("cross-repository mount of a known blob → 201 without upload; unknown → 202 upload", async () => {
    const { call, baseD } = setup();
    const m = await call("POST", `/v2/myapp/blobs/uploads/?mount=${baseD}&from=library/nginx`);
    expect(m.status).toBe(201);
    expect(m.headers["Docker-Content-Digest"]).toBe(baseD);
    const u = await call(
      "POST",
      `/v2/myapp/blobs/uploads/?mount=sha256:${"1".repeat(64)}&from=library/nginx`,
    );
    expect(u.status).toBe(202);
  });

  it("a push beyond the storage quota → 403 DENIED, the store stays as it was", async () => {
    const { call, store, registry } = setup(100);
    const blob = new Uint8Array(1000).fill(7);
    const put = await upload(call, "big", [blob], sha(blob));
    expect(put.status).toBe(403);
    const e = errors(put)[0]!;
    expect(e.code).toBe("DENIED");
    expect(e.message).toMatch(/quota/);
    expect(store.bytesUsed).toBe(0);
    expect(registry.openUploads).toBe(0);
    // Still serving afterwards.
    expect((await call("GET", "/v2/")).status).toBe(200);
  });

  it("an unknown upload id → 404 BLOB_UPLOAD_UNKNOWN", async () => {
    const { call } = setup();
    const res = await call(
      "PATCH",
      "/v2/myapp/blobs/uploads/0123abcd-0000-0000-0000-000000000000",
      { body: bytes("x") },
    );
    expect(res.status).toBe(404);
    expect(errors(res)[0]!.code).toBe("BLOB_UPLOAD_UNKNOWN");
  });
});

describe("registry: pushed manifests, tags, catalog, search", () => {
  it("a manifest naming an unknown blob → 400 MANIFEST_BLOB_UNKNOWN; a good one → 201 and pullable", async () => {
    const { call, cfgD, baseD, index } = setup();
    const good = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifestV2,
        config: {
          mediaType: "application/vnd.docker.container.image.v1+json",
          size: 1,
          digest: cfgD,
        },
        layers: [
          {
            mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
            size: index.blobs[baseD],
            digest: baseD,
          },
        ],
      }),
    );
    const bad = bytes(dec.decode(good).replace(baseD, `sha256:${"2".repeat(64)}`));
    const headers = { "content-type": MEDIA_TYPES.manifestV2 };
    const r1 = await call("PUT", "/v2/myapp/manifests/v1", { body: bad, headers });
    expect(r1.status).toBe(400);
    expect(errors(r1)[0]!.code).toBe("MANIFEST_BLOB_UNKNOWN");
    const r2 = await call("PUT", "/v2/myapp/manifests/v1", { body: good, headers });
    expect(r2.status).toBe(201);
    expect(r2.headers["Docker-Content-Digest"]).toBe(sha(good));
    const back = await call("GET", "/v2/myapp/manifests/v1");
    expect(sha(back.body!)).toBe(sha(good));
    expect(back.headers["Content-Type"]).toBe(MEDIA_TYPES.manifestV2);
    const tags = await call("GET", "/v2/myapp/tags/list");
    expect(JSON.parse(dec.decode(tags.body))).toEqual({ name: "myapp", tags: ["v1"] });
    const cat = await call("GET", "/v2/_catalog");
    expect(JSON.parse(dec.decode(cat.body)).repositories).toEqual(["library/nginx", "myapp"]);
    const mismatch = await call("PUT", `/v2/myapp/manifests/sha256:${"3".repeat(64)}`, {
      body: good,
      headers,
    });
    expect(errors(mismatch)[0]!.code).toBe("DIGEST_INVALID");
    const notJson = await call("PUT", "/v2/myapp/manifests/v2", { body: bytes("{"), headers });
    expect(errors(notJson)[0]!.code).toBe("MANIFEST_INVALID");
  });

  it("tags/list of a bundled repo and of an unknown one", async () => {
    const { call } = setup();
    const res = await call("GET", "/v2/library/nginx/tags/list");
    expect(JSON.parse(dec.decode(res.body))).toEqual({
      name: "library/nginx",
      tags: ["1.22", "latest"],
    });
    const none = await call("GET", "/v2/nothing/tags/list");
    expect(none.status).toBe(404);
    expect(errors(none)[0]!.code).toBe("NAME_UNKNOWN");
  });

  it("v1 search lists bundled images with descriptions", async () => {
    const { call } = setup();
    const res = await call("GET", "/v1/search?q=nginx&n=25");
    const body = JSON.parse(dec.decode(res.body));
    expect(body.num_results).toBe(1);
    expect(body.results[0]).toEqual({
      name: "nginx",
      description: "Official build of Nginx: a web server",
      star_count: 0,
      is_official: true,
      is_automated: false,
    });
    const none = JSON.parse(dec.decode((await call("GET", "/v1/search?q=centos")).body));
    expect(none.results).toEqual([]);
  });

  it("unknown routes and methods → JSON errors (404 / 405), never a throw", async () => {
    const { call } = setup();
    for (const [m, p, status] of [
      ["GET", "/", 404],
      ["GET", "/v2/library/nginx/nonsense", 404],
      ["DELETE", "/v2/library/nginx/manifests/latest", 405],
      ["POST", "/v2/", 405],
      ["GET", "/v3/whatever?x=%zz", 404],
    ] as const) {
      const res = await call(m, p);
      expect(res.status, `${m} ${p}`).toBe(status);
      expect(errors(res)[0]!.code).toBe("UNSUPPORTED");
    }
  });
});

describe("sha256", () => {
  it("the pure-JS fallback matches node:crypto at block boundaries", async () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_000]) {
      const data = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 255);
      const want = createHash("sha256").update(data).digest("hex");
      expect(Buffer.from(sha256Fallback(data)).toString("hex"), `n=${n}`).toBe(want);
      expect(await sha256Digest(data)).toBe(`sha256:${want}`);
    }
  });
});

describe("missing images", () => {
  it("the registry reports a manifest 404 once, though dockerd asks twice", async () => {
    const f = fixture();
    const seen: string[] = [];
    const registry = new Registry({
      store: new MemoryStore(),
      bundled: { index: f.index, fetchBlob: f.fetchBlob },
      onMissingImage: (m) => seen.push(`${m.repository}:${m.reference}`),
    });
    const ask = (target: string) =>
      registry.handle({ method: "HEAD", target, headers: {}, body: new Uint8Array(0) });
    await ask("/v2/library/ubuntu/manifests/14.04");
    await ask("/v2/library/ubuntu/manifests/14.04");
    await ask("/v2/library/nginx/manifests/latest");
    expect(seen).toEqual(["library/ubuntu:14.04"]);
  });

  it("advice names what is here, the 32-bit limit and the closest image", () => {
    const { index } = fixture();
    index.repositories["library/debian"] = { ...index.repositories["library/nginx"]!, tags: {} };
    const ubuntu = missingImageAdvice({ repository: "library/ubuntu", reference: "14.04" }, index);
    expect(ubuntu.closest).toBe("debian");
    expect(ubuntu.message).toContain("32-bit x86");
    expect(ubuntu.message).toContain("nginx, debian");
    expect(ubuntu.available).toEqual(["nginx:latest", "nginx:1.22"]);
    const tag = missingImageAdvice({ repository: "library/nginx", reference: "1.25" }, index);
    expect(tag.knownTags).toEqual(["1.22", "latest"]);
    expect(tag.closest).toBe("nginx:latest");
    const other = missingImageAdvice({ repository: "someone/thing", reference: "latest" }, index);
    expect(other.closest).toBeUndefined();
  });
});

describe("search order", () => {
  it("puts the exact name first, then official images, then the rest", async () => {
    const { call } = setup();
    const manD = (await call("HEAD", "/v2/library/nginx/manifests/latest")).headers[
      "Docker-Content-Digest"
    ]!;
    const m = await call("GET", `/v2/library/nginx/manifests/${manD}`);
    await call("PUT", "/v2/mynginx/manifests/latest", {
      body: m.body!,
      headers: { "content-type": MEDIA_TYPES.manifestV2 },
    });
    const res = JSON.parse(dec.decode((await call("GET", "/v1/search?q=nginx")).body));
    expect(res.results.map((r: { name: string }) => r.name)).toEqual(["nginx", "mynginx"]);
  });
});
