// Keeps the layer picture current: engine events (pull, run, commit, build, rm ...) and the
// learner's finished commands trigger a refresh, debounced so a burst — a build emits dozens
// of events — costs one read, and capped so the picture is never more than ~1 s behind.
import type { Agent } from "../engine/agent.ts";
import type { DockerEngine } from "../engine/docker.ts";
import type { AgentEvent } from "../vm/protocol.ts";
import { addedLayers, buildPicture, type LayerPicture } from "./model.ts";
import { LayerReader } from "./source.ts";

export interface LayersFeedOptions {
  /** Quiet time after the last event before reading. */
  debounceMs?: number;
  /** Longest wait from the first event of a burst. */
  maxWaitMs?: number;
}

export interface LayersUpdate {
  picture: LayerPicture;
  /** Layer keys that were not there before this update. */
  added: Set<string>;
  /** Layer keys that went away. */
  removed: Set<string>;
}

/** Which agent events can change what the panel shows. */
export function affectsLayers(event: AgentEvent): boolean {
  if (event.event === "docker")
    return event.data.Type === "image" || event.data.Type === "container";
  // A finished command may have changed files inside a running container without an event.
  return event.event === "command" || event.event === "hello" || event.event === "dockerd";
}

export class LayersFeed {
  readonly reader: LayerReader;
  picture: LayerPicture | undefined;
  error: string | undefined;
  readonly #agent: Agent;
  readonly #debounceMs: number;
  readonly #maxWaitMs: number;
  readonly #listeners = new Set<(update: LayersUpdate) => void>();
  readonly #errorListeners = new Set<(error: string) => void>();
  #off: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #burstStart = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #active = false;
  #dirty = true;
  #abort = new AbortController();

  constructor(engine: DockerEngine, options: LayersFeedOptions = {}) {
    this.reader = new LayerReader(engine);
    this.#agent = engine.agent;
    this.#debounceMs = options.debounceMs ?? 150;
    this.#maxWaitMs = options.maxWaitMs ?? 600;
    this.#off = this.#agent.onEvent((event) => {
      if (!affectsLayers(event)) return;
      if (event.event === "hello") this.reader.clear();
      this.#dirty = true;
      if (this.#active) this.#schedule();
    });
  }

  /** Subscribe to new pictures; returns unsubscribe. */
  onUpdate(listener: (update: LayersUpdate) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onError(listener: (error: string) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Only a visible panel reads the engine. Showing it reads again even without events: a
   * machine reset restores another engine state and tells nobody.
   */
  setActive(active: boolean): void {
    const shown = active && !this.#active;
    this.#active = active;
    if (shown || (active && this.#dirty)) void this.refresh();
  }

  /** Reads the engine now (or right after the read in flight) and publishes the picture. */
  refresh(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#dirty = false;
    this.#running = this.#read().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        void this.refresh();
      }
    });
    return this.#running;
  }

  #schedule(): void {
    const now = Date.now();
    if (this.#timer === undefined) this.#burstStart = now;
    clearTimeout(this.#timer);
    const wait = Math.max(0, Math.min(this.#debounceMs, this.#burstStart + this.#maxWaitMs - now));
    this.#timer = setTimeout(() => void this.refresh(), wait);
  }

  async #read(): Promise<void> {
    try {
      const picture = buildPicture(await this.reader.snapshot(this.#abort.signal));
      const before = this.picture;
      this.picture = picture;
      this.error = undefined;
      const added = addedLayers(before, picture);
      const removed = before ? addedLayers(picture, before) : new Set<string>();
      for (const l of this.#listeners) l({ picture, added, removed });
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      this.error = error instanceof Error ? error.message : String(error);
      this.#dirty = true;
      for (const l of this.#errorListeners) l(this.error);
    }
  }

  dispose(): void {
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#off?.();
    this.#off = undefined;
    this.#listeners.clear();
    this.#errorListeners.clear();
  }
}
