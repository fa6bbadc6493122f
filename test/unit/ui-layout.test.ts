import { describe, expect, it } from "vitest";
import { Split } from "../../src/ui/split.svelte.ts";
import { keyAction } from "../../src/ui/terminal.svelte.ts";
import { supported } from "../../src/ui/support.ts";

const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({
  key: k,
  type: "keydown",
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe("pane split", () => {
  it("stays within its limits and moves with the keyboard", () => {
    const split = new Split("k", undefined, { min: 0.2, max: 0.6 });
    split.set(0.9);
    expect(split.fraction).toBe(0.6);
    expect(split.key("ArrowLeft")).toBe(true);
    expect(split.fraction).toBeCloseTo(0.58);
    split.key("Home");
    expect(split.fraction).toBe(0.2);
    expect(split.key("a")).toBe(false);
  });

  it("restores a saved split", () => {
    const saved = new Map([["k", "0.5"]]);
    const storage = { getItem: (k: string) => saved.get(k) ?? null, setItem: () => {} };
    expect(new Split("k", storage).fraction).toBe(0.5);
  });
});

describe("terminal keys", () => {
  it("sends Ctrl+P and Ctrl+Q (docker's detach keys) to the guest", () => {
    expect(keyAction(key("p", { ctrlKey: true }), false)).toBe("guest");
    expect(keyAction(key("q", { ctrlKey: true }), false)).toBe("guest");
  });

  it("copies with Ctrl+Shift+C, or Ctrl+C only when text is selected", () => {
    expect(keyAction(key("C", { ctrlKey: true, shiftKey: true }), false)).toBe("copy");
    expect(keyAction(key("c", { ctrlKey: true }), true)).toBe("copy");
    expect(keyAction(key("c", { ctrlKey: true }), false)).toBe("guest"); // SIGINT
  });

  it("leaves paste to the browser and handles zoom keys", () => {
    expect(keyAction(key("v", { ctrlKey: true }), false)).toBe("paste");
    expect(keyAction(key("V", { ctrlKey: true, shiftKey: true }), false)).toBe("paste");
    expect(keyAction(key("=", { ctrlKey: true }), false)).toBe("zoom-in");
    expect(keyAction(key("-", { ctrlKey: true }), false)).toBe("zoom-out");
    expect(keyAction(key("0", { ctrlKey: true }), false)).toBe("zoom-reset");
    expect(keyAction(key("a"), false)).toBe("guest");
    expect(keyAction({ ...key("c", { ctrlKey: true }), type: "keyup" }, true)).toBe("guest");
  });
});

describe("browser support", () => {
  it("needs WebAssembly, workers and storage", () => {
    expect(supported({ wasm: true, worker: true, storage: true })).toBe(true);
    expect(supported({ wasm: true, worker: true, storage: false })).toBe(false);
    expect(supported({ wasm: false, worker: true, storage: true })).toBe(false);
  });
});
