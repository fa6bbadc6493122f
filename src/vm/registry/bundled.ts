// The images built by `npm run build:images`: images-out/index.json says what exists, and the
// blobs are static files fetched only when a pull asks for them.
import type { Digest } from "./digest.ts";

/** images-out/index.json, as scripts/build-images.mjs writes it. */
export interface BundledIndex {
  schemaVersion: 1;
  created: string;
  repositories: Record<
    string,
    {
      description: string;
      official: boolean;
      tags: Record<string, Digest>;
      manifests: Record<Digest, { size: number; mediaType: string }>;
      compressedBytes: number;
      unpackedBytes: number;
    }
  >;
  /** Every blob (manifests included) with its size. */
  blobs: Record<Digest, number>;
  totalBlobBytes: number;
}

/** Gets the bytes of one bundled blob; the registry verifies the digest. */
export type BlobFetcher = (digest: Digest, signal?: AbortSignal) => Promise<Uint8Array>;

/** Bundled blobs served as static files: `${baseUrl}/blobs/sha256/<hex>`. */
export function httpBlobFetcher(baseUrl: string, fetchImpl: typeof fetch = fetch): BlobFetcher {
  const base = baseUrl.replace(/\/$/, "");
  return async (digest, signal) => {
    const url = `${base}/blobs/sha256/${digest.slice("sha256:".length)}`;
    const res = await fetchImpl(url, { signal });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}

/** Bundled blobs read from an images-out/ folder in Node; `readFile` is fs.promises.readFile. */
export function fileBlobFetcher(
  dir: string,
  readFile: (path: string) => Promise<Uint8Array>,
): BlobFetcher {
  return async (digest) =>
    new Uint8Array(await readFile(`${dir}/blobs/sha256/${digest.slice("sha256:".length)}`));
}

export interface BundledImages {
  index: BundledIndex;
  fetchBlob: BlobFetcher;
}
