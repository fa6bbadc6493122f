// A small Markdown reader for lesson prose, hints and check messages. It produces a tree that
// Svelte components render as elements with escaped text, never as an HTML string: raw HTML in
// a lesson (a teacher's pack may come from anywhere) shows as literal text and cannot inject
// markup, and links are limited to safe schemes.

export type Inline =
  | { type: "text"; text: string }
  | { type: "code"; text: string }
  | { type: "strong"; children: Inline[] }
  | { type: "em"; children: Inline[] }
  | { type: "link"; href: string; children: Inline[] }
  | { type: "break" };

export type Block =
  | { type: "paragraph"; inlines: Inline[] }
  | { type: "heading"; level: 4 | 5 | 6; inlines: Inline[] }
  | { type: "list"; ordered: boolean; start: number; items: Block[][] }
  | { type: "code"; lang: string; code: string }
  | { type: "quote"; blocks: Block[] }
  | { type: "rule" };

/** Links may point to the web, mail, or inside the page; `javascript:`, `data:` … are dropped. */
export function safeHref(href: string): string | undefined {
  const trimmed = href.trim();
  // Control characters and spaces can hide a scheme from the check below.
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(trimmed)) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) return trimmed || undefined;
  return scheme === "http" || scheme === "https" || scheme === "mailto" ? trimmed : undefined;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)[^`]*$/;
const BULLET = /^(\s*)([-*+])\s+(.*)$/;
const ORDERED = /^(\s*)(\d{1,9})[.)]\s+(.*)$/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;

/** Blocks of a Markdown text. HTML comments outside code are dropped (lesson directives). */
export function parseMarkdown(source: string): Block[] {
  return parseBlocks(stripComments(source.replace(/\r\n?/g, "\n")).split("\n"));
}

function stripComments(text: string): string {
  // Only outside fenced code: a comment inside a code block is code.
  const out: string[] = [];
  let fence: string | undefined;
  let inComment = false;
  for (const line of text.split("\n")) {
    const f = FENCE.exec(line);
    if (!inComment && f) {
      const mark = f[2]!;
      if (fence === undefined) fence = mark;
      else if (mark[0] === fence[0] && mark.length >= fence.length && !f[3]) fence = undefined;
      out.push(line);
      continue;
    }
    if (fence !== undefined) {
      out.push(line);
      continue;
    }
    let rest = line;
    let kept = "";
    while (rest) {
      if (inComment) {
        const end = rest.indexOf("-->");
        if (end < 0) {
          rest = "";
          break;
        }
        rest = rest.slice(end + 3);
        inComment = false;
      } else {
        const start = rest.indexOf("<!--");
        if (start < 0) {
          kept += rest;
          break;
        }
        kept += rest.slice(0, start);
        rest = rest.slice(start + 4);
        inComment = true;
      }
    }
    // A line that held only a comment disappears; text around a comment stays.
    if (kept.trim() || line === kept) out.push(kept);
  }
  return out.join("\n");
}

function isBlank(line: string | undefined): boolean {
  return line === undefined || line.trim() === "";
}

/** Does this line start a block that ends a paragraph? */
function startsBlock(line: string): boolean {
  return (
    FENCE.test(line) ||
    HEADING.test(line) ||
    RULE.test(line) ||
    QUOTE.test(line) ||
    BULLET.test(line) ||
    ORDERED.test(line)
  );
}

function indentOf(line: string): number {
  return /^\s*/.exec(line)![0].replace(/\t/g, "    ").length;
}

function dedent(line: string, by: number): string {
  let i = 0;
  let n = 0;
  while (i < line.length && n < by && (line[i] === " " || line[i] === "\t")) {
    n += line[i] === "\t" ? 4 : 1;
    i++;
  }
  return line.slice(i);
}

function parseBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (isBlank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const indent = fence[1]!.length;
      const mark = fence[2]!;
      const body: string[] = [];
      i++;
      while (i < lines.length) {
        const close = FENCE.exec(lines[i]!);
        if (close && close[2]![0] === mark[0] && close[2]!.length >= mark.length && !close[3])
          break;
        body.push(dedent(lines[i]!, indent));
        i++;
      }
      i++; // the closing fence (or the end of the text)
      blocks.push({ type: "code", lang: fence[3] ?? "", code: body.join("\n") });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      // Lesson and step titles are h2/h3 on the page; headings inside prose sit below them.
      const level = Math.min(6, Math.max(4, heading[1]!.length + 2)) as 4 | 5 | 6;
      blocks.push({ type: "heading", level, inlines: parseInline(heading[2]!) });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ type: "rule" });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && !isBlank(lines[i])) {
        const q = QUOTE.exec(lines[i]!);
        body.push(q ? q[1]! : lines[i]!);
        i++;
      }
      blocks.push({ type: "quote", blocks: parseBlocks(body) });
      continue;
    }
    if (BULLET.test(line) || ORDERED.test(line)) {
      i = parseList(lines, i, blocks);
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && !isBlank(lines[i]) && (para.length === 0 || !startsBlock(lines[i]!)))
      para.push(lines[i++]!);
    blocks.push({ type: "paragraph", inlines: parseInline(para.join("\n")) });
  }
  return blocks;
}

function parseList(lines: string[], start: number, blocks: Block[]): number {
  const first = lines[start]!;
  const ordered = !BULLET.test(first);
  const marker = (line: string) => (ordered ? ORDERED.exec(line) : BULLET.exec(line));
  const baseIndent = indentOf(first);
  const items: Block[][] = [];
  let i = start;
  let number = 1;
  while (i < lines.length) {
    const m = marker(lines[i]!);
    if (!m || indentOf(lines[i]!) !== baseIndent) break;
    if (items.length === 0 && ordered) number = Number(m[2]);
    // Continuation lines are indented to the item's text (or at least two spaces).
    const contentIndent = Math.max(baseIndent + 2, lines[i]!.length - m[3]!.length);
    const body = [m[3]!];
    i++;
    while (i < lines.length) {
      const next = lines[i]!;
      if (isBlank(next)) {
        // A blank line continues the item only if indented content follows.
        const after = lines[i + 1];
        if (after !== undefined && !isBlank(after) && indentOf(after) >= contentIndent) {
          body.push("");
          i++;
          continue;
        }
        break;
      }
      if (indentOf(next) >= contentIndent) body.push(dedent(next, contentIndent));
      else if (indentOf(next) > baseIndent && (BULLET.test(next) || ORDERED.test(next)))
        body.push(dedent(next, baseIndent + 2));
      else if (!startsBlock(next))
        body.push(next.trim()); // a lazy continuation line
      else break;
      i++;
    }
    items.push(parseBlocks(body));
    // Blank lines between items of the same list.
    let j = i;
    while (j < lines.length && isBlank(lines[j])) j++;
    const again = j < lines.length ? marker(lines[j]!) : null;
    if (j > i && again && indentOf(lines[j]!) === baseIndent) i = j;
  }
  blocks.push({ type: "list", ordered, start: number, items });
  return i;
}

/** Inline Markdown: `code`, **strong**, *em*, _em_, [links](https://…), <https://…>, breaks. */
export function parseInline(source: string): Inline[] {
  const out: Inline[] = [];
  let text = "";
  const flush = () => {
    if (text) out.push({ type: "text", text });
    text = "";
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === "\\" && i + 1 < source.length) {
      const next = source[i + 1]!;
      if (next === "\n") {
        flush();
        out.push({ type: "break" });
        i += 2;
        continue;
      }
      if (/[!-/:-@[-`{-~]/.test(next)) {
        text += next;
        i += 2;
        continue;
      }
    }
    if (c === "`") {
      const run = /^`+/.exec(source.slice(i))![0];
      const end = source.indexOf(run, i + run.length);
      if (end > 0 && source[end + run.length] !== "`") {
        flush();
        let code = source.slice(i + run.length, end).replace(/\n/g, " ");
        if (/^ .* $/.test(code) && code.trim()) code = code.slice(1, -1);
        out.push({ type: "code", text: code });
        i = end + run.length;
        continue;
      }
      text += run;
      i += run.length;
      continue;
    }
    if ((c === "*" || c === "_") && source[i + 1] === c) {
      const end = findClose(source, i + 2, c + c);
      if (end > i + 2) {
        flush();
        out.push({ type: "strong", children: parseInline(source.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    }
    if (c === "*" || c === "_") {
      const before = source[i - 1] ?? " ";
      const opens = /\S/.test(source[i + 1] ?? " ") && (c === "*" || !/\w/.test(before));
      const end = opens ? findClose(source, i + 1, c) : -1;
      if (end > i + 1) {
        flush();
        out.push({ type: "em", children: parseInline(source.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    if (c === "[") {
      const link = /^\[([^\]]+)\]\(\s*<?((?:[^\s()<>]|\([^\s()<>]*\))*)>?(?:\s+"[^"]*")?\s*\)/.exec(
        source.slice(i),
      );
      if (link) {
        flush();
        const children = parseInline(link[1]!);
        const href = safeHref(link[2]!);
        if (href) out.push({ type: "link", href, children });
        else out.push(...children);
        i += link[0].length;
        continue;
      }
    }
    if (c === "<") {
      const auto = /^<(https?:\/\/[^\s<>]+)>/.exec(source.slice(i));
      if (auto) {
        flush();
        out.push({ type: "link", href: auto[1]!, children: [{ type: "text", text: auto[1]! }] });
        i += auto[0].length;
        continue;
      }
    }
    if (c === "\n") {
      // Two trailing spaces make a hard break; otherwise a newline is a space.
      if (text.endsWith("  ")) {
        text = text.replace(/ +$/, "");
        flush();
        out.push({ type: "break" });
      } else {
        text = text.replace(/ +$/, "") + " ";
      }
      i++;
      continue;
    }
    text += c;
    i++;
  }
  flush();
  return out;
}

/** Index of the closing delimiter, skipping code spans; -1 if none. */
function findClose(source: string, from: number, delim: string): number {
  let i = from;
  while (i < source.length) {
    if (source[i] === "\\") {
      i += 2;
      continue;
    }
    if (source[i] === "`") {
      const run = /^`+/.exec(source.slice(i))![0];
      const end = source.indexOf(run, i + run.length);
      i = end > 0 ? end + run.length : i + run.length;
      continue;
    }
    if (source.startsWith(delim, i) && /\S/.test(source[i - 1] ?? " ")) {
      const after = source[i + delim.length] ?? " ";
      // `_` closes only at a word end (snake_case stays text); `**` must not be half of `***`.
      if (delim[0] === "_" && /\w/.test(after)) {
        i++;
        continue;
      }
      if (delim.length === 1 && source[i + 1] === delim) {
        i += 2;
        continue;
      }
      return i;
    }
    i++;
  }
  return -1;
}

/** Plain text of inlines (for aria labels and tests). */
export function inlineText(inlines: Inline[]): string {
  return inlines
    .map((n) =>
      n.type === "text" || n.type === "code"
        ? n.text
        : n.type === "break"
          ? "\n"
          : inlineText(n.children),
    )
    .join("");
}
