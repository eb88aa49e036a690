import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { TEMPLATES_DIR } from "../../src/ladder/assets.js";
import { lintDockerfile, parseDockerfile } from "../../src/ladder/dockerfile-lint.js";
import {
  contextUrlPath,
  labelStages,
  markedRun,
  markRuns,
  runCacheRecords,
  RUN_MARK,
} from "../../src/ladder/run-marks.js";

const templates = readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith(".Dockerfile"));
const read = (f: string) => readFileSync(join(TEMPLATES_DIR, f), "utf8");
const labels = { "org.shrinkbench.run": "20261203-061000-abc123", "org.shrinkbench.rung": "slim" };

describe("labelStages", () => {
  it("puts a LABEL right after every FROM, the continued ones too", () => {
    const text =
      "ARG B=x:1\nFROM ${B} AS one\nRUN a \\\n  && b\nFROM \\\n  x:2\nCOPY --from=one /a /a\n";
    expect(labelStages(text, { a: "1", "b.c": "2" })).toBe(
      'ARG B=x:1\nFROM ${B} AS one\nLABEL a="1" b.c="2"\nRUN a \\\n  && b\nFROM \\\n  x:2\nLABEL a="1" b.c="2"\nCOPY --from=one /a /a\n',
    );
  });

  it("escapes what the Dockerfile would read as a quote or a variable", () => {
    expect(labelStages("FROM x:1\n", { k: 'a"b$c\\d' })).toBe(
      'FROM x:1\nLABEL k="a\\"b\\$c\\\\d"\n',
    );
  });

  it("ignores FROM inside comments, continuations and heredocs", () => {
    const text =
      "FROM x:1\n# FROM y:1\nRUN echo \\\n  FROM z\nRUN <<EOF\nFROM nothing\nEOF\nCOPY a b\n";
    const out = labelStages(text, { k: "v" });
    expect(out.match(/^LABEL /gm)).toHaveLength(1);
    expect(out.split("\n")[1]).toBe('LABEL k="v"');
  });

  it("refuses a label key that would need quoting", () => {
    expect(() => labelStages("FROM x:1\n", { "a b": "v" })).toThrow(/not plain/);
  });

  it.each(templates)("%s: every stage labels its first step, and lint finds nothing new", (f) => {
    const text = read(f);
    const out = labelStages(text, labels);
    const ins = parseDockerfile(out);
    ins.forEach((i, n) => {
      if (i.keyword !== "FROM") return;
      expect(ins[n + 1]?.keyword).toBe("LABEL");
      expect(ins[n + 1]?.args).toContain(`org.shrinkbench.run="${labels["org.shrinkbench.run"]}"`);
    });
    expect(ins.filter((i) => i.keyword === "LABEL")).toHaveLength(
      ins.filter((i) => i.keyword === "FROM").length,
    );
    const rulesOf = (t: string) => lintDockerfile(t, { pipCache: "allow" }).map((x) => x.rule);
    expect(rulesOf(out)).toEqual(rulesOf(text));
  });

  it.each(templates)("%s sets no shrinkbench run label itself (users copy templates)", (f) => {
    expect(read(f)).not.toMatch(/org\.shrinkbench\.run|SHRINKBENCH_RUN/);
  });
});

describe("markRuns", () => {
  it("ends every shell-form RUN with a comment naming the run", () => {
    const text =
      "FROM x:1\nRUN --mount=type=cache,target=/root/.cache/pip pip install a \\\n # note\n  && b\nRUN c\nCOPY d e\n";
    expect(markRuns(text, "r1")).toBe(
      `FROM x:1\nRUN --mount=type=cache,target=/root/.cache/pip,id=shrinkbench-r1:/root/.cache/pip pip install a \\\n # note\n  && b # ${RUN_MARK}r1\nRUN c # ${RUN_MARK}r1\nCOPY d e\n`,
    );
  });

  it("gives cache mounts without an id one of the run's, and leaves other mounts and ids alone", () => {
    const text = [
      "FROM x:1",
      "RUN --mount=type=cache,target=/a --mount=type=cache,id=mine,target=/b --mount=type=bind,target=/c x",
      'RUN --mount=type=cache,dst=/d ["x"]',
      "",
    ].join("\n");
    expect(markRuns(text, "r1").split("\n").slice(1, 3)).toEqual([
      `RUN --mount=type=cache,target=/a,id=shrinkbench-r1:/a --mount=type=cache,id=mine,target=/b --mount=type=bind,target=/c x # ${RUN_MARK}r1`,
      'RUN --mount=type=cache,dst=/d,id=shrinkbench-r1:/d ["x"]',
    ]);
  });

  it("leaves exec-form and heredoc RUNs alone", () => {
    const text =
      'FROM x:1\nRUN ["python", "-c", "1"]\nRUN <<EOF\necho a\nEOF\nRUN --network=host ["a"]\n';
    expect(markRuns(text, "r1")).toBe(text);
  });

  it("refuses a run id that is not plain", () => {
    expect(() => markRuns("FROM x:1\nRUN a\n", "a b")).toThrow(/not plain/);
  });

  it.each(templates)("%s: every shell-form RUN is marked once, and lint finds nothing new", (f) => {
    const text = read(f);
    const out = markRuns(text, "r1");
    const runs = parseDockerfile(out).filter((i) => i.keyword === "RUN");
    for (const r of runs) expect(r.args.endsWith(`# ${RUN_MARK}r1`)).toBe(true);
    expect(out.split(RUN_MARK).length - 1).toBe(runs.length);
    const rulesOf = (t: string) => lintDockerfile(t, { pipCache: "allow" }).map((x) => x.rule);
    expect(rulesOf(out)).toEqual(rulesOf(text));
  });
});

