import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import { inlineText, parseInline, parseMarkdown, safeHref } from "../../src/ui/markdown.ts";
import LessonMarkdown from "../../src/ui/LessonMarkdown.svelte";
import { I18n } from "../../src/i18n/i18n.svelte.ts";

const i18n = new I18n(["en"], undefined);

function html(markdown: string): string {
  const { body } = render(LessonMarkdown, { props: { i18n, blocks: parseMarkdown(markdown) } });
  // Svelte's hydration markers are comments; the assertions are about elements and text.
  return body.replace(/<!--[^>]*-->/g, "").replace(/ class="[^"]*"/g, "");
}

describe("lesson markdown", () => {
  it("reads paragraphs, headings, lists, quotes, rules and fenced code", () => {
    const blocks = parseMarkdown(
      [
        "Docker runs **containers**: programs with",
        "everything they need.",
        "",
        "### Two parts",
        "- the **client**, the `docker` command, and",
        "- the **daemon** (`dockerd`), which keeps the images and",
        "  runs the containers.",
        "",
        "1. first",
        "2. second",
        "",
        "> a quote",
        "",
        "---",
        "",
        "```sh",
        "docker version",
        "docker info",
        "```",
      ].join("\n"),
    );
    expect(blocks.map((b) => b.type)).toEqual([
      "paragraph",
      "heading",
      "list",
      "list",
      "quote",
      "rule",
      "code",
    ]);
    expect(blocks[0]).toEqual({
      type: "paragraph",
      inlines: [
        { type: "text", text: "Docker runs " },
        { type: "strong", children: [{ type: "text", text: "containers" }] },
        { type: "text", text: ": programs with everything they need." },
      ],
    });
    expect(blocks[1]).toMatchObject({ type: "heading", level: 5 });
    const list = blocks[2]!;
    expect(list.type === "list" && list.items.length).toBe(2);
    if (list.type === "list") {
      const second = list.items[1]![0]!;
      expect(second.type === "paragraph" && inlineText(second.inlines)).toBe(
        "the daemon (dockerd), which keeps the images and runs the containers.",
      );
    }
    expect(blocks[3]).toMatchObject({ type: "list", ordered: true, start: 1 });
    expect(blocks[6]).toEqual({ type: "code", lang: "sh", code: "docker version\ndocker info" });
  });

  it("keeps code blocks inside list items and nested lists", () => {
    const blocks = parseMarkdown("- run it:\n\n  ```sh\n  docker ps\n  ```\n- next\n  - nested");
    expect(blocks).toHaveLength(1);
    const list = blocks[0]!;
    if (list.type !== "list") throw new Error("expected a list");
    expect(list.items[0]!.map((b) => b.type)).toEqual(["paragraph", "code"]);
    expect(list.items[0]![1]).toEqual({ type: "code", lang: "sh", code: "docker ps" });
    expect(list.items[1]!.map((b) => b.type)).toEqual(["paragraph", "list"]);
  });

  it("leaves snake_case, lone stars and unmatched backticks as text", () => {
    expect(inlineText(parseInline("my_game:1.0 and my_other_game"))).toBe(
      "my_game:1.0 and my_other_game",
    );
    expect(parseInline("2 * 3 = 6")).toEqual([{ type: "text", text: "2 * 3 = 6" }]);
    expect(parseInline("a ` b")).toEqual([{ type: "text", text: "a ` b" }]);
    expect(parseInline("_em_ and *em*").filter((n) => n.type === "em")).toHaveLength(2);
    expect(parseInline("``a `b` c``")).toEqual([{ type: "code", text: "a `b` c" }]);
  });

  it("drops HTML comments outside code and keeps them inside code", () => {
    const blocks = parseMarkdown(
      "before <!-- hidden --> after\n\n<!-- check: x\nmore -->\n\n```sh\n<!-- kept -->\n```",
    );
    expect(blocks).toHaveLength(2);
    expect(blocks[0]!.type === "paragraph" && inlineText(blocks[0]!.inlines)).toBe("before  after");
    expect(blocks[1]).toEqual({ type: "code", lang: "sh", code: "<!-- kept -->" });
  });

  it("allows only web, mail and in-page links", () => {
    expect(safeHref("https://docs.docker.com/")).toBe("https://docs.docker.com/");
    expect(safeHref("#step")).toBe("#step");
    expect(safeHref("mailto:t@example.org")).toBe("mailto:t@example.org");
    expect(safeHref("javascript:alert(1)")).toBeUndefined();
    expect(safeHref("JaVaScRiPt:alert(1)")).toBeUndefined();
    expect(safeHref("java\tscript:alert(1)")).toBeUndefined();
    expect(safeHref("data:text/html,<script>")).toBeUndefined();
    expect(safeHref("vbscript:x")).toBeUndefined();
    // The text of a link that is not allowed stays; the link goes.
    expect(parseInline("[click](javascript:alert(1))")).toEqual([{ type: "text", text: "click" }]);
  });

  it("renders raw HTML in a lesson as text, never as markup", () => {
    const out = html(
      [
        '<script>alert("x")</script>',
        "",
        '<img src=x onerror="alert(1)"> and **<b>bold</b>**',
        "",
        "[link](javascript:alert(1)) [ok](https://example.org)",
        "",
        "```html",
        "<iframe src=//evil></iframe>",
        "```",
      ].join("\n"),
    );
    expect(out).not.toMatch(/<script|<img|<iframe|<b>|href="javascript/i);
    expect(out).toContain("&lt;script>");
    expect(out).toContain("&lt;img src=x onerror=");
    expect(out).toContain("<strong>&lt;b>bold&lt;/b></strong>");
    expect(out).toContain('href="https://example.org"');
    expect(out).toContain('rel="noopener noreferrer"');
    expect(out).toContain("&lt;iframe src=//evil>&lt;/iframe>");
  });

  it("gives runnable shell blocks a Run button and every block a Copy button", () => {
    const blocks = parseMarkdown("```sh\ndocker ps\n```\n\n```dockerfile\nFROM httpd\n```");
    const out = render(LessonMarkdown, {
      props: {
        i18n,
        blocks,
        code: [
          { lang: "sh", code: "docker ps", runnable: true },
          { lang: "dockerfile", code: "FROM httpd", runnable: false },
        ],
        canRun: true,
        onRun: () => {},
      },
    }).body;
    expect(out.match(/data-action="copy"/g)).toHaveLength(2);
    expect(out.match(/data-action="run"/g)).toHaveLength(1);
  });

  it("renders every built-in lesson's prose without losing text", async () => {
    const { lintPackDir } = await import("../../scripts/lint-lessons.ts");
    const { lessons } = lintPackDir("lessons", true);
    expect(lessons).toHaveLength(14);
    for (const lesson of lessons)
      for (const step of lesson.steps)
        for (const text of [step.prose.en, step.prose.ko ?? ""]) {
          const blocks = parseMarkdown(text);
          const codes = blocks.filter((b) => b.type === "code").map((b) => b.code);
          // Every code block the lesson parser found is one the page renders.
          for (const c of step.code) expect(codes, `${lesson.id}#${step.id}`).toContain(c.code);
        }
  });
});
