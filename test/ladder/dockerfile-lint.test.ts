import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { loadLadder, TEMPLATES_DIR } from "../../src/ladder/assets.js";
import {
  formatFindings,
  ignorePragmas,
  lintDockerfile,
  parseDockerfile,
  renderedRuns,
  type RenderedRun,
} from "../../src/ladder/dockerfile-lint.js";
import { planRung } from "../../src/ladder/plan.js";

const rules = (text: string, opts = {}) => lintDockerfile(text, opts).map((f) => f.rule);

describe("parseDockerfile", () => {
  it("joins continuations, drops comments (also inside a continuation) and blank lines", () => {
    const ins = parseDockerfile(
      '# top\nARG A=1\n\nFROM x:1 AS b\nRUN a \\\n # inside\n  && b\nCMD ["c"]\n',
    );
    expect(ins.map((i) => ({ ...i, args: i.args.replace(/\s+/g, " ") }))).toEqual([
      { keyword: "ARG", args: "A=1", line: 2 },
      { keyword: "FROM", args: "x:1 AS b", line: 4 },
      { keyword: "RUN", args: "a && b", line: 5 },
      { keyword: "CMD", args: '["c"]', line: 8 },
    ]);
  });
});

describe("lintDockerfile rules", () => {
  it("DL3019: apk add needs --no-cache", () => {
    expect(rules("FROM alpine:3.20\nRUN apk add gcc && apk add --no-cache g++\n")).toEqual([
      "DL3019",
    ]);
    expect(rules("FROM alpine:3.20\nRUN apk --update --no-cache add gcc\n")).toEqual([]);
  });

  it("DL3015: apt-get install needs --no-install-recommends", () => {
    expect(rules("FROM debian:12\nRUN apt-get update && apt-get install -y gcc\n")).toEqual([
      "DL3015",
    ]);
    expect(
      rules(
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends gcc\n",
      ),
    ).toEqual([]);
  });

  it("DL3042: pip install and pip wheel need --no-cache-dir, unless the cache is kept on purpose", () => {
    const text = "FROM python:3.11\nRUN pip install -r r.txt\nRUN python3 -m pip wheel -w /w x\n";
    expect(rules(text)).toEqual(["DL3042", "DL3042"]);
    expect(rules(text, { pipCache: "allow" })).toEqual([]);
    expect(rules("FROM python:3.11\nRUN pip install --no-cache-dir -r r.txt\n")).toEqual([]);
    // Not pip: a word that merely contains it.
    expect(rules("FROM python:3.11\nRUN echo pipeline install\n")).toEqual([]);
  });

  it('evaluates the templates\' switches on build args: if [ "$X" = 1 ] and set -- "$@"', () => {
    const text = [
      "ARG BASE_IMAGE=python:3.11-slim",
      "FROM ${BASE_IMAGE}",
      "ARG NO_CACHE=0",
      'RUN if [ "$NO_CACHE" = 1 ]; then set -- --no-cache-dir; fi \\',
      ' && pip install --user "$@" -r r.txt',
    ].join("\n");
    expect(rules(text)).toEqual(["DL3042"]);
    expect(rules(text, { buildArgs: { NO_CACHE: "1" } })).toEqual([]);
    const other =
      'FROM python:3.11\nARG M=a\nRUN if [ "$M" = b ]; then pip install x; else apk add y; fi\n';
    expect(rules(other)).toEqual(["DL3019"]);
    expect(rules(other, { buildArgs: { M: "b" } })).toEqual(["DL3042"]);
    const deps = 'FROM alpine:3.20\nARG D="x y"\nRUN if [ -n "$D" ]; then apk add $D; fi\n';
    expect(rules(deps)).toEqual(["DL3019"]);
    expect(rules(deps, { buildArgs: { D: "" } })).toEqual([]);
    expect(renderedRuns(deps, { D: "" })[0]!.commands).toEqual([":"]);
    // A switch on something the linter cannot know stays as written, and is checked as such.
    expect(rules("FROM a:1\nRUN if [ -f /x ]; then apk add y; fi\n")).toEqual(["DL3019"]);
  });

  it("DL3006 / DL3007: tag the image, and not latest; scratch and earlier stages are fine", () => {
    expect(rules("FROM python\n")).toEqual(["DL3006"]);
    expect(rules("FROM python:latest\n")).toEqual(["DL3007"]);
    expect(rules("FROM registry:5000/python\n")).toEqual(["DL3006"]);
    expect(rules("FROM python@sha256:abc\nFROM python:3.11 AS b\nFROM b\nFROM scratch\n")).toEqual(
      [],
    );
    expect(rules("ARG I=python:latest\nFROM $I\n")).toEqual(["DL3007"]);
    expect(rules("ARG I=python:latest\nFROM $I\n", { buildArgs: { I: "python:3.11" } })).toEqual(
      [],
    );
  });

  it("DL3024: stage names are unique", () => {
    expect(rules("FROM a:1 AS b\nFROM c:1 AS B\n")).toEqual(["DL3024"]);
  });

  it("DL3022: COPY --from names an earlier stage", () => {
    expect(rules("FROM a:1 AS b\nFROM c:1\nCOPY --from=b /x /x\nCOPY --from=0 /y /y\n")).toEqual(
      [],
    );
    expect(rules("FROM a:1 AS b\nCOPY --from=b /x /x\nCOPY --from=c /x /x\n")).toEqual([
      "DL3022",
      "DL3022",
    ]);
    expect(rules("FROM a:1\nCOPY --from=python:3.11 /x /x\n")).toEqual([]);
  });

  it("DL3020: ADD of local files", () => {
    expect(rules("FROM a:1\nADD app/ /app/\nADD https://x/y /y\nADD a.tar.gz /\n")).toEqual([
      "DL3020",
    ]);
  });

  it("SB001 / SB002: an ARG before FROM is declared for and used by a FROM", () => {
    expect(rules("FROM ${IMG}\n")).toEqual(["SB001"]);
    expect(rules("ARG UNUSED=1\nARG I=a:1\nFROM $I\n")).toEqual(["SB002"]);
    const f = lintDockerfile("ARG UNUSED=1\nARG I=a:1\nFROM $I\n");
    expect(formatFindings("Dockerfile", f)).toBe(
      "Dockerfile:1 SB002 ARG UNUSED before the first FROM is visible to FROM lines only, and none uses it",
    );
  });
});

