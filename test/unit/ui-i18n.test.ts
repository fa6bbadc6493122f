import { describe, expect, it } from "vitest";
import { en, format, ko, pickLocale } from "../../src/i18n/strings.ts";
import { I18n } from "../../src/i18n/i18n.svelte.ts";

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
  };
}

describe("UI strings", () => {
  it("has a non-empty Korean string for every English key, with the same placeholders", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(ko[key], key).toBeTruthy();
      const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(placeholders(ko[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(format("Terminal {n}", { n: 2 })).toBe("Terminal 2");
    expect(format("{a} and {b}", { a: "x" })).toBe("x and {b}");
  });

  it("picks the browser's first supported language", () => {
    expect(pickLocale(["ko-KR", "en-US"])).toBe("ko");
    expect(pickLocale(["fr-FR", "en-GB"])).toBe("en");
    expect(pickLocale(["de"])).toBe("en");
    expect(pickLocale([])).toBe("en");
  });

  it("remembers the learner's choice over the browser default", () => {
    const storage = memoryStorage();
    const first = new I18n(["ko"], storage);
    expect(first.locale).toBe("ko");
    expect(first.t("resetMachine")).toBe(ko.resetMachine);
    first.set("en");
    const again = new I18n(["ko"], storage);
    expect(again.locale).toBe("en");
    expect(again.t("terminal", { n: 1 })).toBe("Terminal 1");
  });
});
