import { describe, expect, it } from "vitest";

import {
  COLUMNS,
  renderMarkdown,
  renderTable,
  smallestPassing,
  tableRows,
} from "../../src/report/run.js";
import { MB, makeRecord, makeRung } from "../fixtures/records.js";

describe("tableRows", () => {
  it("formats sizes as docker images does and compares with the previous and first rung", () => {
    const rows = tableRows(makeRecord());
    expect(
      rows.map((r) => [r.rung, r.base, r.size, r["vs previous"], r["% of first"], r.layers]),
    ).toEqual([
      ["full", "full", "1.69GB", "-", "100%", "12"],
      ["slim", "slim", "489MB", "-1.2GB", "28.9%", "9"],
      ["multi-stage", "slim", "188MB", "-301MB", "11.1%", "7"],
    ]);
    expect(rows[0]!["build time"]).toBe("36.2s");
    expect(rows[0]!["smoke test"]).toBe("PASS (1.4s)");
  });

  it("shows growth with a plus sign", () => {
    const rows = tableRows(
      makeRecord({
        rungs: [makeRung("a", { size: 300 * MB }), makeRung("b", { size: 312_300_000 })],
      }),
    );
    expect(rows[1]!["vs previous"]).toBe("+12.3MB");
    expect(rows[1]!["% of first"]).toBe("104%");
  });

  it("compares with the previous rung that produced an image, skipping those without one", () => {
    const record = makeRecord({
      rungs: [
        makeRung("full", { base: "full", size: 1_000 * MB }),
        makeRung("slim", { size: 500 * MB }),
        makeRung("alpine", {
          base: "alpine",
          status: "SKIPPED",
          reason: "base image unavailable",
          image: null,
        }),
        makeRung("broken", { status: "FAILED", reason: "build failed: exit 1", image: null }),
        makeRung("small", { size: 200 * MB }),
      ],
    });
    const rows = tableRows(record);
    expect(rows.map((r) => r["vs previous"])).toEqual(["-", "-500MB", "-", "-", "-300MB"]);
    expect(rows.map((r) => r["% of first"])).toEqual(["100%", "50.0%", "-", "-", "20.0%"]);
    expect(rows.map((r) => r.size)).toEqual(["1GB", "500MB", "-", "-", "200MB"]);
    expect(rows[2]!.layers).toBe("-");
  });

  it("takes % of first from the first rung that has an image", () => {
    const rows = tableRows(
      makeRecord({
        rungs: [
          makeRung("gone", {
            status: "SKIPPED",
            reason: "no --app",
            image: null,
            buildSeconds: undefined,
          }),
          makeRung("a", { size: 400 * MB }),
          makeRung("b", { size: 100 * MB }),
        ],
      }),
    );
    expect(rows.map((r) => r["% of first"])).toEqual(["-", "100%", "25.0%"]);
    expect(rows[0]!["build time"]).toBe("-");
  });

  it("prints FAILED and SKIPPED with their reasons", () => {
    const rows = tableRows(
      makeRecord({
        rungs: [
          makeRung("a", { status: "FAILED", reason: "smoke test failed: import numpy" }),
          makeRung("b", {
            status: "SKIPPED",
            reason: "base image unavailable: alpine",
            image: null,
          }),
          makeRung("c", { status: "FAILED", image: null }),
          makeRung("d", { smoke: undefined }),
        ],
      }),
    );
    expect(rows.map((r) => r["smoke test"])).toEqual([
      "FAILED: smoke test failed: import numpy",
      "SKIPPED: base image unavailable: alpine",
      "FAILED: ",
      "PASS",
    ]);
    // A rung that built but failed its smoke test still shows its size.
    expect(rows[0]!.size).toBe("400MB");
  });

  it("has one row per rung and every column", () => {
    const rows = tableRows(makeRecord());
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(Object.keys(row)).toEqual([...COLUMNS]);
  });

  it("handles a record with no rungs", () => {
    expect(tableRows(makeRecord({ rungs: [] }))).toEqual([]);
  });

  it("shows a warm rebuild after the cold build time", () => {
    const rows = tableRows(
      makeRecord({ rungs: [makeRung("slim", { buildSeconds: 42, rebuildSeconds: 0.9 })] }),
    );
    expect(rows[0]!["build time"]).toMatch(/^42(\.0)?s \(warm 0\.9s\)$/);
  });
});

describe("renderMarkdown: engines and notes", () => {
  it("names every engine of a run on several, and prints the notes", () => {
    const one = makeRecord();
    const two = makeRecord({
      engines: [one.engine, { ...one.engine, host: "unix:///tmp/b.sock" }],
      notes: ["the default index https://pypi.org/simple/ cannot be reached (ENOTFOUND)"],
    });
    const md = renderMarkdown(two);
    expect(md).toContain(
      `engines ${one.engine.version} at ${one.engine.host}, ${one.engine.version} at unix:///tmp/b.sock`,
    );
    expect(md).toContain(
      "> note: the default index https://pypi.org/simple/ cannot be reached (ENOTFOUND)",
    );
    expect(renderMarkdown(one)).not.toContain("> note:");
  });
});

