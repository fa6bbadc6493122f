import { safeLocalStorage } from "../i18n/i18n.svelte.ts";

export type ThemeChoice = "system" | "light" | "dark";
const STORAGE_KEY = "docker-sandbox:theme";

/** Light or dark: follows prefers-color-scheme until the learner picks one. */
export class Theme {
  choice = $state<ThemeChoice>("system");
  systemDark = $state(false);
  effective = $derived<"light" | "dark">(
    this.choice === "system" ? (this.systemDark ? "dark" : "light") : this.choice,
  );
  #media: MediaQueryList | undefined;
  #onChange = (event: MediaQueryListEvent) => (this.systemDark = event.matches);
  #storage = safeLocalStorage();

  constructor() {
    const saved = this.#storage?.getItem(STORAGE_KEY);
    if (saved === "light" || saved === "dark" || saved === "system") this.choice = saved;
    this.#media = globalThis.matchMedia?.("(prefers-color-scheme: dark)");
    this.systemDark = this.#media?.matches ?? false;
    this.#media?.addEventListener("change", this.#onChange);
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    this.#storage?.setItem(STORAGE_KEY, choice);
  }

  /** Cycles system → light → dark, for the one-button toggle. */
  next(): void {
    this.set(this.choice === "system" ? "light" : this.choice === "light" ? "dark" : "system");
  }

  dispose(): void {
    this.#media?.removeEventListener("change", this.#onChange);
  }
}
