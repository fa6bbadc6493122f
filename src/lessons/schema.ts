// The lesson format, as one set of valibot schemas. This file is the format's documentation:
// every field has a description, and every message says what was expected, because the
// linter prints these messages with file:line to teachers. lessons/README.md explains the
// same format in prose.
import * as v from "valibot";

export const LOCALES = ["en", "ko"] as const;
export type Locale = (typeof LOCALES)[number];

/** Text in every language the lesson has; English is always present and is the fallback. */
export const TextSchema = v.strictObject({
  en: v.string(),
  ko: v.optional(v.string()),
});
export type Text = v.InferOutput<typeof TextSchema>;

/** A list of texts per language (hints): translations may have a different number of hints. */
export const TextListSchema = v.strictObject({
  en: v.array(v.string()),
  ko: v.optional(v.array(v.string())),
});
export type TextList = v.InferOutput<typeof TextListSchema>;

// ---------------------------------------------------------------------------
// Small pieces
// ---------------------------------------------------------------------------

const Slug = v.pipe(
  v.string("expected a text id such as `first-container`"),
  v.regex(
    /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
    "expected lowercase letters and digits joined by '-', e.g. `first-container`",
  ),
);

const NonEmpty = (what: string) =>
  v.pipe(v.string(`expected ${what} as text`), v.trim(), v.minLength(1, `${what} is empty`));

const ContainerName = v.pipe(
  v.string("expected a container name such as `web`"),
  v.regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
    "expected a container name (letters, digits, '_', '.', '-'), e.g. `web`",
  ),
);

const ImageRef = v.pipe(
  v.string("expected an image reference such as `nginx` or `my_game:1.0`"),
  v.regex(
    /^[a-z0-9][a-z0-9._/:@-]*$/i,
    "expected an image reference such as `nginx`, `httpd:latest` or `registry.local:5000/my_game:2.0`",
  ),
);

