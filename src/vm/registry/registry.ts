// A Docker Registry HTTP API v2 (plus the v1 search endpoint) that lives in the page. dockerd in
// the guest pulls, pushes and searches against it exactly as against Docker Hub. Transport-free:
// `handle()` takes a parsed request and returns a response; server.ts puts it on v86's network.
import type { MissingImage } from "./advice.ts";
import type { BundledImages } from "./bundled.ts";
import { isDigest, sha256Digest, type Digest } from "./digest.ts";
import { isQuotaError, RegistryError } from "./errors.ts";
import type { RegistryStore } from "./store.ts";

export interface RegistryRequest {
  method: string;
  /** Path and query, as on the request line. */
  target: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string>;
  /** Absent for HEAD and empty answers; Content-Length is always in `headers`. */
  body?: Uint8Array;
}

export const MEDIA_TYPES = {
  manifestV2: "application/vnd.docker.distribution.manifest.v2+json",
  manifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
} as const;
const MANIFEST_TYPES: ReadonlySet<string> = new Set(Object.values(MEDIA_TYPES));

export interface RegistryOptions {
  store: RegistryStore;
  bundled?: BundledImages;
  /** Largest single upload kept in memory before it is stored; beyond it the push is refused. */
  maxUploadBytes?: number;
  /** Called for every request, for logs and benchmarks. */
  onRequest?: (req: RegistryRequest, res: RegistryResponse, ms: number) => void;
  /**
   * Called when dockerd asks for a manifest that does not exist (once per image and few
   * seconds: dockerd asks the mirror and then Docker Hub's name, both land here).
   */
  onMissingImage?: (image: MissingImage) => void;
  /** Called when the store refuses bytes for lack of space (the page says what to delete). */
  onStorageFull?: (error: Error) => void;
}

interface Upload {
  repository: string;
  chunks: Uint8Array[];
  size: number;
}

