import { format, locales, pickLocale, type Locale, type MessageKey } from "./strings.ts";

const STORAGE_KEY = "docker-sandbox:locale";

/** The UI language: the learner's choice if made, else the browser's preference. */
export class I18n {
  locale = $state<Locale>("en");
  #storage: Pick<Storage, "getItem" | "setItem"> | undefined;

  constructor(
    preferred: readonly string[] = globalThis.navigator?.languages ?? [],
    storage: Pick<Storage, "getItem" | "setItem"> | undefined = safeLocalStorage(),
  ) {
    this.#storage = storage;
    const saved = storage?.getItem(STORAGE_KEY);
    this.locale = saved === "en" || saved === "ko" ? saved : pickLocale(preferred);
    this.#applyToDocument();
  }

  set(locale: Locale): void {
    this.locale = locale;
    this.#storage?.setItem(STORAGE_KEY, locale);
    this.#applyToDocument();
  }

  t = (key: MessageKey, params?: Record<string, string | number>): string =>
    format(locales[this.locale][key], params);

  #applyToDocument(): void {
    if (typeof document !== "undefined") document.documentElement.lang = this.locale;
  }
}

/** localStorage throws in some private modes; the UI still works without remembering choices. */
export function safeLocalStorage(): Storage | undefined {
  try {
    const storage = globalThis.localStorage;
    storage?.getItem("probe");
    return storage;
  } catch {
    return undefined;
  }
}