const AbsolutePath = v.pipe(
  v.string("expected an absolute path such as `/usr/local/apache2/htdocs/index.html`"),
  v.regex(/^\//, "expected an absolute path starting with '/'"),
);

const Port = v.pipe(
  v.number("expected a port number such as 818"),
  v.integer("expected a whole port number"),
  v.minValue(1, "ports start at 1"),
  v.maxValue(65535, "ports end at 65535"),
);

/** `-p` syntax the learner types: host port, colon, container port, optional /tcp or /udp. */
const PortMapping = v.pipe(
  v.string('expected a port mapping written like `-p`, e.g. "818:80"'),
  v.regex(
    /^\d{1,5}:\d{1,5}(?:\/(?:tcp|udp))?$/,
    'expected HOST:CONTAINER like "818:80" or "818:80/tcp"',
  ),
);

export const CONTAINER_STATES = [
  "created",
  "running",
  "paused",
  "restarting",
  "removing",
  "exited",
  "dead",
] as const;
export type ContainerStateName = (typeof CONTAINER_STATES)[number];

const ExitExpectation = v.union(
  [v.pipe(v.number(), v.integer()), v.picklist(["nonzero", "any"], "expected `nonzero` or `any`")],
  "expected an exit code (0, 1, …), `nonzero` or `any`",
);

// ---------------------------------------------------------------------------
// Checks: named, typed predicates over engine state and the command log.
// Written in a lesson as `<!-- check: KIND {field: value, ...} -->`.
// ---------------------------------------------------------------------------

const ContainerCheck = v.strictObject({
  kind: v.literal("container"),
  name: v.pipe(v.optional(ContainerName), v.description("the container's name (`--name`)")),
  image: v.pipe(v.optional(ImageRef), v.description("the image the container was created from")),
  state: v.pipe(
    v.optional(
      v.picklist(CONTAINER_STATES, `expected a container state: ${CONTAINER_STATES.join(", ")}`),
    ),
    v.description("the container's state"),
  ),
  exitCode: v.pipe(
    v.optional(v.pipe(v.number("expected an exit code number"), v.integer())),
    v.description("the exit code of a stopped container"),
  ),
  ports: v.pipe(
    v.optional(v.array(PortMapping, 'expected a list of port mappings, e.g. ["818:80"]')),
    v.description("published ports, written as `-p` takes them"),
  ),
  mounts: v.pipe(
    v.optional(
      v.array(
        v.strictObject(
          {
            destination: AbsolutePath,
            type: v.optional(v.picklist(["bind", "volume"], "expected `bind` or `volume`")),
            source: v.optional(v.string("expected a host path or volume name")),
          },
          "expected a mount like {destination: /data, type: volume, source: data}",
        ),
      ),
    ),
    v.description("mounts (`-v`) the container must have"),
  ),
  process: v.pipe(
    v.optional(NonEmpty("a process command")),
    v.description("text that one process running in the container (`docker top`) contains"),
  ),
  autoRemove: v.pipe(
    v.optional(v.boolean("expected true or false")),
    v.description("whether the container was created with `--rm`"),
  ),
  interactive: v.pipe(
    v.optional(v.boolean("expected true or false")),
    v.description("whether the container was created with `-i -t` (stdin open and a terminal)"),
  ),
});

const NoContainerCheck = v.strictObject({
  kind: v.literal("noContainer"),
  name: v.pipe(v.optional(ContainerName), v.description("no container has this name")),
  image: v.pipe(v.optional(ImageRef), v.description("no container was made from this image")),
});

const ImageCheck = v.strictObject({
  kind: v.literal("image"),
  ref: v.pipe(ImageRef, v.description("repository:tag that must exist locally")),
  minLayers: v.pipe(
    v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    v.description("the image has at least this many layers"),
  ),
  sharesLayersWith: v.pipe(
    v.optional(ImageRef),
    v.description("every layer of this other image is also a layer of `ref` (built on it)"),
  ),
  history: v.pipe(
    v.optional(NonEmpty("a history text")),
    v.description("one line of `docker history` (created by) contains this text"),
  ),
  pushedTo: v.pipe(
    v.optional(NonEmpty("a registry host")),
    v.description("the image has a digest from this registry, i.e. it was pushed or pulled there"),
  ),
});

const NoImageCheck = v.strictObject({
  kind: v.literal("noImage"),
  ref: v.pipe(ImageRef, v.description("repository:tag that must not exist locally")),
});

const DanglingImagesCheck = v.strictObject({
  kind: v.literal("danglingImages"),
  min: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  max: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

const ChangeCheck = v.strictObject({
  kind: v.literal("change"),
  container: ContainerName,
  path: AbsolutePath,
  change: v.pipe(
    v.optional(v.picklist(["added", "changed", "deleted"], "expected added, changed or deleted")),
    v.description("how `docker diff` lists the path (A, C or D)"),
  ),
});

const FileCheck = v.strictObject({
  kind: v.literal("file"),
  container: v.pipe(v.optional(ContainerName), v.description("read the file in this container")),
  volume: v.pipe(
    v.optional(ContainerName),
    v.description("or in this named volume; with neither, on the learner's machine (the guest)"),
  ),
  path: AbsolutePath,
  contains: v.pipe(v.optional(NonEmpty("a text")), v.description("the file contains this text")),
});

const HttpCheck = v.strictObject({
  kind: v.literal("http"),
  port: Port,
  path: v.optional(v.pipe(v.string(), v.regex(/^\//, "expected a path starting with '/'")), "/"),
  status: v.optional(v.pipe(v.number(), v.integer()), 200),
  contains: v.pipe(
    v.optional(NonEmpty("a text")),
    v.description("the answer's body contains this"),
  ),
});

const CommandCheck = v.strictObject({
  kind: v.literal("command"),
  matches: v.pipe(
    NonEmpty("a pattern"),
    v.check((p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    }, "expected a valid regular expression"),
    v.description(
      "regular expression the whole command must match (spaces collapsed), e.g. `docker (-v|--version)`",
    ),
  ),
  exit: v.pipe(v.optional(ExitExpectation, 0), v.description("expected exit code; default 0")),
  cwd: v.pipe(v.optional(AbsolutePath), v.description("directory the command must run in")),
});

const VolumeCheck = v.strictObject({
  kind: v.literal("volume"),
  name: ContainerName,
});

export const CHECK_KINDS = [
  "container",
  "noContainer",
  "image",
  "noImage",
  "danglingImages",
  "change",
  "file",
  "http",
  "command",
  "volume",
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export const CheckSchema = v.pipe(
  v.variant(
    "kind",
    [
      ContainerCheck,
      NoContainerCheck,
      ImageCheck,
      NoImageCheck,
      DanglingImagesCheck,
      ChangeCheck,
      FileCheck,
      HttpCheck,
      CommandCheck,
      VolumeCheck,
    ],
    `unknown check; expected one of: ${CHECK_KINDS.join(", ")}`,
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const c = dataset.value;
    if ((c.kind === "container" || c.kind === "noContainer") && !c.name && !c.image)
      addIssue({ message: `a ${c.kind} check needs \`name\` or \`image\`` });
    if (c.kind === "file" && c.container && c.volume)
      addIssue({ message: "a file check reads in a `container` or a `volume`, not both" });
    if (c.kind === "danglingImages" && c.min === undefined && c.max === undefined)
      addIssue({ message: "a danglingImages check needs `min` or `max`" });
  }),
);
export type Check = v.InferOutput<typeof CheckSchema>;
export type CheckOf<K extends CheckKind> = Extract<Check, { kind: K }>;

// ---------------------------------------------------------------------------
// Frontmatter
// ---------------------------------------------------------------------------

const FileSource = v.strictObject(
  {
    from: v.pipe(
      NonEmpty("a folder"),
      v.description(
        "folder relative to the lesson folder, e.g. `files` or `../08-copy-files/files`",
      ),
    ),
    to: v.pipe(AbsolutePath, v.description("folder in the guest the files are copied into")),
  },
  "expected {from: files, to: /root/game}",
);

export const LessonFrontmatterSchema = v.strictObject(
  {
    id: v.pipe(Slug, v.description("stable forever: progress is stored under it")),
    title: NonEmpty("`title`"),
    summary: NonEmpty("`summary`"),
    needs: v.pipe(
      v.optional(v.array(ImageRef, "expected a list of images, e.g. [nginx, httpd]"), []),
      v.description("bundled images the lesson pulls or runs"),
    ),
    creates: v.pipe(
      v.optional(
        v.strictObject(
          {
            containers: v.optional(
              v.array(ContainerName, "expected a list of container names"),
              [],
            ),
            images: v.optional(v.array(ImageRef, "expected a list of image references"), []),
            volumes: v.optional(v.array(ContainerName, "expected a list of volume names"), []),
          },
          "expected {containers: [...], images: [...], volumes: [...]}",
        ),
        { containers: [], images: [], volumes: [] },
      ),
      v.description('what the lesson makes; "restart lesson" removes them'),
    ),
    files: v.pipe(
      v.optional(v.array(FileSource, "expected a list of {from, to}"), []),
      v.description("files copied into the guest when the lesson starts"),
    ),
  },
  "expected the lesson frontmatter: id, title, summary and optionally needs, creates, files",
);
export type LessonFrontmatter = v.InferOutput<typeof LessonFrontmatterSchema>;

/** A translation's frontmatter: the same id, translated title and summary; nothing else. */
export const TranslationFrontmatterSchema = v.strictObject(
  {
    id: Slug,
    title: NonEmpty("`title`"),
    summary: NonEmpty("`summary`"),
  },
  "a translation's frontmatter holds only id, title and summary; needs, creates and files come from lesson.md",
);

// ---------------------------------------------------------------------------
// The parsed lesson (what the loader produces and a pack JSON holds)
// ---------------------------------------------------------------------------

export const CodeBlockSchema = v.strictObject({
  lang: v.string(),
  code: v.string(),
  /** Shell blocks get a "run in terminal" button. */
  runnable: v.boolean(),
});
export type CodeBlock = v.InferOutput<typeof CodeBlockSchema>;

/** Panels a step can embed. */
export const PANELS = ["layers"] as const;

export const StepSchema = v.strictObject({
  id: Slug,
  title: TextSchema,
  /** Markdown with the directives removed; the UI sanitises and renders it. */
  prose: TextSchema,
  code: v.array(CodeBlockSchema),
  checks: v.pipe(v.array(CheckSchema), v.minLength(1, "every step needs at least one check")),
  hints: TextListSchema,
  /**
   * What to type, one terminal line per entry. `<Ctrl+C>`-style tokens are keys; a line
   * made only of keys is sent without Enter.
   */
  solution: v.pipe(v.array(v.string()), v.minLength(1, "every step needs a solution")),
  /** A live panel shown inside the step (`<!-- panel: layers -->`): what the step is about. */
  panel: v.optional(v.picklist(PANELS, `expected one of ${PANELS.join(", ")}`)),
});
export type Step = v.InferOutput<typeof StepSchema>;

export const LessonFileSchema = v.strictObject({
  /** Absolute path in the guest. */
  path: AbsolutePath,
  encoding: v.picklist(["utf8", "base64"]),
  content: v.string(),
});
export type LessonFile = v.InferOutput<typeof LessonFileSchema>;

export const LessonSchema = v.strictObject({
  id: Slug,
  /** Folder name, e.g. `08-copy-files`; its number orders the pack. */
  folder: v.string(),
  order: v.number(),
  title: TextSchema,
  summary: TextSchema,
  /** The concept explanation before the first step. */
  intro: TextSchema,
  needs: v.array(ImageRef),
  creates: v.strictObject({
    containers: v.array(ContainerName),
    images: v.array(ImageRef),
    volumes: v.array(ContainerName),
  }),
  files: v.array(LessonFileSchema),
  steps: v.pipe(v.array(StepSchema), v.minLength(1, "a lesson needs at least one step")),
});
export type Lesson = v.InferOutput<typeof LessonSchema>;

/** A built pack, as `lint-lessons --json` writes it and a teacher serves it from a static URL. */
export const PackSchema = v.strictObject({
  format: v.literal(1, "expected `format: 1`"),
  name: v.string(),
  lessons: v.array(LessonSchema),
});
export type Pack = v.InferOutput<typeof PackSchema>;

// ---------------------------------------------------------------------------
// Saved progress (IndexedDB), validated when read back
// ---------------------------------------------------------------------------

export const LessonProgressSchema = v.strictObject({
  version: v.literal(1),
  lessonId: Slug,
  passed: v.array(v.string()),
  hintsShown: v.record(v.string(), v.pipe(v.number(), v.integer(), v.minValue(0))),
  solutionShown: v.array(v.string()),
  startedAt: v.number(),
  completedAt: v.optional(v.number()),
});
export type LessonProgress = v.InferOutput<typeof LessonProgressSchema>;

/** Pick the text for a locale, falling back to English. */
export function pick(text: Text, locale: Locale): string {
  return (locale === "ko" ? text.ko : undefined) ?? text.en;
}

export function pickList(list: TextList, locale: Locale): string[] {
  return (locale === "ko" ? list.ko : undefined) ?? list.en;
}
