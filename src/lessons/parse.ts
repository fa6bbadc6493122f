// Loader: a pack of lesson folders (a flat map of pack-relative paths to contents) becomes
// typed `Lesson` data, or a list of errors that each name the file, the line and what was
// expected. No file system here, so the same code runs in the browser (import.meta.glob),
// in the linter and in tests.
import * as v from "valibot";
import { LineCounter, parseDocument, isMap, type Document, type Node as YamlNode } from "yaml";
import {
  CheckSchema,
  LessonFrontmatterSchema,
  LessonSchema,
  PackSchema,
  PANELS,
  TranslationFrontmatterSchema,
  type Check,
  type CodeBlock,
  type Lesson,
  type LessonFile,
  type LessonFrontmatter,
  type Step,
} from "./schema.ts";

export interface LessonError {
  /** Pack-relative path, e.g. `08-copy-files/lesson.md`. */
  file: string;
  line: number;
  message: string;
}

export function formatError(e: LessonError, root = ""): string {
  const file = root ? `${root.replace(/\/$/, "")}/${e.file}` : e.file;
  return `${file}:${e.line}: ${e.message}`;
}

export type PackEntries = Map<string, string | Uint8Array>;

export interface ParseOptions {
  /** Translations every lesson must have, besides English (the built-in pack: ["ko"]). */
  requireLocales?: "ko"[];
}

export interface ParseResult {
  lessons: Lesson[];
  errors: LessonError[];
}

const FOLDER = /^(\d{2,3})-([a-z0-9]+(?:-[a-z0-9]+)*)$/;
const RUNNABLE_LANGS = new Set(["sh", "bash", "shell", "console"]);

export function parsePack(entries: PackEntries, options: ParseOptions = {}): ParseResult {
  const errors: LessonError[] = [];
  const lessons: Lesson[] = [];
  const folders = new Set<string>();
  for (const path of entries.keys()) {
    const slash = path.indexOf("/");
    if (slash > 0) folders.add(path.slice(0, slash));
  }
  for (const folder of [...folders].sort()) {
    const hasLesson = entries.has(`${folder}/lesson.md`);
    if (!FOLDER.test(folder)) {
      if (hasLesson)
        errors.push({
          file: `${folder}/lesson.md`,
          line: 1,
          message: `lesson folder name must be NN-slug (two digits, '-', lowercase words), e.g. 08-copy-files; got "${folder}"`,
        });
      continue;
    }
    if (!hasLesson) {
      errors.push({
        file: `${folder}/lesson.md`,
        line: 1,
        message: "missing lesson.md: every NN-slug folder is a lesson and needs one",
      });
      continue;
    }
    const lesson = parseLessonFolder(folder, entries, options, errors);
    if (lesson) lessons.push(lesson);
  }
  const seen = new Map<string, string>();
  for (const lesson of lessons) {
    const other = seen.get(lesson.id);
    if (other)
      errors.push({
        file: `${lesson.folder}/lesson.md`,
        line: 2,
        message: `id "${lesson.id}" is already used by ${other}; lesson ids must be unique`,
      });
    seen.set(lesson.id, lesson.folder);
  }
  lessons.sort((a, b) => a.order - b.order || a.folder.localeCompare(b.folder));
  errors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return { lessons, errors };
}

// ---------------------------------------------------------------------------
// One markdown file: frontmatter, intro, steps with directives
// ---------------------------------------------------------------------------

interface Directive {
  name: "check" | "hint" | "solution" | "panel";
  body: string;
  /** File line where `body` starts. */
  line: number;
}

interface Section {
  id: string;
  title: string;
  line: number;
  prose: string[];
  code: CodeBlock[];
  directives: Directive[];
}

interface ParsedDoc {
  frontmatter: unknown;
  yaml?: { doc: Document; counter: LineCounter; firstLine: number };
  intro: Section;
  steps: Section[];
}