describe("renderTable", () => {
  it("contains every rung and the column heads", () => {
    const text = renderTable(makeRecord());
    for (const c of COLUMNS) expect(text).toContain(c);
    for (const r of ["full", "slim", "multi-stage", "1.69GB", "489MB", "188MB"])
      expect(text).toContain(r);
  });

  it("has no colour codes unless asked", () => {
    // eslint-disable-next-line no-control-regex
    expect(renderTable(makeRecord())).not.toMatch(/\x1b\[/);
  });

  it("shortens a long failure reason to one line", () => {
    const reason = "line one\nline two " + "x".repeat(200);
    const text = renderTable(makeRecord({ rungs: [makeRung("a", { status: "FAILED", reason })] }));
    expect(text).toContain("FAILED: line one line two");
    expect(text).toContain("…");
    expect(text).not.toContain("x".repeat(100));
  });
});

describe("renderMarkdown", () => {
  /** The table lines of a markdown report. */
  const tableLines = (md: string) => md.split("\n").filter((l) => l.startsWith("|"));
  /** Splits a table row as GFM (cmark-gfm, markdown-it) does: a pipe after a backslash is escaped. */
  const cells = (line: string) => line.split(/(?<!\\)\|/).slice(1, -1);

  it("renders a GFM table with every rung and right-aligned numbers", () => {
    const md = renderMarkdown(makeRecord());
    const lines = tableLines(md);
    expect(lines[0]).toBe(`| ${COLUMNS.join(" | ")} |`);
    expect(lines[1]).toBe("| :--- | :--- | ---: | ---: | ---: | ---: | ---: | ---: | :--- |");
    expect(lines).toHaveLength(2 + 3);
    expect(lines[2]).toBe("| full | full | 1.69GB | - | 100% | 12 | 36.2s | - | PASS (1.4s) |");
    expect(md).toContain("# shrinkbench: modern ladder for `requirements.txt`");
    expect(md).toContain("Run `run-20240305-070809`");
    expect(md).toContain("Bases: full = `shrinkbench/python:3.11-full`");
    expect(md).not.toContain("## Failed rungs");
    expect(md).not.toContain("interrupted");
  });

  it("escapes pipes in user strings, so no cell splits", () => {
    const record = makeRecord({
      rungs: [
        makeRung("a", { status: "FAILED", reason: "grep a|b failed" }),
        makeRung("b", { status: "FAILED", reason: "path C:\\|x" }),
        makeRung("c", { status: "SKIPPED", reason: "<script>alert(1)</script>", image: null }),
      ],
    });
    const md = renderMarkdown(record);
    for (const line of tableLines(md)) expect(cells(line)).toHaveLength(COLUMNS.length);
    expect(md).toContain("grep a\\|b failed");
    expect(md).not.toContain("<script>");
  });

  it("lists failed rungs with their reason and log tail", () => {
    const md = renderMarkdown(
      makeRecord({
        rungs: [
          makeRung("ok"),
          makeRung("bad", {
            status: "FAILED",
            reason: "build failed: pip exited 1",
            logTail: ["ERROR: No matching distribution", "```injected"],
          }),
        ],
      }),
    );
    const failed = md.slice(md.indexOf("## Failed rungs"));
    expect(failed).toContain("### bad");
    expect(failed).toContain("build failed: pip exited 1");
    expect(failed).toContain("ERROR: No matching distribution");
    // A log line cannot close the code block early.
    expect(failed).toContain("'''injected");
    expect(failed).not.toContain("### ok");
  });

  it("says when a run was interrupted", () => {
    expect(renderMarkdown(makeRecord({ interrupted: true }))).toContain(
      "interrupted: not every rung ran",
    );
  });
});

describe("smallestPassing", () => {
  it("is the smallest rung that passed", () => {
    expect(smallestPassing(makeRecord())!.rung).toBe("multi-stage");
  });

  it("ignores failed rungs, however small", () => {
    const record = makeRecord({
      rungs: [
        makeRung("a", { size: 300 * MB }),
        makeRung("tiny", { size: 1 * MB, status: "FAILED" }),
      ],
    });
    expect(smallestPassing(record)!.rung).toBe("a");
  });

  it("is undefined when nothing passed", () => {
    expect(
      smallestPassing(makeRecord({ rungs: [makeRung("a", { status: "FAILED" })] })),
    ).toBeUndefined();
  });
});

describe("times with --repeat", () => {
  it('prints "median ±half-IQR", the ratio column and the busy flag', () => {
    const slim = makeRung("slim", { buildSeconds: 30, buildSamples: [28, 30, 36] });
    slim.smoke = { ...slim.smoke!, importSeconds: 1.2, importSamples: [1.1, 1.2, 1.5] };
    const full = makeRung("full", {
      buildSeconds: 60,
      buildSamples: [60, 58, 70],
      buildRatioSamples: [2, 58 / 30, 70 / 36],
      buildRatio: 2,
      busy: "load 3.1 on 2 CPUs before the build",
    });
    const record = makeRecord({ rungs: [full, slim], repeat: 3, referenceRung: "slim" });
    const rows = tableRows(record);
    expect(rows[0]!["build time"]).toBe("1m00s ±3.0 busy");
    expect(rows[1]!["build time"]).toBe("30.0s ±2.0");
    expect(rows[1]!.import).toBe("1.20s ±0.10");
    expect(rows[0]!.ratio).toBe("2.00x ±0.02");
    expect(rows[1]!.ratio).toBe("-");
    const table = renderTable(record);
    expect(table.split("\n")[0]).toMatch(/build time +vs slim +import/);
    const md = renderMarkdown(record);
    expect(md).toContain("median of 3 interleaved rounds");
    expect(md).toContain("> busy: full: load 3.1 on 2 CPUs before the build");
  });

  it("prints one sample as before, without a ratio column", () => {
    const record = makeRecord();
    expect(tableRows(record)[0]!["build time"]).toBe("36.2s");
    expect(renderTable(record)).not.toContain("vs slim");
  });
});
