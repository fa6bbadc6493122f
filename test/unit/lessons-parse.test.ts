import { describe, expect, it } from "vitest";
import {
  formatError,
  parsePack,
  parsePackJson,
  type PackEntries,
} from "../../src/lessons/parse.ts";
import { entriesFromRecord } from "../../src/lessons/pack.ts";

const EN = `---
id: first-container
title: Run your first container
summary: docker run hello-world
needs: [hello-world]
creates: {containers: [greeter]}
files: [{from: files, to: /root/game}]
---

A container is a running image.

## Run it {#run-it}

Type:

\`\`\`sh
docker run hello-world
\`\`\`

<!-- this plain comment is ignored -->
<!-- check: container {image: hello-world, state: exited, exitCode: 0} -->
<!-- check: command
matches: docker (container )?run hello-world
-->
<!-- hint: The image name goes after \`run\`. -->
<!-- hint: Type exactly \`docker run hello-world\`. -->
<!-- solution: docker run hello-world -->

## Name it {#name-it}

\`\`\`
<!-- check: this is inside a code block and is not a directive -->
\`\`\`

<!-- check: container {name: greeter, image: hello-world} -->
<!-- solution:
docker run --name greeter hello-world
-->
`;

const KO = `---
id: first-container
title: 첫 컨테이너 실행
summary: docker run hello-world
---

컨테이너는 실행 중인 이미지입니다.

## 실행하기 {#run-it}

<!-- hint: 이미지 이름은 \`run\` 다음에 옵니다. -->

## 이름 붙이기 {#name-it}
`;

function pack(files: Record<string, string>): PackEntries {
  return new Map(Object.entries(files));
}

const good = () => ({
  "01-first-container/lesson.md": EN,
  "01-first-container/lesson.ko.md": KO,
  "01-first-container/files/index.html": "<canvas></canvas>",
});

function errorsOf(files: Record<string, string>, requireKo = false): string[] {
  return parsePack(pack(files), requireKo ? { requireLocales: ["ko"] } : {}).errors.map((e) =>
    formatError(e, "lessons"),
  );
}

describe("lesson loader", () => {
  it("parses a lesson folder into typed, merged English and Korean data", () => {
    const { lessons, errors } = parsePack(pack(good()), { requireLocales: ["ko"] });
    expect(errors).toEqual([]);
    const [l] = lessons;
    expect(l).toMatchObject({
      id: "first-container",
      order: 1,
      folder: "01-first-container",
      needs: ["hello-world"],
    });
    expect(l!.title).toEqual({ en: "Run your first container", ko: "첫 컨테이너 실행" });
    expect(l!.intro.ko).toBe("컨테이너는 실행 중인 이미지입니다.");
    expect(l!.creates).toEqual({ containers: ["greeter"], images: [], volumes: [] });
    expect(l!.files).toEqual([
      { path: "/root/game/index.html", encoding: "utf8", content: "<canvas></canvas>" },
    ]);
    const [s1, s2] = l!.steps;
    expect(s1!.checks).toEqual([
      { kind: "container", image: "hello-world", state: "exited", exitCode: 0 },
      { kind: "command", matches: "docker (container )?run hello-world", exit: 0 },
    ]);
    expect(s1!.hints.en).toHaveLength(2);
    expect(s1!.hints.ko).toEqual(["이미지 이름은 `run` 다음에 옵니다."]);
    expect(s1!.code).toEqual([{ lang: "sh", code: "docker run hello-world", runnable: true }]);
    expect(s1!.prose.en).not.toContain("<!--");
    expect(s1!.solution).toEqual(["docker run hello-world"]);
    expect(s2!.title.ko).toBe("이름 붙이기");
    expect(s2!.checks).toHaveLength(1);
    expect(s2!.solution).toEqual(["docker run --name greeter hello-world"]);
    expect(s2!.prose.en).toContain("inside a code block");
  });

  it("reads packs from an import.meta.glob-style record and validates built JSON", () => {
    const rec = Object.fromEntries(Object.entries(good()).map(([k, v]) => [`/lessons/${k}`, v]));
    const { lessons } = parsePack(entriesFromRecord(rec, "/lessons"));
    expect(lessons).toHaveLength(1);
    const json = JSON.parse(JSON.stringify({ format: 1, name: "teacher", lessons }));
    expect(parsePackJson(json, "https://example.org/pack.json").lessons).toEqual(lessons);
    const bad = parsePackJson({ format: 2, name: "x", lessons: [] }, "pack.json");
    expect(bad.errors[0]?.message).toMatch(/format: 1/);
  });
});

