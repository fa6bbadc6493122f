// Keeps an editor's picture of the workspace current: after every command the learner finishes
// (the agent reports it) and after the guest restarts, the folder is listed again, and listeners
// hear about it only when something changed. Saves go straight to the guest (GuestFiles.write).
import type { AgentEvent } from "../vm/protocol.ts";
import { GuestFiles, fingerprint, type WorkspaceEntry } from "./guest-files.ts";

export interface WorkspaceEvents {
  onEvent(listener: (event: AgentEvent) => void): () => void;
}

export class WorkspaceSync {
  entries: WorkspaceEntry[] = [];
  readonly files: GuestFiles;
  /** Undefined until the first listing, which is always news. */
  #print: string | undefined;
  #listeners = new Set<(entries: WorkspaceEntry[]) => void>();
  #off: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(
    files: GuestFiles,
    events: WorkspaceEvents,
    readonly debounceMs = 100,
  ) {
    this.files = files;
    this.#off = events.onEvent((event) => {
      if (event.event === "command" || event.event === "hello") this.#schedule();
    });
  }

  /** Hear about a changed workspace (files added, removed, renamed, resized or touched). */
  onChange(listener: (entries: WorkspaceEntry[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Lists the folder now; overlapping calls share one listing plus one more after it. */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          this.accept(await this.files.list());
        } while (this.#again);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /**
   * Takes a listing made elsewhere (it must be of the folder as it is now) as if refresh() had
   * made it: each listing is a command in the guest, which costs seconds right after a restore.
   */
  accept(entries: WorkspaceEntry[]): void {
    const print = fingerprint(entries);
    if (print === this.#print) return;
    this.#print = print;
    this.entries = entries;
    for (const listener of this.#listeners) listener(entries);
  }

  /** Saves a file into the guest; resolves once `cat` there would show it. */
  async save(path: string, content: Uint8Array | string): Promise<void> {
    await this.files.write(path, content);
    await this.refresh();
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#off();
    this.#listeners.clear();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh().catch(() => {}), this.debounceMs);
  }
}