function readText(entries: PackEntries, path: string): string | undefined {
  const raw = entries.get(path);
  if (raw === undefined) return undefined;
  return typeof raw === "string" ? raw : new TextDecoder().decode(raw);
}

function parseMarkdown(file: string, text: string, errors: LessonError[]): ParsedDoc | undefined {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== "---") {
    errors.push({
      file,
      line: 1,
      message:
        "expected frontmatter: the file must start with a line `---`, then id, title, summary, then `---`",
    });
    return undefined;
  }
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === "---");
  if (end < 0) {
    errors.push({
      file,
      line: 1,
      message: "frontmatter is not closed: expected a second `---` line",
    });
    return undefined;
  }
  const counter = new LineCounter();
  const doc = parseDocument(lines.slice(1, end).join("\n"), { lineCounter: counter });
  for (const err of doc.errors) {
    errors.push({
      file,
      line: (err.linePos?.[0]?.line ?? 1) + 1,
      message: `frontmatter is not valid YAML: ${err.message.split("\n")[0]}`,
    });
  }
  const parsed: ParsedDoc = {
    frontmatter: doc.errors.length ? undefined : doc.toJS(),
    yaml: { doc, counter, firstLine: 2 },
    intro: { id: "", title: "", line: end + 2, prose: [], code: [], directives: [] },
    steps: [],
  };

  let section = parsed.intro;
  let fence: { marker: string; lang: string; start: number; body: string[] } | undefined;
  for (let i = end + 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const lineNo = i + 1;
    if (fence) {
      section.prose.push(line);
      const f = fence;
      if (line.trim().startsWith(f.marker) && line.trim().replace(/[`~]/g, "") === "") {
        section.code.push({
          lang: f.lang,
          code: f.body.join("\n"),
          runnable: RUNNABLE_LANGS.has(f.lang),
        });
        fence = undefined;
      } else f.body.push(line);
      continue;
    }
    const open = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (open) {
      fence = {
        marker: open[1] ?? "```",
        lang: (open[2] ?? "").toLowerCase(),
        start: lineNo,
        body: [],
      };
      section.prose.push(line);
      continue;
    }
    if (/^\s*<!--/.test(line)) {
      // Gather the whole comment, possibly over several lines.
      let raw = line.replace(/^\s*<!--/, "");
      let j = i;
      while (!raw.includes("-->") && j + 1 < lines.length) {
        j++;
        raw += "\n" + (lines[j] ?? "");
      }
      if (!raw.includes("-->")) {
        errors.push({ file, line: lineNo, message: "HTML comment is not closed: expected `-->`" });
        break;
      }
      const after = raw.slice(raw.indexOf("-->") + 3).trim();
      const inner = raw.slice(0, raw.indexOf("-->"));
      i = j;
      if (after)
        errors.push({
          file,
          line: j + 1,
          message: "expected nothing after `-->` on the same line",
        });
      const directive = readDirective(inner, lineNo, file, errors);
      if (!directive) continue;
      if (section === parsed.intro) {
        errors.push({
          file,
          line: lineNo,
          message: `a ${directive.name} belongs to a step: put it after a \`## Step title {#step-id}\` heading`,
        });
        continue;
      }
      section.directives.push(directive);
      continue;
    }
    if (/^#\s/.test(line)) {
      errors.push({
        file,
        line: lineNo,
        message:
          "a top-level `# ` heading is not used: the title comes from the frontmatter and steps are `## ` headings",
      });
      continue;
    }
    if (/^##\s/.test(line)) {
      const m = /^##\s+(.*?)\s*\{#([^}]*)\}\s*$/.exec(line);
      if (!m) {
        errors.push({
          file,
          line: lineNo,
          message: "a step heading needs a stable id at its end, e.g. `## Run it {#run-it}`",
        });
        section = {
          id: `?${lineNo}`,
          title: line.slice(3).trim(),
          line: lineNo,
          prose: [],
          code: [],
          directives: [],
        };
        parsed.steps.push(section);
        continue;
      }
      const id = m[2] ?? "";
      if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(id))
        errors.push({
          file,
          line: lineNo,
          message: `step id "${id}" must be lowercase letters and digits joined by '-', e.g. {#run-it}`,
        });
      if (parsed.steps.some((s) => s.id === id))
        errors.push({
          file,
          line: lineNo,
          message: `step id "${id}" is used twice in this lesson`,
        });
      section = { id, title: m[1] ?? "", line: lineNo, prose: [], code: [], directives: [] };
      parsed.steps.push(section);
      continue;
    }
    section.prose.push(line);
  }
  if (fence)
    errors.push({
      file,
      line: fence.start,
      message: `code block is not closed: expected ${fence.marker}`,
    });
  return parsed;
}

