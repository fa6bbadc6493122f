// The built-in pack: it must lint clean in both languages, and together the lessons must
// teach every command of the seed tutorials (../shared/seeds), lesson by lesson in the order
// issue 6 lists them.
import { describe, expect, it } from "vitest";
import { lintPackDir } from "../../scripts/lint-lessons.ts";
import { formatError } from "../../src/lessons/parse.ts";

const { lessons, errors } = lintPackDir("lessons", true);

describe("built-in lessons", () => {
  it("lint clean with Korean translations", () => {
    expect(errors.map((e) => formatError(e, "lessons"))).toEqual([]);
    expect(lessons.map((l) => l.order)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it("every step has a check, a solution and a hint in both languages", () => {
    for (const l of lessons) {
      expect(l.title.ko, l.id).toBeTruthy();
      expect(l.intro.en.length, l.id).toBeGreaterThan(100);
      expect(l.intro.ko?.length, l.id).toBeGreaterThan(50);
      for (const s of l.steps) {
        const where = `${l.folder}#${s.id}`;
        expect(s.checks.length, where).toBeGreaterThan(0);
        expect(s.solution.length, where).toBeGreaterThan(0);
        expect(s.hints.en.length, where).toBeGreaterThan(0);
        expect(s.hints.ko?.length, where).toBeGreaterThan(0);
        expect(s.title.ko, where).toBeTruthy();
      }
    }
  });

  it("the layers lesson shows the Layers panel where it asks for shared layers", () => {
    const layers = lessons.find((l) => l.id === "layers");
    const withPanel = layers?.steps.filter((s) => s.panel === "layers").map((s) => s.id);
    expect(withPanel).toEqual(["shared"]);
  });

  it("Korean lessons use the seeds' terms", () => {
    const ko = lessons
      .map((l) => [l.intro.ko, ...l.steps.map((s) => s.prose.ko)].join("\n"))
      .join("\n");
    for (const term of ["컨테이너", "이미지", "레이어", "레지스트리", "레포지토리", "태그", "볼륨"])
      expect(ko).toContain(term);
  });

  // [lesson id, a command from the seed tutorials as issue 6 assigns it]
  const SEED_COMMANDS: [string, RegExp][] = [
    ["what-is-docker", /^docker -v$/m],
    ["what-is-docker", /^docker version$/m],
    ["what-is-docker", /^docker info$/m],
    ["first-container", /^docker run hello-world$/m],
    ["images", /^docker search nginx$/m],
    ["images", /^docker pull debian:bookworm$/m],
    ["images", /^docker pull docker\.io\/library\/nginx:latest$/m],
    ["images", /^docker images$/m],
    ["images", /^docker image ls/m],
    ["interactive-containers", /^docker run -i -t --name hello debian bash$/m],
    ["interactive-containers", /^exit$/m],
    ["interactive-containers", /^<Ctrl\+P><Ctrl\+Q>$/m],
    ["interactive-containers", /^docker attach hello$/m],
    ["interactive-containers", /^docker exec -it hello bash$/m],
    ["container-lifecycle", /^docker ps$/m],
    ["container-lifecycle", /^docker ps -a$/m],
    ["container-lifecycle", /^docker container ls -a$/m],
    ["container-lifecycle", /^docker container ps -a$/m],
    ["container-lifecycle", /^docker start hello$/m],
    ["container-lifecycle", /^docker restart hello$/m],
    ["container-lifecycle", /^docker stop hello$/m],
    ["container-lifecycle", /^docker rm hello$/m],
    ["container-lifecycle", /^docker image pull whalesay:latest$/m],
    ["container-lifecycle", /^docker container run --name boo whalesay cowsay boo$/m],
    ["container-lifecycle", /^docker container rm boo$/m],
    ["container-lifecycle", /^docker container run --name boo --rm whalesay cowsay boo$/m],
    ["remove-images", /^docker image rm whalesay$/m],
    ["remove-images", /^docker rmi hello-world$/m],
    ["remove-images", /^docker rmi -f hello-world$/m],
    ["remove-images", /dangling=true/m],
    ["web-server", /^docker container run --name web -p 818:80 httpd$/m],
    ["web-server", /^docker run --detach --publish=80:80 --name=webserver nginx$/m],
    ["web-server", /^docker container ls$/m],
    ["web-server", /^docker container stop webserver$/m],
    ["copy-files", /^docker container start web$/m],
    ["copy-files", /^docker container cp \.\/ web:\/usr\/local\/apache2\/htdocs$/m],
    ["commit", /^docker container commit web my_game:1\.0$/m],
    ["commit", /^docker run -d --name my_web2 -p 900:80 my_game:1\.0$/m],
    ["dockerfile", /FROM httpd\\nCOPY \.\/ \/usr\/local\/apache2\/htdocs\//m],
    ["dockerfile", /^docker build --tag my_game:2\.0 \.$/m],
    ["dockerfile", /^docker run -d --name my_web3 -p 901:80 my_game:2\.0$/m],
    ["layers", /^docker history httpd$/m],
    ["layers", /^docker diff web$/m],
    [
      "volumes",
      /^docker run -d --name live -p 8081:80 -v \/root\/game:\/usr\/local\/apache2\/htdocs httpd$/m,
    ],
    ["volumes", /-v notes:\/data/m],
    ["share-images", /^docker tag my_game:2\.0 registry\.local:5000\/my_game:2\.0$/m],
    ["share-images", /^docker push /m],
    ["share-images", /^docker pull registry\.local:5000\//m],
    ["vm-vs-container", /^docker exec sleeper ps$/m],
    ["vm-vs-container", /^ps -ef/m],
  ];

  it("teach every seed command in the lesson the issue assigns it to", () => {
    const byId = new Map(lessons.map((l) => [l.id, l.steps.flatMap((s) => s.solution).join("\n")]));
    const order = lessons.map((l) => l.id);
    for (const [id, re] of SEED_COMMANDS) {
      expect(byId.get(id), `${id} should teach ${re}`).toMatch(re);
    }
    // The table itself follows the order of lessons.
    const positions = SEED_COMMANDS.map(([id]) => order.indexOf(id));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it("declares what restart must remove for every named container a solution creates", () => {
    for (const l of lessons) {
      const named = l.steps
        .flatMap((s) => s.solution)
        .flatMap((line) =>
          [...line.matchAll(/docker (?:container )?run [^|]*?--name[ =](\S+)/g)].map((m) => m[1]!),
        );
      for (const name of named) {
        const elsewhere = lessons.some((o) => o !== l && o.creates.containers.includes(name));
        const removedInLesson = l.steps.some((s) =>
          s.checks.some((c) => c.kind === "noContainer" && c.name === name),
        );
        const rm = l.steps.some((s) =>
          s.solution.some((x) => x.includes("--rm") && x.includes(name)),
        );
        expect(
          l.creates.containers.includes(name) || elsewhere || removedInLesson || rm,
          `${l.id}: ${name}`,
        ).toBe(true);
      }
    }
  });
});
