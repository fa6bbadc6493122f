// Where packs come from: the built-in `lessons/` folder (bundled by Vite), a teacher's folder
// of the same format, or a static URL serving the JSON that `lint-lessons --json` writes.
import {
  parsePack,
  parsePackJson,
  type PackEntries,
  type ParseOptions,
  type ParseResult,
} from "./parse.ts";

/**
 * Turn `import.meta.glob("/lessons/**\/*", { query: "?raw", import: "default", eager: true })`
 * (or any path → text record) into pack entries relative to `root`.
 */
export function entriesFromRecord(files: Record<string, string>, root: string): PackEntries {
  const prefix = root.endsWith("/") ? root : `${root}/`;
  const entries: PackEntries = new Map();
  for (const [path, text] of Object.entries(files)) {
    if (path.startsWith(prefix)) entries.set(path.slice(prefix.length), text);
  }
  return entries;
}

export function parsePackRecord(
  files: Record<string, string>,
  root: string,
  options?: ParseOptions,
): ParseResult {
  return parsePack(entriesFromRecord(files, root), options);
}

/** Fetch and validate a teacher's built pack from a static URL. */
export async function loadPackFromUrl(
  url: string,
  options: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<ParseResult & { name?: string }> {
  const doFetch = options.fetch ?? fetch;
  let json: unknown;
  try {
    const res = await doFetch(url, { signal: options.signal });
    if (!res.ok)
      return {
        lessons: [],
        errors: [{ file: url, line: 1, message: `the server answered ${res.status}` }],
      };
    json = await res.json();
  } catch (err) {
    if (options.signal?.aborted) throw err;
    const text = err instanceof Error ? err.message : String(err);
    return {
      lessons: [],
      errors: [{ file: url, line: 1, message: `could not load the pack: ${text}` }],
    };
  }
  return parsePackJson(json, url);
}