describe("runCacheRecords", () => {
  // The shape /system/df gave for a marked two-stage BuildKit build (ids shortened), beside a
  // build of someone else's FROM the same base.
  const records = [
    { id: "base", description: "from local " },
    { id: "ctx", description: "http url http://build-context-fsy3uscn2ghidz21eeoaggzlm" },
    {
      id: "url-ctx",
      description: `http url http://127.0.0.1:40405${contextUrlPath("r1", "35b4d51e6f7f")}`,
    },
    { id: "df", description: "fileop target" },
    { id: "wd", parent: "base", description: "fileop target" },
    { id: "req", parent: "wd", description: "fileop target" },
    {
      id: "pip",
      parent: "req",
      description: `mount / from exec /bin/sh -c pip install -r r.txt # ${RUN_MARK}r1`,
    },
    {
      id: "mnt",
      description: `cached mount /root/.cache/pip from exec /bin/sh -c pip install -r r.txt # ${RUN_MARK}r1`,
    },
    { id: "app", parent: "pip", description: "fileop target" },
    { id: "final-copy", parent: "base", description: "fileop target" },
    { id: "theirs-wd", parent: "base", description: "fileop target" },
    { id: "theirs", parent: "theirs-wd", description: "mount / from exec /bin/sh -c make" },
    {
      id: "other-run",
      parent: "theirs-wd",
      description: `mount / from exec /bin/sh -c pip install -r r.txt # ${RUN_MARK}r2`,
    },
  ];
  const ids = (runId?: string) => runCacheRecords(records, runId).map((r) => r.id);

  it("finds the marked records, what was built on them and what they were built on", () => {
    expect(ids("r1")).toEqual(["url-ctx", "wd", "req", "pip", "mnt", "app"]);
  });

  it("never the base image's record, nor records no marked RUN connects to", () => {
    const found = ids("r1");
    for (const id of ["base", "ctx", "df", "final-copy", "theirs-wd", "theirs", "other-run"]) {
      expect(found).not.toContain(id);
    }
  });

  it("without a run id: every run's", () => {
    expect(ids()).toEqual(["url-ctx", "wd", "req", "pip", "mnt", "app", "theirs-wd", "other-run"]);
  });

  it("reads the run from the mark at the end of a description only", () => {
    expect(markedRun(`mount / from exec /bin/sh -c x # ${RUN_MARK}a.b-1`)).toBe("a.b-1");
    expect(markedRun(`mount / from exec /bin/sh -c echo ${RUN_MARK}a; y`)).toBeUndefined();
  });

  it("reads the run from a context served on 127.0.0.1 under the run's path, no other URL", () => {
    const path = contextUrlPath("20261203-122315-f64d65", "0123abcd");
    expect(path).toBe(`/${RUN_MARK}20261203-122315-f64d65/0123abcd/context.tar`);
    expect(markedRun(`http url http://127.0.0.1:41193${path}`)).toBe("20261203-122315-f64d65");
    // The same path on another host is someone else's download, not a context this run served.
    expect(markedRun(`http url http://example.com:80${path}`)).toBeUndefined();
    expect(markedRun(`http url http://127.0.0.1:41193/x${path}`)).toBeUndefined();
    expect(markedRun("http url http://build-context-fsy3uscn2ghidz21eeoaggzlm")).toBeUndefined();
    expect(() => contextUrlPath("../x", "t")).toThrow(/not plain/);
  });
});