// The templates are product code: each one, rendered as every rung of every built-in ladder
// renders it, passes the linter.
const templates = readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith(".Dockerfile"));
const BASES = {
  images: {
    full: "python:3.11",
    slim: "python:3.11-slim",
    alpine: "python:3.11-alpine",
  },
  unavailable: {},
};
describe("hadolint ignore pragmas", () => {
  it("silence the named rules on the next instruction only, across comments and continuations", () => {
    const text = [
      "FROM python:3.11",
      "# hadolint ignore=DL3042,DL3015",
      "# why: the cache is the point",
      "RUN pip install a \\",
      "  && apt-get install -y b",
      "RUN pip install c",
    ].join("\n");
    expect(lintDockerfile(text).map((f) => `${f.line} ${f.rule}`)).toEqual(["6 DL3042"]);
    expect([...ignorePragmas(text)]).toEqual([[4, new Set(["DL3042", "DL3015"])]]);
  });

  it("do not silence other rules", () => {
    expect(rules("# hadolint ignore=DL3042\nFROM python\n")).toEqual(["DL3006"]);
  });
});

describe("every template passes the linter", () => {
  it.each(templates)("%s, with its ARG defaults", (name) => {
    const text = readFileSync(join(TEMPLATES_DIR, name), "utf8");
    // The talk's rungs that keep pip's cache on purpose say so with `# hadolint ignore=DL3042`.
    const findings = lintDockerfile(text);
    expect(formatFindings(name, findings)).toBe("");
  });

  it.each(["modern", "talk-2020"])(
    "every rung of the %s ladder, rendered with its build args",
    async (ladderName) => {
      const ladder = await loadLadder(ladderName);
      for (const rung of ladder.rungs) {
        const plan = planRung(rung, {
          runId: "lint",
          bases: BASES,
          sources: { extraIndexUrls: [], findLinks: [], trustedHosts: [] },
        });
        const text = readFileSync(join(TEMPLATES_DIR, plan.template), "utf8");
        const findings = lintDockerfile(text, { buildArgs: plan.buildArgs });
        expect(formatFindings(`${rung.id} (${plan.template})`, findings)).toBe("");
      }
    },
  );
});