function readDirective(
  inner: string,
  line: number,
  file: string,
  errors: LessonError[],
): Directive | undefined {
  const lead = /^\s*/.exec(inner)?.[0] ?? "";
  const m = /^(check|hint|solution|panel)\b[ \t]*:?/.exec(inner.slice(lead.length));
  if (!m) {
    const other = /^([A-Za-z][\w-]*)\s*:/.exec(inner.slice(lead.length));
    if (other)
      errors.push({
        file,
        line,
        message: `unknown directive \`${other[1]}:\`; expected check:, hint:, solution: or panel: (other comments must not start with "word:")`,
      });
    return undefined;
  }
  const consumed = lead + m[0];
  const before = consumed.split("\n").length - 1;
  return {
    name: m[1] as Directive["name"],
    body: inner.slice(consumed.length),
    line: line + before,
  };
}

// ---------------------------------------------------------------------------
// valibot issues → file:line with a readable message
// ---------------------------------------------------------------------------

type AnySchema = v.GenericSchema & {
  entries?: Record<string, AnySchema>;
  wrapped?: AnySchema;
  item?: AnySchema;
  pipe?: readonly AnySchema[];
  options?: readonly AnySchema[];
};

/** The field names a strict object at `path` inside `schema` allows (for "expected one of"). */
function fieldsAt(
  schema: AnySchema | undefined,
  path: (string | number)[],
  value: unknown,
): string[] {
  let s = schema;
  let val = value;
  for (let depth = 0; s && depth < 40; depth++) {
    if (s.pipe && s.pipe[0] !== s) s = s.pipe[0];
    else if (s.wrapped) s = s.wrapped;
    else if (s.options) {
      const kind = (val as { kind?: unknown } | undefined)?.kind;
      s =
        s.options.find((o) => (o.entries?.kind as { literal?: unknown })?.literal === kind) ??
        s.options[0];
    } else if (path.length === 0) return s.entries ? Object.keys(s.entries) : [];
    else {
      const key = path.shift()!;
      s = s.entries ? s.entries[String(key)] : s.item;
      val = (val as Record<string | number, unknown> | undefined)?.[key];
    }
  }
  return [];
}

function issueMessage(issue: v.BaseIssue<unknown>, schema: AnySchema, value: unknown): string {
  const keys = (issue.path ?? []).map((p) => p.key as string | number);
  const where = keys.length > 1 ? ` in \`${keys.slice(0, -1).join(".")}\`` : "";
  const last = keys[keys.length - 1];
  if (issue.type === "strict_object" && issue.expected === "never") {
    const allowed = fieldsAt(schema, keys.slice(0, -1), value);
    const list = allowed.filter((k) => k !== "kind").join(", ");
    return `unknown field \`${String(last)}\`${where}; expected one of: ${list}`;
  }
  if (issue.type === "strict_object" && issue.received === "undefined" && last !== undefined)
    return `missing field \`${String(last)}\`${where}`;
  if (issue.type === "variant" && last === "kind")
    return issue.message.replace("unknown check", `unknown check \`${String(issue.input)}\``);
  const dot = keys.length ? `\`${keys.join(".")}\`: ` : "";
  return `${dot}${issue.message}`;
}

