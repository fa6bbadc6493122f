// Reads what the Layers panel needs from the real engine, through the agent. An image never
// changes for a given ID, so its inspect, history and config are read once and kept; each
// refresh reads only the image and container lists and the containers' diffs.
import type { DockerEngine } from "../engine/docker.ts";
import type { ImageSummary } from "../engine/types.ts";
import type {
  ConfigHistoryItem,
  ContainerRecord,
  EngineSnapshot,
  ImageInspectWithDirs,
  ImageRecord,
} from "./model.ts";

/** Where dockerd (overlay2) keeps image configs in the guest. */
export const IMAGEDB = "/var/lib/docker/image/overlay2/imagedb/content/sha256";

/** Prints a JSON array with each config (or null when unreadable), in argument order. */
export const CONFIGS_SCRIPT =
  'd=$1; shift; printf "["; s=; for f; do printf "%s" "$s"; ' +
  'cat "$d/$f" 2>/dev/null || printf null; s=,; done; printf "]"';

/**
 * Lists a layer directory (perl: the guest's one scripting tool that is surely there): one
 * `path<TAB>type<TAB>size` line per path in tree order, at most $2 of them, then `#total N`.
 * Type f file, d dir, l link, c char device (an overlay whiteout: the layer deletes that path).
 */
export const FILES_SCRIPT = [
  "my ($dir, $max) = @ARGV; chdir $dir or exit 3; my ($total, @out) = (0);",
  "sub walk { my $p = shift; opendir(my $d, $p eq '' ? '.' : $p) or return;",
  " for my $e (sort grep { $_ ne '.' && $_ ne '..' } readdir $d) {",
  "  my $r = $p eq '' ? $e : \"$p/$e\"; my @st = lstat $r; $total++;",
  "  my $t = -l _ ? 'l' : -d _ ? 'd' : -c _ ? 'c' : -f _ ? 'f' : 'o';",
  "  push @out, \"$r\\t$t\\t$st[7]\\n\" if @out < $max; walk($r) if $t eq 'd' } }",
  "walk(''); print @out; print \"#total $total\\n\";",
].join("\n");

export type LayerFileKind = "file" | "dir" | "link" | "deleted" | "other";

export interface LayerFile {
  path: string;
  kind: LayerFileKind;
  size: number;
}

export interface LayerFiles {
  entries: LayerFile[];
  /** How many paths the layer holds in all. */
  total: number;
  truncated: boolean;
}

export class LayerReader {
  readonly engine: DockerEngine;
  readonly #records = new Map<string, ImageRecord>();

  constructor(engine: DockerEngine) {
    this.engine = engine;
  }

  /** Forget cached images (after a machine reset nothing cached can be trusted). */
  clear(): void {
    this.#records.clear();
  }

  async snapshot(signal?: AbortSignal): Promise<EngineSnapshot> {
    const [images, containers] = await Promise.all([
      this.engine.images(),
      this.engine.containers(),
    ]);
    signal?.throwIfAborted();
    await this.#readImages(images.filter((i) => !this.#records.has(i.Id)));
    signal?.throwIfAborted();
    const listed = new Set(images.map((i) => i.Id));
    for (const id of this.#records.keys()) if (!listed.has(id)) this.#records.delete(id);
    const withChanges: ContainerRecord[] = await Promise.all(
      containers.map(async (summary) => ({
        summary,
        // A container being removed has no diff any more; it is drawn without one.
        changes: await this.engine.changes(summary.Id).catch(() => []),
      })),
    );
    signal?.throwIfAborted();
    return { images, records: new Map(this.#records), containers: withChanges };
  }

  async #readImages(images: ImageSummary[]): Promise<void> {
    if (images.length === 0) return;
    const configs = await this.#configs(images.map((i) => i.Id));
    await Promise.all(
      images.map(async (image, k) => {
        const [inspect, history] = await Promise.all([
          this.engine.image(image.Id) as Promise<ImageInspectWithDirs | undefined>,
          this.engine.history(image.Id).catch(() => []),
        ]);
        if (!inspect) return; // removed meanwhile; the next refresh will not list it
        const record: ImageRecord = { inspect, history };
        const config = configs[k];
        if (config) record.configHistory = config;
        this.#records.set(image.Id, record);
      }),
    );
  }

  /** The configs' histories say which steps made no layer; the Engine API does not. */
  async #configs(ids: string[]): Promise<(ConfigHistoryItem[] | undefined)[]> {
    try {
      const hexes = ids.map((id) => id.replace(/^sha256:/, ""));
      const reply = await this.engine.exec(["sh", "-c", CONFIGS_SCRIPT, "sh", IMAGEDB, ...hexes]);
      const parsed = JSON.parse(reply.stdout) as ({ history?: ConfigHistoryItem[] } | null)[];
      return ids.map((_, i) => parsed[i]?.history);
    } catch {
      // Without configs the model falls back to telling empty steps by their command.
      return ids.map(() => undefined);
    }
  }

  /** The files a layer adds, changes or deletes, read from its directory in the guest. */
  async files(dir: string, limit = 400): Promise<LayerFiles> {
    const reply = await this.engine.exec(["perl", "-e", FILES_SCRIPT, dir, String(limit)], {
      timeoutMs: 60_000,
    });
    if (reply.exit !== 0)
      throw new Error(`cannot list ${dir}: ${reply.stderr.trim() || `exit ${reply.exit}`}`);
    return parseFiles(reply.stdout);
  }
}

const KINDS: Record<string, LayerFileKind> = { f: "file", d: "dir", l: "link", c: "deleted" };

export function parseFiles(stdout: string): LayerFiles {
  const entries: LayerFile[] = [];
  let total = 0;
  for (const line of stdout.split("\n")) {
    if (!line) continue;
    const t = /^#total (\d+)$/.exec(line);
    if (t) {
      total = Number(t[1]);
      continue;
    }
    const [path = "", type = "", size = "0"] = line.split("\t");
    const kind = KINDS[type] ?? "other";
    entries.push({ path, kind, size: kind === "file" ? Number(size) : 0 });
  }
  return { entries, total, truncated: total > entries.length };
}