// The alpine rungs cannot run here (no alpine base image without a registry): they are proven by
// rendering. Each one's Dockerfile, with the rung's build args, runs what the talk ran.
describe("the talk-2020 alpine rungs, rendered", () => {
  const runsOf = async (id: string) => {
    const ladder = await loadLadder("talk-2020");
    const rung = ladder.rungs.find((r) => r.id === id)!;
    const plan = planRung(rung, {
      runId: "lint",
      bases: BASES,
      sources: { extraIndexUrls: [], findLinks: [], trustedHosts: [] },
    });
    const text = readFileSync(join(TEMPLATES_DIR, plan.template), "utf8");
    return { plan, text, runs: renderedRuns(text, plan.buildArgs) };
  };
  const all = (runs: RenderedRun[], stage?: number) =>
    runs.filter((r) => stage === undefined || r.stage === stage).flatMap((r) => r.commands);

  it("alpine: one stage, the talk's apk build dependencies kept, musllinux wheels preferred", async () => {
    const { plan, runs } = await runsOf("alpine");
    expect(plan.buildArgs.BASE_IMAGE).toBe("python:3.11-alpine");
    const cmds = all(runs);
    const apk = cmds.find((c) => c.startsWith("apk add"))!;
    for (const pkg of [
      "gcc",
      "g++",
      "gfortran",
      "musl-dev",
      "build-base",
      "openblas-dev",
      "freetype-dev",
      "libpng-dev",
    ]) {
      expect(apk.split(/\s+/)).toContain(pkg);
    }
    expect(apk).toContain("--no-cache");
    expect(cmds.find((c) => c.startsWith("pip install"))).toMatch(/--prefer-binary/);
    expect(cmds.some((c) => /apk del/.test(c))).toBe(false); // the build deps stay: 747 MB
  });

  it("alpine-multistage: builds in one stage, copies /root/.local, apk runtime libraries in the final one", async () => {
    const { runs, text } = await runsOf("alpine-multistage");
    expect(all(runs, 0).find((c) => c.startsWith("pip install"))).toMatch(
      /--user --no-cache-dir --prefer-binary/,
    );
    expect(all(runs, 0).some((c) => c.includes("musl-wheels.sh"))).toBe(false);
    expect(all(runs, 1)[0]).toMatch(
      /^apk add --no-cache libstdc\+\+ libgomp openblas freetype libpng$/,
    );
    expect(text).toContain("COPY --from=builder /root/.local /root/.local");
  });

  it("alpine-wheel: pip wheel + auditwheel repair, installed with --no-index, no apk in the final stage", async () => {
    const { runs } = await runsOf("alpine-wheel");
    expect(all(runs, 0)).toContainEqual(
      "sh /tmp/shrinkbench/scripts/musl-wheels.sh /tmp/shrinkbench/requirements.txt /tmp/shrinkbench/constraints.txt",
    );
    expect(all(runs, 1).some((c) => c.startsWith("apk add"))).toBe(false);
    const script = readFileSync(join(TEMPLATES_DIR, "scripts", "musl-wheels.sh"), "utf8");
    expect(script).toMatch(/pip wheel --no-cache-dir --prefer-binary .* -w \/wheels\/built/);
    expect(script).toMatch(
      /\*-linux_\*\.whl\) auditwheel repair --wheel-dir \/wheels\/repaired "\$w"/,
    );
    expect(script).toMatch(
      /pip install --user --no-cache-dir --no-index --find-links \/wheels\/repaired/,
    );
  });

  it("alpine-size-flags and alpine-shared-libs: the talk's compiler flags, and the linker's", async () => {
    for (const id of ["alpine-size-flags", "alpine-shared-libs"]) {
      const { runs } = await runsOf(id);
      const flags = all(runs, 0).find((c) => c.startsWith("export CFLAGS="))!;
      expect(flags).toContain('CFLAGS="-g0 -Os -DNDEBUG -Wl,--strip-all"');
      expect(flags).toContain('LDFLAGS="-Wl,--strip-all"');
    }
    const shared = await runsOf("alpine-shared-libs");
    expect(all(shared.runs, 0)).toContainEqual(
      "python /tmp/shrinkbench/scripts/dedupe.py /root/.local",
    );
  });
});