function yamlLine(
  y: { doc: Document; counter: LineCounter; firstLine: number },
  keys: (string | number)[],
): number {
  for (let n = keys.length; n >= 0; n--) {
    const node = (n === 0 ? y.doc.contents : y.doc.getIn(keys.slice(0, n), true)) as
      YamlNode | undefined;
    const start = node?.range?.[0];
    if (start !== undefined) return y.counter.linePos(start).line + y.firstLine - 1;
  }
  return y.firstLine;
}

function validate<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  file: string,
  at: (keys: (string | number)[]) => number,
  errors: LessonError[],
): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  for (const issue of result.issues) {
    const keys = (issue.path ?? []).map((p) => p.key as string | number);
    errors.push({
      file,
      line: at(keys),
      message: issueMessage(issue, schema as unknown as AnySchema, value),
    });
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// A lesson folder
// ---------------------------------------------------------------------------

function parseCheck(d: Directive, file: string, errors: LessonError[]): Check | undefined {
  const m = /^\s*([A-Za-z]+)?([\s\S]*)$/.exec(d.body)!;
  const kind = m[1];
  if (!kind) {
    errors.push({
      file,
      line: d.line,
      message:
        "expected a check name after `check:`, e.g. `<!-- check: container {name: web, state: running} -->`",
    });
    return undefined;
  }
  const rest = m[2] ?? "";
  const restLine =
    d.line + (d.body.slice(0, d.body.indexOf(kind) + kind.length).match(/\n/g) ?? []).length;
  const counter = new LineCounter();
  const doc = parseDocument(rest, { lineCounter: counter });
  if (doc.errors.length) {
    const err = doc.errors[0]!;
    errors.push({
      file,
      line: restLine + (err.linePos?.[0]?.line ?? 1) - 1,
      message: `check \`${kind}\`: its fields are not valid YAML (${err.message.split("\n")[0]}); expected e.g. {name: web, state: running}`,
    });
    return undefined;
  }
  const fields = doc.toJS() as unknown;
  if (fields !== null && fields !== undefined && !isMap(doc.contents)) {
    errors.push({
      file,
      line: restLine,
      message: `check \`${kind}\`: expected its fields as a mapping, e.g. {name: web, state: running}`,
    });
    return undefined;
  }
  const y = { doc, counter, firstLine: restLine };
  const value = { kind, ...((fields as Record<string, unknown> | null) ?? {}) };
  return validate(
    CheckSchema,
    value,
    file,
    (keys) => (keys.length ? yamlLine(y, keys) : d.line),
    errors,
  );
}

function trimProse(lines: string[]): string {
  return lines
    .join("\n")
    .replace(/^\s*\n/, "")
    .replace(/\s+$/, "");
}

interface BuiltStep {
  step: Omit<Step, "title" | "prose" | "hints"> & { title: string; prose: string; hints: string[] };
  line: number;
}

function buildSteps(
  doc: ParsedDoc,
  file: string,
  english: boolean,
  errors: LessonError[],
): BuiltStep[] {
  const out: BuiltStep[] = [];
  for (const s of doc.steps) {
    const checks: Check[] = [];
    const hints: string[] = [];
    let solution: string[] | undefined;
    let panel: Step["panel"];
    for (const d of s.directives) {
      if (d.name !== "hint" && !english) {
        errors.push({
          file,
          line: d.line,
          message: `${d.name}s live in lesson.md only; a translation carries prose, step titles and hints`,
        });
        continue;
      }
      if (d.name === "check") {
        const c = parseCheck(d, file, errors);
        if (c) checks.push(c);
      } else if (d.name === "panel") {
        const name = d.body.trim();
        if (PANELS.includes(name as never)) panel = name as Step["panel"];
        else
          errors.push({
            file,
            line: d.line,
            message: `unknown panel "${name}": expected one of ${PANELS.join(", ")}, e.g. \`<!-- panel: layers -->\``,
          });
      } else if (d.name === "hint") {
        const text = d.body.trim();
        if (!text)
          errors.push({
            file,
            line: d.line,
            message: "empty hint: expected `<!-- hint: some help -->`",
          });
        else hints.push(text);
      } else {
        const lines = d.body
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean);
        if (solution)
          errors.push({
            file,
            line: d.line,
            message: "a step has one solution; this is the second",
          });
        else if (!lines.length)
          errors.push({
            file,
            line: d.line,
            message:
              "empty solution: expected the command(s) to type, e.g. `<!-- solution: docker run hello-world -->`",
          });
        else solution = lines;
      }
    }
    if (english && !s.id.startsWith("?")) {
      if (!checks.length && !s.directives.some((d) => d.name === "check"))
        errors.push({
          file,
          line: s.line,
          message: `step "${s.id}" has no check: expected at least one \`<!-- check: ... -->\``,
        });
      if (!solution && !s.directives.some((d) => d.name === "solution"))
        errors.push({
          file,
          line: s.line,
          message: `step "${s.id}" has no solution: expected \`<!-- solution: the command -->\``,
        });
    }
    out.push({
      line: s.line,
      step: {
        id: s.id,
        title: s.title,
        prose: trimProse(s.prose),
        code: s.code,
        checks,
        hints,
        solution: solution ?? [],
        ...(panel ? { panel } : {}),
      },
    });
  }
  return out;
}