describe("malformed lessons fail with file:line and what was expected", () => {
  const broken = (find: string, replace: string) => ({
    ...good(),
    "01-first-container/lesson.md": EN.replace(find, replace),
  });

  it("frontmatter fields", () => {
    expect(errorsOf(broken("id: first-container", "id: First_Container"))).toContain(
      "lessons/01-first-container/lesson.md:2: `id`: expected lowercase letters and digits joined by '-', e.g. `first-container`",
    );
    expect(errorsOf(broken("needs: [hello-world]", "needs: [hello-world]\nauthor: me"))).toContain(
      "lessons/01-first-container/lesson.md:6: unknown field `author`; expected one of: id, title, summary, needs, creates, files",
    );
    expect(errorsOf(broken("title: Run your first container\n", ""))).toContain(
      "lessons/01-first-container/lesson.md:2: missing field `title`",
    );
    expect(
      errorsOf(broken("creates: {containers: [greeter]}", "creates: {container: [greeter]}")),
    ).toContain(
      "lessons/01-first-container/lesson.md:6: unknown field `container` in `creates`; expected one of: containers, images, volumes",
    );
    expect(errorsOf(broken("summary: docker run hello-world", "summary: [unclosed"))[0]).toMatch(
      /^lessons\/01-first-container\/lesson.md:\d+: frontmatter is not valid YAML/,
    );
    expect(errorsOf({ "01-x/lesson.md": "# Title\n" })).toEqual([
      "lessons/01-x/lesson.md:1: expected frontmatter: the file must start with a line `---`, then id, title, summary, then `---`",
    ]);
  });

  it("checks: unknown names, unknown fields, bad values, on the right line", () => {
    expect(
      errorsOf(
        broken(
          "<!-- check: container {image: hello-world",
          "<!-- check: contaner {image: hello-world",
        ),
      ),
    ).toContain(
      "lessons/01-first-container/lesson.md:21: unknown check `contaner`; expected one of: container, noContainer, image, noImage, danglingImages, change, file, http, command, volume",
    );
    expect(
      errorsOf(
        broken(
          "{image: hello-world, state: exited, exitCode: 0}",
          "{image: hello-world, state: stopped}",
        ),
      ),
    ).toContain(
      "lessons/01-first-container/lesson.md:21: `state`: expected a container state: created, running, paused, restarting, removing, exited, dead",
    );
    expect(
      errorsOf(
        broken("matches: docker (container )?run hello-world", "matches: docker run (hello"),
      ),
    ).toContain(
      "lessons/01-first-container/lesson.md:23: `matches`: expected a valid regular expression",
    );
    expect(
      errorsOf(broken("matches: docker (container )?run hello-world", "matches: x\nexitt: 0")),
    ).toContain(
      "lessons/01-first-container/lesson.md:24: unknown field `exitt`; expected one of: matches, exit, cwd",
    );
    expect(errorsOf(broken("{name: greeter, image: hello-world}", "{state: running}"))).toContain(
      "lessons/01-first-container/lesson.md:35: a container check needs `name` or `image`",
    );
    expect(
      errorsOf(broken("{name: greeter, image: hello-world}", "{name: greeter, ports: [818]}")),
    ).toContain(
      'lessons/01-first-container/lesson.md:35: `ports.0`: expected a port mapping written like `-p`, e.g. "818:80"',
    );
  });

  it("steps: ids, checks, solutions, directives", () => {
    expect(errorsOf(broken("## Name it {#name-it}", "## Name it"))).toContain(
      "lessons/01-first-container/lesson.md:29: a step heading needs a stable id at its end, e.g. `## Run it {#run-it}`",
    );
    expect(errorsOf(broken("## Name it {#name-it}", "## Name it {#run-it}"))).toContain(
      'lessons/01-first-container/lesson.md:29: step id "run-it" is used twice in this lesson',
    );
    expect(errorsOf(broken("<!-- solution: docker run hello-world -->", ""))).toContain(
      'lessons/01-first-container/lesson.md:12: step "run-it" has no solution: expected `<!-- solution: the command -->`',
    );
    expect(errorsOf(broken("<!-- hint: Type exactly", "<!-- hnt: Type exactly"))).toContain(
      'lessons/01-first-container/lesson.md:26: unknown directive `hnt:`; expected check:, hint:, solution: or panel: (other comments must not start with "word:")',
    );
    expect(
      errorsOf(
        broken("<!-- hint: Type exactly", "<!-- panel: volumes -->\n<!-- hint: Type exactly"),
      ),
    ).toContain(
      'lessons/01-first-container/lesson.md:26: unknown panel "volumes": expected one of layers, e.g. `<!-- panel: layers -->`',
    );
    expect(
      errorsOf(broken("A container is a running image.", "<!-- hint: too early -->")),
    ).toContain(
      "lessons/01-first-container/lesson.md:10: a hint belongs to a step: put it after a `## Step title {#step-id}` heading",
    );
    expect(errorsOf(broken("## Name it {#name-it}", "# Name it {#name-it}"))).toContain(
      "lessons/01-first-container/lesson.md:29: a top-level `# ` heading is not used: the title comes from the frontmatter and steps are `## ` headings",
    );
  });

  it("translations: same id, same steps in the same order, no checks", () => {
    const ko = (find: string, replace: string) => ({
      ...good(),
      "01-first-container/lesson.ko.md": KO.replace(find, replace),
    });
    expect(errorsOf(ko("id: first-container", "id: first"))).toContain(
      'lessons/01-first-container/lesson.ko.md:2: id "first" differs from lesson.md\'s "first-container"; a translation keeps the same id',
    );
    expect(errorsOf(ko("{#name-it}", "{#name}"))).toContain(
      'lessons/01-first-container/lesson.ko.md:13: step "name" does not exist in lesson.md; expected "name-it"',
    );
    expect(errorsOf(ko("## 이름 붙이기 {#name-it}\n", ""))[0]).toMatch(
      /lesson.ko.md:\d+: missing translated step\(s\): name-it/,
    );
    expect(
      errorsOf(ko("<!-- hint:", "<!-- check: command {matches: x} -->\n<!-- hint:")),
    ).toContain(
      "lessons/01-first-container/lesson.ko.md:11: checks live in lesson.md only; a translation carries prose, step titles and hints",
    );
    expect(errorsOf(ko("needs: x", ""), false)).toEqual([]);
    const { "01-first-container/lesson.ko.md": _, ...noKo } = good();
    expect(errorsOf(noKo, true)).toEqual([
      "lessons/01-first-container/lesson.ko.md:1: missing Korean translation lesson.ko.md",
    ]);
    expect(errorsOf(noKo, false)).toEqual([]);
  });

  it("folders and files", () => {
    expect(errorsOf({ ...good(), "first/lesson.md": EN })).toContain(
      "lessons/first/lesson.md:1: lesson folder name must be NN-slug (two digits, '-', lowercase words), e.g. 08-copy-files; got \"first\"",
    );
    expect(
      errorsOf({
        ...good(),
        "02-second/lesson.md": EN.replace("files: [{from: files, to: /root/game}]", ""),
      }),
    ).toContain(
      'lessons/02-second/lesson.md:2: id "first-container" is already used by 01-first-container; lesson ids must be unique',
    );
    expect(errorsOf(broken("from: files", "from: ../../etc"))).toContain(
      'lessons/01-first-container/lesson.md:7: files.from "../../etc" leaves the pack; expected a folder inside it',
    );
    expect(errorsOf(broken("files: [{from: files, to: /root/game}]", ""))).toContain(
      "lessons/01-first-container/lesson.md:1: this lesson has a files/ folder but its frontmatter does not copy it: add `files: [{from: files, to: /root/...}]`",
    );
  });
});
