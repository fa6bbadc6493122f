// Downloads one file with honest progress, resuming with a Range request after a broken
// connection, and checks its sha256 so a truncated or stale copy is never cached.

export interface DownloadOptions {
  /** Expected size; the progress bar's total. */
  size: number;
  sha256?: string;
  signal?: AbortSignal;
  onProgress?: (loaded: number, total: number) => void;
  /** Attempts after the first failure. */
  retries?: number;
  fetch?: typeof fetch;
}

export class DownloadError extends Error {
  override name = "DownloadError";
}

export async function download(url: string, options: DownloadOptions): Promise<Uint8Array> {
  const { size, signal, onProgress, retries = 3 } = options;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const bytes = new Uint8Array(size);
  let loaded = 0;
  let lastError: unknown;

  for (let attempt = 0; attempt <= retries; attempt++) {
    signal?.throwIfAborted();
    try {
      const headers: HeadersInit = loaded > 0 ? { Range: `bytes=${loaded}-` } : {};
      const response = await doFetch(url, { headers, signal, cache: "no-store" });
      if (loaded > 0 && response.status === 200) {
        // The server ignored the Range: start over, and say so through the progress bar.
        loaded = 0;
      } else if (!response.ok) {
        throw new DownloadError(`${url}: HTTP ${response.status}`);
      }
      onProgress?.(loaded, size);
      if (!response.body) throw new DownloadError(`${url}: empty response`);
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (loaded + value.byteLength > size)
          throw new DownloadError(`${url}: larger than the expected ${size} bytes`);
        bytes.set(value, loaded);
        loaded += value.byteLength;
        onProgress?.(loaded, size);
      }
      if (loaded !== size)
        throw new DownloadError(`${url}: connection closed at ${loaded} of ${size} bytes`);
      if (options.sha256) {
        const digest = await sha256Hex(bytes);
        if (digest !== options.sha256) {
          loaded = 0;
          throw new DownloadError(`${url}: sha256 ${digest}, expected ${options.sha256}`);
        }
      }
      return bytes;
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof DownloadError && /HTTP 4/.test(error.message)) throw error;
      lastError =
        error instanceof DownloadError
          ? error
          : new DownloadError(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw lastError instanceof Error ? lastError : new DownloadError(String(lastError));
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