function normalise(path: string): string | undefined {
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (!parts.length) return undefined;
      parts.pop();
    } else parts.push(p);
  }
  return parts.join("/");
}

function collectFiles(
  folder: string,
  fm: LessonFrontmatter,
  entries: PackEntries,
  file: string,
  y: ParsedDoc["yaml"],
  errors: LessonError[],
): LessonFile[] {
  const byPath = new Map<string, LessonFile>();
  fm.files.forEach((src, index) => {
    const from = normalise(`${folder}/${src.from}`);
    const line = y ? yamlLine(y, ["files", index, "from"]) : 1;
    if (from === undefined || from === "") {
      errors.push({
        file,
        line,
        message: `files.from "${src.from}" leaves the pack; expected a folder inside it`,
      });
      return;
    }
    const prefix = `${from}/`;
    let found = 0;
    for (const [path, content] of entries) {
      if (!path.startsWith(prefix)) continue;
      found++;
      const rel = path.slice(prefix.length);
      const target = `${src.to.replace(/\/$/, "")}/${rel}`;
      byPath.set(
        target,
        typeof content === "string"
          ? { path: target, encoding: "utf8", content }
          : { path: target, encoding: "base64", content: toBase64(content) },
      );
    }
    if (!found)
      errors.push({
        file,
        line,
        message: `files.from "${src.from}" has no files (looked in ${prefix})`,
      });
  });
  const ownFiles = [...entries.keys()].some((p) => p.startsWith(`${folder}/files/`));
  const usesOwn = fm.files.some((f) => normalise(`${folder}/${f.from}`) === `${folder}/files`);
  if (ownFiles && !usesOwn)
    errors.push({
      file,
      line: 1,
      message:
        "this lesson has a files/ folder but its frontmatter does not copy it: add `files: [{from: files, to: /root/...}]`",
    });
  return [...byPath.values()];
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function parseLessonFolder(
  folder: string,
  entries: PackEntries,
  options: ParseOptions,
  errors: LessonError[],
): Lesson | undefined {
  const before = errors.length;
  const order = Number(FOLDER.exec(folder)![1]);
  const enFile = `${folder}/lesson.md`;
  const en = parseMarkdown(enFile, readText(entries, enFile) ?? "", errors);
  if (!en) return undefined;
  const fm =
    en.frontmatter === undefined
      ? undefined
      : validate(
          LessonFrontmatterSchema,
          en.frontmatter,
          enFile,
          (keys) => (en.yaml ? yamlLine(en.yaml, keys) : 1),
          errors,
        );
  const enSteps = buildSteps(en, enFile, true, errors);
  if (!en.steps.length)
    errors.push({
      file: enFile,
      line: en.intro.line,
      message: "no steps: expected at least one `## Step title {#step-id}`",
    });

  const koFile = `${folder}/lesson.ko.md`;
  const koText = readText(entries, koFile);
  let ko: { title: string; summary: string; intro: string; steps: BuiltStep[] } | undefined;
  if (koText === undefined) {
    if (options.requireLocales?.includes("ko"))
      errors.push({ file: koFile, line: 1, message: "missing Korean translation lesson.ko.md" });
  } else {
    const doc = parseMarkdown(koFile, koText, errors);
    if (doc) {
      const kfm =
        doc.frontmatter === undefined
          ? undefined
          : validate(
              TranslationFrontmatterSchema,
              doc.frontmatter,
              koFile,
              (keys) => (doc.yaml ? yamlLine(doc.yaml, keys) : 1),
              errors,
            );
      const steps = buildSteps(doc, koFile, false, errors);
      if (kfm && fm && kfm.id !== fm.id)
        errors.push({
          file: koFile,
          line: doc.yaml ? yamlLine(doc.yaml, ["id"]) : 2,
          message: `id "${kfm.id}" differs from lesson.md's "${fm.id}"; a translation keeps the same id`,
        });
      const enIds = enSteps.map((s) => s.step.id);
      const koIds = steps.map((s) => s.step.id);
      koIds.forEach((id, i) => {
        if (enIds[i] !== id) {
          const s = steps[i]!;
          errors.push({
            file: koFile,
            line: s.line,
            message: enIds.includes(id)
              ? `step "${id}" is out of order; expected "${enIds[i] ?? "(no more steps)"}" here, as in lesson.md`
              : `step "${id}" does not exist in lesson.md; expected "${enIds[i] ?? "(no more steps)"}"`,
          });
        }
      });
      if (koIds.length < enIds.length)
        errors.push({
          file: koFile,
          line: koText.split("\n").length,
          message: `missing translated step(s): ${enIds.slice(koIds.length).join(", ")}`,
        });
      if (kfm)
        ko = { title: kfm.title, summary: kfm.summary, intro: trimProse(doc.intro.prose), steps };
    }
  }
  if (!fm) return undefined;
  const files = collectFiles(folder, fm, entries, enFile, en.yaml, errors);
  if (errors.length > before) return undefined;

  const lesson: Lesson = {
    id: fm.id,
    folder,
    order,
    title: { en: fm.title, ko: ko?.title },
    summary: { en: fm.summary, ko: ko?.summary },
    intro: { en: trimProse(en.intro.prose), ko: ko?.intro },
    needs: fm.needs,
    creates: fm.creates,
    files,
    steps: enSteps.map(({ step }, i) => {
      const k = ko?.steps[i]?.step;
      return {
        ...step,
        title: { en: step.title, ko: k?.title },
        prose: { en: step.prose, ko: k?.prose },
        hints: { en: step.hints, ko: k ? k.hints : undefined },
      };
    }),
  };
  // Drop `ko: undefined` so the data equals its JSON round trip.
  const clean = JSON.parse(JSON.stringify(lesson)) as unknown;
  return validate(LessonSchema, clean, enFile, () => 1, errors);
}

/** Validate a built pack (e.g. fetched from a teacher's static URL). */
export function parsePackJson(json: unknown, source: string): ParseResult & { name?: string } {
  const errors: LessonError[] = [];
  const result = v.safeParse(PackSchema, json);
  if (result.success) return { lessons: result.output.lessons, errors, name: result.output.name };
  for (const issue of result.issues)
    errors.push({
      file: source,
      line: 1,
      message: issueMessage(issue, PackSchema as unknown as AnySchema, json),
    });
  return { lessons: [], errors };
}
