// Lesson code goes to the learner terminal used last, and asks the tabs to show it.
import { describe, expect, it } from "vitest";
import { TerminalFocus } from "../../src/ui/terminal-focus.svelte.ts";

describe("terminal focus", () => {
  it("types into the terminal used last and asks for it to be shown each time", () => {
    const focus = new TerminalFocus();
    expect(focus.claim()).toBe(1);
    expect(focus.showRequests).toBe(1);
    focus.port = 2; // the learner selected terminal 2, then opened the Layers tab
    expect(focus.claim()).toBe(2);
    expect(focus.showRequests).toBe(2);
  });
});
