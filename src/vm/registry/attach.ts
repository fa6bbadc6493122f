// Wiring for the two places a registry runs: the app's worker (bundled blobs over HTTP,
// IndexedDB storage) and Node (images-out/ on disk, memory or directory storage).
import { httpBlobFetcher, type BlobFetcher, type BundledIndex } from "./bundled.ts";
import { Registry, type RegistryOptions } from "./registry.ts";
import { serveRegistry, type ServeOptions, type V86Bus } from "./server.ts";
import type { RegistryStore } from "./store.ts";

export interface AttachOptions extends ServeOptions {
  store: RegistryStore;
  index?: BundledIndex;
  fetchBlob?: BlobFetcher;
  maxUploadBytes?: number;
  onRequest?: RegistryOptions["onRequest"];
  onMissingImage?: RegistryOptions["onMissingImage"];
  onStorageFull?: RegistryOptions["onStorageFull"];
}

/** Puts a registry on the emulator's network (registry.local:5000 in the guest). */
export function attachRegistry(
  emulator: V86Bus,
  opts: AttachOptions,
): { registry: Registry; dispose(): void } {
  const bundled =
    opts.index && opts.fetchBlob ? { index: opts.index, fetchBlob: opts.fetchBlob } : undefined;
  const registry = new Registry({
    store: opts.store,
    bundled,
    maxUploadBytes: opts.maxUploadBytes,
    onRequest: opts.onRequest,
    onMissingImage: opts.onMissingImage,
    onStorageFull: opts.onStorageFull,
  });
  const server = serveRegistry(emulator, registry, opts);
  return { registry, dispose: server.dispose };
}

/** Reads `${baseUrl}/index.json` (what build-images.mjs wrote) and checks its shape. */
export async function loadBundledIndex(
  baseUrl: string,
  fetchImpl: typeof fetch = fetch,
  signal?: AbortSignal,
): Promise<BundledIndex> {
  const url = `${baseUrl.replace(/\/$/, "")}/index.json`;
  const res = await fetchImpl(url, { signal });
  if (!res.ok) throw new Error(`bundled images: GET ${url}: HTTP ${res.status}`);
  return checkIndex(await res.json(), url);
}

export function checkIndex(value: unknown, where: string): BundledIndex {
  const v = value as Partial<BundledIndex> | null;
  if (
    !v ||
    v.schemaVersion !== 1 ||
    typeof v.repositories !== "object" ||
    typeof v.blobs !== "object"
  ) {
    throw new Error(
      `bundled images: ${where} is not an index written by scripts/build-images.mjs (schemaVersion 1)`,
    );
  }
  return v as BundledIndex;
}

/** The app's registry: bundled images served from `baseUrl`, pushes kept in IndexedDB. */
export async function attachBrowserRegistry(
  emulator: V86Bus,
  opts: {
    baseUrl: string;
    signal?: AbortSignal;
    onRequest?: RegistryOptions["onRequest"];
    /** Show `missingImageAdvice(image, index)` to the learner. */
    onMissingImage?: RegistryOptions["onMissingImage"];
    /** Pulled blobs could not be kept: the next pull offline would fail. */
    onStorageFull?: RegistryOptions["onStorageFull"];
  },
) {
  const { IdbStore } = await import("./idb-store.ts");
  const [index, store] = await Promise.all([
    loadBundledIndex(opts.baseUrl, fetch, opts.signal),
    IdbStore.open(),
  ]);
  const attached = attachRegistry(emulator, {
    store,
    index,
    fetchBlob: httpBlobFetcher(opts.baseUrl),
    signal: opts.signal,
    onRequest: opts.onRequest,
    onMissingImage: opts.onMissingImage,
    onStorageFull: opts.onStorageFull,
  });
  return {
    ...attached,
    index,
    dispose() {
      attached.dispose();
      store.close();
    },
  };
}
