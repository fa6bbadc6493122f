// The Layers panel's state: the live picture from the engine, its layout, what is selected
// and the selected layer's files. Components only draw it.
import { agentOf, type AgentSource } from "../engine/agent.ts";
import { DockerEngine } from "../engine/docker.ts";
import { LayersFeed } from "../layers/live.ts";
import { layoutPicture, type Block, type Layout } from "../layers/layout.ts";
import type { LayerPicture } from "../layers/model.ts";
import type { LayerFiles } from "../layers/source.ts";

export type FilesState =
  | { dir: string; status: "loading" }
  | { dir: string; status: "done"; files: LayerFiles }
  | { dir: string; status: "error"; error: string };

/** How long a new layer stays highlighted. */
// Replaced whole on each update, never mutated: a plain Set in $state.raw is what is wanted.
const NONE: ReadonlySet<string> = new Set();

const HIGHLIGHT_MS = 2500;

export class LayersState {
  picture = $state.raw<LayerPicture | undefined>(undefined);
  layout = $derived<Layout | undefined>(this.picture ? layoutPicture(this.picture) : undefined);
  blocks = $derived<Block[]>(this.layout?.columns.flatMap((c) => c.blocks) ?? []);
  /** Layer keys that just appeared, highlighted for a moment. */
  added = $state.raw<ReadonlySet<string>>(NONE);
  error = $state<string | undefined>(undefined);
  loading = $state(false);
  view = $state<"picture" | "table">("picture");
  selectedId = $state<string | undefined>(undefined);
  selected = $derived<Block | undefined>(this.blocks.find((b) => b.id === this.selectedId));
  files = $state.raw<FilesState | undefined>(undefined);

  readonly feed: LayersFeed;
  #offs: (() => void)[] = [];
  #highlightTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(source: AgentSource) {
    this.feed = new LayersFeed(new DockerEngine(agentOf(source)));
    this.#offs.push(
      this.feed.onUpdate(({ picture, added }) => {
        this.picture = picture;
        this.error = undefined;
        this.loading = false;
        if (added.size > 0) {
          this.added = added;
          clearTimeout(this.#highlightTimer);
          this.#highlightTimer = setTimeout(() => (this.added = NONE), HIGHLIGHT_MS);
        }
        // A selection whose layer went away falls back to nothing rather than to a neighbour.
        if (this.selectedId && !this.blocks.some((b) => b.id === this.selectedId))
          this.select(undefined);
      }),
      this.feed.onError((error) => {
        this.error = error;
        this.loading = false;
      }),
    );
  }

  setActive(active: boolean): void {
    if (active && !this.picture) this.loading = true;
    this.feed.setActive(active);
  }

  refresh(): Promise<void> {
    this.loading = true;
    return this.feed.refresh();
  }

  select(id: string | undefined): void {
    this.selectedId = id;
    const block = this.blocks.find((b) => b.id === id);
    const dir = block?.kind === "layer" ? block.layer.dir : undefined;
    if (!dir) {
      this.files = undefined;
      return;
    }
    if (this.files?.dir === dir && this.files.status !== "error") return;
    this.files = { dir, status: "loading" };
    this.feed.reader.files(dir).then(
      (files) => {
        if (this.files?.dir === dir) this.files = { dir, status: "done", files };
      },
      (error: unknown) => {
        if (this.files?.dir === dir)
          this.files = {
            dir,
            status: "error",
            error: error instanceof Error ? error.message : String(error),
          };
      },
    );
  }

  dispose(): void {
    clearTimeout(this.#highlightTimer);
    for (const off of this.#offs) off();
    this.feed.dispose();
  }
}