// Repository names as the distribution spec allows them.
const NAME = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*";
const REF = "[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[0-9a-f]{64}";
const ROUTES = {
  manifest: new RegExp(`^/v2/(${NAME})/manifests/(${REF})$`),
  blob: new RegExp(`^/v2/(${NAME})/blobs/([^/]+)$`),
  uploads: new RegExp(`^/v2/(${NAME})/blobs/uploads/?$`),
  upload: new RegExp(`^/v2/(${NAME})/blobs/uploads/([0-9a-f-]{8,64})$`),
  tags: new RegExp(`^/v2/(${NAME})/tags/list$`),
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class Registry {
  private readonly store: RegistryStore;
  private readonly bundled?: BundledImages;
  private readonly uploads = new Map<string, Upload>();
  private readonly inflight = new Map<Digest, Promise<Uint8Array>>();
  private readonly maxUploadBytes: number;
  private readonly onRequest?: RegistryOptions["onRequest"];
  private readonly onMissingImage?: RegistryOptions["onMissingImage"];
  private readonly onStorageFull?: RegistryOptions["onStorageFull"];
  private readonly missingSeen = new Map<string, number>();

  constructor(opts: RegistryOptions) {
    this.store = opts.store;
    this.bundled = opts.bundled;
    this.maxUploadBytes = opts.maxUploadBytes ?? 1 << 30;
    this.onRequest = opts.onRequest;
    this.onMissingImage = opts.onMissingImage;
    this.onStorageFull = opts.onStorageFull;
  }

  private reportMissing(repository: string, reference: string): void {
    if (!this.onMissingImage) return;
    const key = `${repository}:${reference}`;
    const now = Date.now();
    if (now - (this.missingSeen.get(key) ?? -Infinity) < 10_000) return;
    this.missingSeen.set(key, now);
    this.onMissingImage({ repository, reference });
  }

  /** Answers one request. Never throws: every failure becomes a registry-style JSON error. */
  async handle(req: RegistryRequest): Promise<RegistryResponse> {
    const t0 = Date.now();
    let res: RegistryResponse;
    try {
      res = await this.route(req);
    } catch (e) {
      res = errorResponse(
        e instanceof RegistryError
          ? e
          : isQuotaError(e)
            ? new RegistryError(403, "DENIED", `storage quota exceeded: ${(e as Error).message}`)
            : new RegistryError(500, "UNKNOWN", `registry failure: ${(e as Error)?.message ?? e}`),
      );
    }
    if (req.method === "HEAD") delete res.body;
    res.headers["Docker-Distribution-API-Version"] = "registry/2.0";
    this.onRequest?.(req, res, Date.now() - t0);
    return res;
  }

  private async route(req: RegistryRequest): Promise<RegistryResponse> {
    const url = new URL(req.target, "http://registry.local");
    const path = url.pathname;
    const q = url.searchParams;
    const m = req.method;
    let r: RegExpMatchArray | null;

    if (path === "/v2/" || path === "/v2") {
      return only(m, ["GET", "HEAD"]) ?? json(200, {});
    }
    if (path === "/v2/_catalog") return only(m, ["GET", "HEAD"]) ?? (await this.catalog(q));
    if (path === "/v1/_ping") return only(m, ["GET", "HEAD"]) ?? json(200, true);
    if (path === "/v1/search") return only(m, ["GET", "HEAD"]) ?? (await this.search(q));

    if ((r = path.match(ROUTES.tags)))
      return only(m, ["GET", "HEAD"]) ?? (await this.tags(r[1]!, q));
    if ((r = path.match(ROUTES.manifest))) {
      const [, name, ref] = r as unknown as [string, string, string];
      if (m === "GET" || m === "HEAD") return this.getManifest(name, ref, m === "HEAD");
      if (m === "PUT") return this.putManifest(name, ref, req);
      return notAllowed(m, ["GET", "HEAD", "PUT"]);
    }
    if ((r = path.match(ROUTES.uploads))) {
      return only(m, ["POST"]) ?? (await this.startUpload(r[1]!, q, req));
    }
    if ((r = path.match(ROUTES.upload))) {
      const [, name, id] = r as unknown as [string, string, string];
      if (m === "GET") return this.uploadStatus(name, id);
      if (m === "PATCH") return this.patchUpload(name, id, req);
      if (m === "PUT") return this.finishUpload(name, id, q, req);
      if (m === "DELETE") return this.cancelUpload(id);
      return notAllowed(m, ["GET", "PATCH", "PUT", "DELETE"]);
    }
    if ((r = path.match(ROUTES.blob))) {
      const [, , digest] = r as unknown as [string, string, string];
      if (!isDigest(digest))
        throw new RegistryError(400, "DIGEST_INVALID", `invalid digest ${digest}`);
      return only(m, ["GET", "HEAD"]) ?? (await this.getBlob(digest, req));
    }
    throw new RegistryError(404, "UNSUPPORTED", `no such registry endpoint: ${m} ${path}`);
  }

  // -------------------------------------------------------------------------
  // Names, tags, catalog, search
  // -------------------------------------------------------------------------

  /** A bundled repository's entry; `nginx` also finds `library/nginx`, as Docker Hub does. */
  private bundledRepo(name: string) {
    const repos = this.bundled?.index.repositories;
    if (!repos) return undefined;
    return repos[name] ?? (name.includes("/") ? undefined : repos[`library/${name}`]);
  }

  private async resolveTag(name: string, tag: string): Promise<Digest | undefined> {
    return (await this.store.getTag(name, tag)) ?? this.bundledRepo(name)?.tags[tag];
  }

  private async catalog(q: URLSearchParams): Promise<RegistryResponse> {
    const names = new Set(await this.store.listRepositories());
    for (const n of Object.keys(this.bundled?.index.repositories ?? {})) names.add(n);
    let list = [...names].sort();
    const last = q.get("last");
    if (last) list = list.filter((n) => n > last);
    const n = Number(q.get("n") ?? "0");
    const headers: Record<string, string> = {};
    if (n > 0 && list.length > n) {
      list = list.slice(0, n);
      headers.Link = `</v2/_catalog?last=${encodeURIComponent(list[n - 1]!)}&n=${n}>; rel="next"`;
    }
    return json(200, { repositories: list }, headers);
  }

  private async tags(name: string, q: URLSearchParams): Promise<RegistryResponse> {
    const set = new Set(await this.store.listTags(name));
    const bundled = this.bundledRepo(name);
    for (const t of Object.keys(bundled?.tags ?? {})) set.add(t);
    if (set.size === 0)
      throw new RegistryError(
        404,
        "NAME_UNKNOWN",
        `repository name not known to registry: ${name}`,
      );
    let list = [...set].sort();
    const last = q.get("last");
    if (last) list = list.filter((t) => t > last);
    const n = Number(q.get("n") ?? "0");
    if (n > 0) list = list.slice(0, n);
    return json(200, { name, tags: list });
  }

  private async search(q: URLSearchParams): Promise<RegistryResponse> {
    const term = (q.get("q") ?? "").toLowerCase().replace(/^library\//, "");
    const limit = Math.max(1, Math.min(100, Number(q.get("n") ?? "25") || 25));
    const results: {
      name: string;
      description: string;
      star_count: number;
      is_official: boolean;
      is_automated: boolean;
    }[] = [];
    const seen = new Set<string>();
    for (const [repo, r] of Object.entries(this.bundled?.index.repositories ?? {})) {
      const name = repo.replace(/^library\//, "");
      if (!name.includes(term) && !r.description.toLowerCase().includes(term)) continue;
      seen.add(repo);
      results.push({
        name,
        description: r.description,
        star_count: 0,
        is_official: r.official,
        is_automated: false,
      });
    }
    for (const repo of await this.store.listRepositories()) {
      const name = repo.replace(/^library\//, "");
      if (seen.has(repo) || !name.includes(term)) continue;
      results.push({
        name,
        description: "",
        star_count: 0,
        is_official: false,
        is_automated: false,
      });
    }
    // The exact name first, then official images, then other names, then descriptions.
    const rank = (r: (typeof results)[number]) =>
      r.name === term
        ? 0
        : r.is_official && r.name.includes(term)
          ? 1
          : r.name.includes(term)
            ? 2
            : 3;
    results.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
    const page = results.slice(0, limit);
    return json(200, {
      num_pages: 1,
      num_results: page.length,
      page: 1,
      page_size: limit,
      query: term,
      results: page,
    });
  }

  // -------------------------------------------------------------------------
  // Manifests
  // -------------------------------------------------------------------------

  private async getManifest(name: string, ref: string, head: boolean): Promise<RegistryResponse> {
    const digest = isDigest(ref) ? ref : await this.resolveTag(name, ref);
    const unknown = () =>
      new RegistryError(404, "MANIFEST_UNKNOWN", "manifest unknown", {
        Tag: isDigest(ref) ? undefined : ref,
        Name: name,
      });
    if (!digest) {
      this.reportMissing(name, ref);
      if (!this.bundledRepo(name) && (await this.store.listTags(name)).length === 0) {
        throw new RegistryError(404, "NAME_UNKNOWN", `repository name not known to registry`, {
          name,
        });
      }
      throw unknown();
    }
    const stored = await this.store.getManifest(digest);
    let mediaType = stored?.mediaType;
    let bytes = stored?.bytes;
    if (!bytes) {
      const entry = this.bundledManifest(digest);
      if (!entry) throw unknown();
      mediaType = entry.mediaType;
      if (head) {
        // dockerd HEADs by tag first; the index knows the size, so nothing is fetched yet.
        const headers = {
          "Content-Type": mediaType,
          "Content-Length": String(entry.size),
          "Docker-Content-Digest": digest,
          ETag: `"${digest}"`,
        };
        return { status: 200, headers };
      }
      bytes = await this.fetchBundled(digest);
      await this.cache(() =>
        this.store.putManifest(digest, { mediaType: entry.mediaType, bytes: bytes! }),
      );
    }
    return {
      status: 200,
      headers: {
        "Content-Type": mediaType!,
        "Content-Length": String(bytes.length),
        "Docker-Content-Digest": digest,
        ETag: `"${digest}"`,
      },
      body: bytes,
    };
  }

  private bundledManifest(digest: Digest) {
    for (const r of Object.values(this.bundled?.index.repositories ?? {})) {
      const e = r.manifests[digest];
      if (e) return e;
    }
    return undefined;
  }

  private async putManifest(
    name: string,
    ref: string,
    req: RegistryRequest,
  ): Promise<RegistryResponse> {
    const bytes = req.body;
    let doc: {
      schemaVersion?: number;
      mediaType?: string;
      config?: { digest?: string };
      layers?: { digest?: string }[];
      manifests?: { digest?: string }[];
    };
    try {
      doc = JSON.parse(decoder.decode(bytes));
    } catch {
      throw new RegistryError(400, "MANIFEST_INVALID", "manifest invalid: not JSON");
    }
    const mediaType =
      (req.headers["content-type"] ?? "").split(";")[0]!.trim() || doc.mediaType || "";
    if (doc.schemaVersion !== 2 || !MANIFEST_TYPES.has(mediaType)) {
      throw new RegistryError(
        400,
        "MANIFEST_INVALID",
        `manifest invalid: unsupported manifest type "${mediaType}"`,
      );
    }
    const digest = await sha256Digest(bytes);
    if (isDigest(ref) && ref !== digest) {
      throw new RegistryError(
        400,
        "DIGEST_INVALID",
        `provided digest did not match uploaded content`,
        { expected: ref, got: digest },
      );
    }
    const refs = doc.manifests
      ? doc.manifests.map((x) => x.digest)
      : [doc.config?.digest, ...(doc.layers ?? []).map((l) => l.digest)];
    for (const d of refs) {
      if (typeof d !== "string" || !isDigest(d))
        throw new RegistryError(
          400,
          "MANIFEST_INVALID",
          "manifest invalid: bad digest in manifest",
        );
      const known = doc.manifests
        ? (await this.store.getManifest(d)) || this.bundledManifest(d)
        : await this.blobKnown(d);
      if (!known)
        throw new RegistryError(400, "MANIFEST_BLOB_UNKNOWN", `blob unknown to registry: ${d}`, {
          digest: d,
        });
    }
    await this.store.putManifest(digest, { mediaType, bytes });
    if (!isDigest(ref)) await this.store.putTag(name, ref, digest);
    return empty(201, {
      Location: `/v2/${name}/manifests/${digest}`,
      "Docker-Content-Digest": digest,
    });
  }

  // -------------------------------------------------------------------------
  // Blobs
  // -------------------------------------------------------------------------

  private async blobKnown(d: Digest): Promise<boolean> {
    return (
      (await this.store.blobSize(d)) !== undefined || this.bundled?.index.blobs[d] !== undefined
    );
  }

  private async getBlob(digest: Digest, req: RegistryRequest): Promise<RegistryResponse> {
    const size = (await this.store.blobSize(digest)) ?? this.bundled?.index.blobs[digest];
    if (size === undefined)
      throw new RegistryError(404, "BLOB_UNKNOWN", "blob unknown to registry", { digest });
    const base = {
      "Content-Type": "application/octet-stream",
      "Docker-Content-Digest": digest,
      "Accept-Ranges": "bytes",
      ETag: `"${digest}"`,
    };
    const range = parseRange(req.headers["range"], size);
    if (req.method === "HEAD")
      return { status: 200, headers: { ...base, "Content-Length": String(size) } };
    const bytes = await this.blobBytes(digest);
    if (range) {
      const part = bytes.subarray(range.start, range.end + 1);
      return {
        status: 206,
        headers: {
          ...base,
          "Content-Length": String(part.length),
          "Content-Range": `bytes ${range.start}-${range.end}/${size}`,
        },
        body: part,
      };
    }
    return {
      status: 200,
      headers: { ...base, "Content-Length": String(bytes.length) },
      body: bytes,
    };
  }

  private async blobBytes(digest: Digest): Promise<Uint8Array> {
    const have = await this.store.getBlob(digest);
    if (have) return have;
    const bytes = await this.fetchBundled(digest);
    await this.cache(() => this.store.putBlob(digest, bytes));
    return bytes;
  }

  /** Fetches a bundled blob once (concurrent requests share it) and checks its digest. */
  private fetchBundled(digest: Digest): Promise<Uint8Array> {
    let p = this.inflight.get(digest);
    if (!p) {
      const bundled = this.bundled;
      if (!bundled)
        throw new RegistryError(404, "BLOB_UNKNOWN", "blob unknown to registry", { digest });
      p = (async () => {
        let bytes: Uint8Array;
        try {
          bytes = await bundled.fetchBlob(digest);
        } catch (e) {
          throw new RegistryError(
            503,
            "UNKNOWN",
            `could not load bundled blob ${digest}: ${(e as Error).message}`,
          );
        }
        const got = await sha256Digest(bytes);
        if (got !== digest) {
          throw new RegistryError(
            502,
            "DIGEST_INVALID",
            `bundled blob failed verification: expected ${digest}, got ${got}`,
            {
              expected: digest,
              got,
            },
          );
        }
        return bytes;
      })().finally(() => this.inflight.delete(digest));
      this.inflight.set(digest, p);
    }
    return p;
  }

  /** Caching is best effort: a full quota must not fail a pull that has the bytes in hand. */
  private async cache(put: () => Promise<void>): Promise<void> {
    try {
      await put();
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      this.onStorageFull?.(e as Error);
    }
  }

  // -------------------------------------------------------------------------
  // Uploads (docker push)
  // -------------------------------------------------------------------------

  private async startUpload(
    name: string,
    q: URLSearchParams,
    req: RegistryRequest,
  ): Promise<RegistryResponse> {
    const mount = q.get("mount");
    if (mount && isDigest(mount) && (await this.blobKnown(mount))) {
      // Content-addressed store shared by all repositories: a mount is only a check.
      if ((await this.store.blobSize(mount)) === undefined)
        await this.store.putBlob(mount, await this.blobBytes(mount));
      return empty(201, { Location: `/v2/${name}/blobs/${mount}`, "Docker-Content-Digest": mount });
    }
    const digest = q.get("digest");
    if (digest) {
      // Monolithic upload: the whole blob in the POST body.
      const id = randomId();
      this.uploads.set(id, { repository: name, chunks: [], size: 0 });
      return this.finishUpload(name, id, q, req);
    }
    const id = randomId();
    this.uploads.set(id, { repository: name, chunks: [], size: 0 });
    return empty(202, {
      Location: `/v2/${name}/blobs/uploads/${id}`,
      "Docker-Upload-UUID": id,
      Range: "0-0",
    });
  }

  private upload(id: string): Upload {
    const u = this.uploads.get(id);
    if (!u)
      throw new RegistryError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", {
        uuid: id,
      });
    return u;
  }

  private uploadStatus(name: string, id: string): RegistryResponse {
    const u = this.upload(id);
    return empty(204, {
      Location: `/v2/${name}/blobs/uploads/${id}`,
      "Docker-Upload-UUID": id,
      Range: `0-${Math.max(u.size - 1, 0)}`,
    });
  }

  private append(id: string, u: Upload, req: RegistryRequest): void {
    const cr = req.headers["content-range"];
    if (cr) {
      const m = cr.match(/^(?:bytes )?(\d+)-(\d+)$/);
      if (!m || Number(m[1]) !== u.size) {
        throw new RegistryError(
          416,
          "BLOB_UPLOAD_INVALID",
          `chunk out of order: upload has ${u.size} bytes, chunk says ${cr}`,
          undefined,
          {
            Range: `0-${Math.max(u.size - 1, 0)}`,
            Location: `/v2/${u.repository}/blobs/uploads/${id}`,
          },
        );
      }
    }
    if (u.size + req.body.length > this.maxUploadBytes) {
      this.uploads.delete(id);
      throw new RegistryError(
        403,
        "DENIED",
        `storage quota exceeded: this sandbox keeps layers up to ${this.maxUploadBytes} bytes`,
      );
    }
    if (req.body.length) {
      u.chunks.push(req.body);
      u.size += req.body.length;
    }
  }

  private patchUpload(name: string, id: string, req: RegistryRequest): RegistryResponse {
    const u = this.upload(id);
    this.append(id, u, req);
    return empty(202, {
      Location: `/v2/${name}/blobs/uploads/${id}`,
      "Docker-Upload-UUID": id,
      Range: `0-${Math.max(u.size - 1, 0)}`,
    });
  }

  private async finishUpload(
    name: string,
    id: string,
    q: URLSearchParams,
    req: RegistryRequest,
  ): Promise<RegistryResponse> {
    const u = this.upload(id);
    const want = q.get("digest") ?? "";
    // Whatever happens now, the session ends: a failed upload leaves nothing behind.
    this.uploads.delete(id);
    if (!isDigest(want)) throw new RegistryError(400, "DIGEST_INVALID", `invalid digest "${want}"`);
    this.append(id, u, req);
    const bytes = concat(u.chunks, u.size);
    const got = await sha256Digest(bytes);
    if (got !== want) {
      throw new RegistryError(
        400,
        "DIGEST_INVALID",
        "provided digest did not match uploaded content",
        { expected: want, got },
      );
    }
    try {
      await this.store.putBlob(got, bytes);
    } catch (e) {
      if (isQuotaError(e)) {
        this.onStorageFull?.(e as Error);
        throw new RegistryError(
          403,
          "DENIED",
          `storage quota exceeded: the browser refused to keep ${bytes.length} more bytes`,
        );
      }
      throw e;
    }
    return empty(201, { Location: `/v2/${name}/blobs/${got}`, "Docker-Content-Digest": got });
  }

  private cancelUpload(id: string): RegistryResponse {
    this.upload(id);
    this.uploads.delete(id);
    return empty(204, {});
  }

  /** Uploads in progress, for tests. */
  get openUploads(): number {
    return this.uploads.size;
  }
}

// ---------------------------------------------------------------------------
// Response helpers
// ---------------------------------------------------------------------------

function json(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): RegistryResponse {
  const body = encoder.encode(JSON.stringify(value));
  return {
    status,
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": String(body.length),
      ...headers,
    },
    body,
  };
}

function empty(status: number, headers: Record<string, string>): RegistryResponse {
  return { status, headers: { "Content-Length": "0", ...headers } };
}

export function errorResponse(e: RegistryError): RegistryResponse {
  const err: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.detail !== undefined) err.detail = e.detail;
  const res = json(e.status, { errors: [err] }, e.headers);
  return res;
}

function notAllowed(method: string, allowed: string[]): never {
  throw new RegistryError(
    405,
    "UNSUPPORTED",
    `the operation is unsupported: ${method}`,
    undefined,
    { Allow: allowed.join(", ") },
  );
}

function only(method: string, allowed: string[]): RegistryResponse | undefined {
  if (!allowed.includes(method)) notAllowed(method, allowed);
  return undefined;
}

/** One `bytes=a-b` / `bytes=a-` / `bytes=-n` range; multiple ranges get the whole blob. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = header.trim().match(/^bytes=(\d*)-(\d*)$/);
  if (!m || (m[1] === "" && m[2] === "")) {
    if (/^bytes=.*,/.test(header)) return undefined;
    throw rangeError(header, size);
  }
  let start: number;
  let end: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) throw rangeError(header, size);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw rangeError(header, size);
  return { start, end };
}

function rangeError(header: string, size: number) {
  return new RegistryError(
    416,
    "RANGE_INVALID",
    `requested range not satisfiable: ${header}`,
    undefined,
    {
      "Content-Range": `bytes */${size}`,
    },
  );
}
