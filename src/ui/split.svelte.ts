/** The split between the lesson pane and the terminals, as a fraction of the width. */
export class Split {
  fraction = $state(0.36);
  readonly min: number;
  readonly max: number;
  #storageKey: string;
  #storage: Pick<Storage, "getItem" | "setItem"> | undefined;

  constructor(
    storageKey: string,
    storage?: Pick<Storage, "getItem" | "setItem">,
    { min = 0.18, max = 0.7 } = {},
  ) {
    this.min = min;
    this.max = max;
    this.#storageKey = storageKey;
    this.#storage = storage;
    const saved = Number(storage?.getItem(storageKey));
    if (Number.isFinite(saved) && saved > 0) this.fraction = this.#clamp(saved);
  }

  set(fraction: number): void {
    this.fraction = this.#clamp(fraction);
    this.#storage?.setItem(this.#storageKey, this.fraction.toFixed(3));
  }

  /** Keyboard resizing for the separator: arrows move 2%, Home/End jump to the limits. */
  key(key: string): boolean {
    const step = 0.02;
    if (key === "ArrowLeft") this.set(this.fraction - step);
    else if (key === "ArrowRight") this.set(this.fraction + step);
    else if (key === "Home") this.set(this.min);
    else if (key === "End") this.set(this.max);
    else return false;
    return true;
  }

  #clamp(value: number): number {
    return Math.min(this.max, Math.max(this.min, value));
  }
}
