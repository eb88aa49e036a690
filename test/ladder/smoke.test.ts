import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { TEMPLATES_DIR } from "../../src/ladder/assets.js";
import type { ContainerOutcome } from "../../src/docker/engine.js";
import {
  importSmokeTest,
  parseSmokeOutput,
  scriptSmokeTest,
  smokeCommand,
  smokeContextFiles,
  summarySeconds,
} from "../../src/ladder/smoke.js";

const SCRIPT = "print('the smoke test')\n";
const imports = importSmokeTest(["numpy", "scikit-learn"], SCRIPT);
const user = scriptSmokeTest("tests/smoke.py", "import numpy\n");

function outcome(over: Partial<ContainerOutcome> = {}): ContainerOutcome {
  return { exitCode: 0, output: "", timedOut: false, seconds: 1.5, ...over };
}

const SUMMARY =
  'SHRINKBENCH_SMOKE {"imports": {"numpy": 0.1, "sklearn": 0.5}, "failed": [], "seconds": 0.6}';

describe("importSmokeTest / scriptSmokeTest", () => {
  it("describe what they test", () => {
    expect(imports.description).toBe(
      "import the top-level module of 2 requirement(s): numpy, scikit-learn",
    );
    expect(user.description).toBe("python tests/smoke.py");
  });

  it("copies the names", () => {
    const names = ["six"];
    const t = importSmokeTest(names, SCRIPT);
    names.push("later");
    expect(t.kind === "imports" && t.names).toEqual(["six"]);
  });
});

describe("smokeCommand", () => {
  it("runs the import script with the requirement names as arguments, no shell", () => {
    const { cmd, files } = smokeCommand(imports);
    // one timed interpreter: the test and the import time at once
    expect(cmd).toEqual([
      "python3",
      "/shrinkbench_smoke.py",
      "--import-runs=1",
      "numpy",
      "scikit-learn",
    ]);
    expect(files).toEqual({ "/shrinkbench_smoke.py": SCRIPT });
  });

  it("asks for no import timing when told (sizes-only), the test otherwise the same", () => {
    const { cmd } = smokeCommand(imports, { timeImports: false });
    expect(cmd).toEqual([
      "python3",
      "/shrinkbench_smoke.py",
      "--import-runs=0",
      "numpy",
      "scikit-learn",
    ]);
    expect(smokeCommand(imports, { timeImports: true }).cmd).toEqual(smokeCommand(imports).cmd);
  });

  it("runs the user's script as the same file", () => {
    const { cmd, files } = smokeCommand(user);
    expect(cmd).toEqual(["python3", "/shrinkbench_smoke.py"]);
    expect(files).toEqual({ "/shrinkbench_smoke.py": "import numpy\n" });
  });

  it("runs the user's script through the timing runner when it has one", () => {
    const timed = scriptSmokeTest("tests/smoke.py", "import numpy\n", SCRIPT);
    const { cmd, files } = smokeCommand(timed);
    expect(cmd).toEqual(["python3", "/shrinkbench_smoke.py", "--script", "/shrinkbench_test.py"]);
    expect(files).toEqual({
      "/shrinkbench_smoke.py": SCRIPT,
      "/shrinkbench_test.py": "import numpy\n",
    });
  });

  it("passes a name that looks like an option or shell as one argument", () => {
    const { cmd } = smokeCommand(importSmokeTest(["$(id)", "-c"], SCRIPT));
    expect(cmd.slice(3)).toEqual(["$(id)", "-c"]);
  });
});

describe("smokeContextFiles", () => {
  it("gives the import test and its arguments as files for the build context", () => {
    expect(smokeContextFiles(imports)).toEqual({
      "shrinkbench_smoke.py": SCRIPT,
      "argv.json": '["numpy","scikit-learn"]\n',
    });
  });

  it("gives a user's script with the runner, run as --script", () => {
    const files = smokeContextFiles(scriptSmokeTest("t.py", "import six\n", SCRIPT));
    expect(files).toEqual({
      "shrinkbench_smoke.py": SCRIPT,
      "shrinkbench_test.py": "import six\n",
      "argv.json": '["--script","shrinkbench_test.py"]\n',
    });
    expect(smokeContextFiles(user)).toEqual({
      "shrinkbench_smoke.py": "import numpy\n",
      "argv.json": "[]\n",
    });
  });

  it("keeps a name that looks like shell as JSON data", () => {
    const files = smokeContextFiles(importSmokeTest(["$(id)", "a b"], SCRIPT));
    expect(JSON.parse(files["argv.json"]!)).toEqual(["$(id)", "a b"]);
  });
});

describe("summarySeconds", () => {
  it("reads the import time, or a script's run time", () => {
    expect(
      summarySeconds('SHRINKBENCH_SMOKE {"import_seconds": 1.25, "import_runs": [1, 1.25, 2]}'),
    ).toBe(1.25);
    expect(
      summarySeconds(
        'SHRINKBENCH_SMOKE {"script": "/t.py", "exit_code": 0, "script_seconds": 0.5}',
      ),
    ).toBe(0.5);
  });

  it("gives nothing for a summary without one, a null, a negative or malformed JSON", () => {
    expect(summarySeconds(undefined)).toBeUndefined();
    expect(summarySeconds(SUMMARY)).toBeUndefined();
    expect(summarySeconds('SHRINKBENCH_SMOKE {"import_seconds": null}')).toBeUndefined();
    expect(summarySeconds('SHRINKBENCH_SMOKE {"import_seconds": -1}')).toBeUndefined();
    expect(summarySeconds("SHRINKBENCH_SMOKE {not json")).toBeUndefined();
    expect(summarySeconds("SHRINKBENCH_SMOKE 3")).toBeUndefined();
    expect(summarySeconds("SHRINKBENCH_SMOKE null")).toBeUndefined();
  });
});

describe("parseSmokeOutput", () => {
  it("keeps the import time of the summary", () => {
    const line =
      'SHRINKBENCH_SMOKE {"imports": {"numpy": 0.1}, "failed": [], "seconds": 0.6, "import_seconds": 0.42, "import_runs": [0.5, 0.42, 0.41]}';
    const r = parseSmokeOutput(imports, outcome({ output: `ok: import numpy (numpy)\n${line}\n` }));
    expect(r.passed).toBe(true);
    expect(r.importSeconds).toBe(0.42);
    expect(r.outputTail).toEqual(["ok: import numpy (numpy)"]);
  });

  it("times a user's script from the runner's summary, and fails it on its exit code", () => {
    const timed = scriptSmokeTest("t.py", "", SCRIPT);
    const ok = parseSmokeOutput(
      timed,
      outcome({ output: 'all good\nSHRINKBENCH_SMOKE {"exit_code": 0, "script_seconds": 2.5}\n' }),
    );
    expect(ok).toMatchObject({ passed: true, importSeconds: 2.5, outputTail: ["all good"] });
    const bad = parseSmokeOutput(
      timed,
      outcome({
        exitCode: 1,
        output: 'AssertionError\nSHRINKBENCH_SMOKE {"exit_code": 1, "script_seconds": 0.1}\n',
      }),
    );
    expect(bad.passed).toBe(false);
    expect(bad.outputTail).toEqual(["AssertionError", "FAILED: exit code 1"]);
  });

  it("passes on exit 0 with the summary, which it hides from the tail", () => {
    const r = parseSmokeOutput(
      imports,
      outcome({
        output: `ok: import numpy (numpy)\nok: import sklearn (scikit-learn)\n${SUMMARY}\n`,
      }),
    );
    expect(r).toEqual({
      passed: true,
      description: imports.description,
      seconds: 1.5,
      outputTail: ["ok: import numpy (numpy)", "ok: import sklearn (scikit-learn)"],
    });
  });

  it("fails an import test whose summary is missing (the interpreter itself failed)", () => {
    const r = parseSmokeOutput(imports, outcome({ output: "Segmentation fault\n" }));
    expect(r.passed).toBe(false);
    expect(r.outputTail).toEqual(["Segmentation fault"]);
  });

  it("fails on a non-zero exit, keeping FAILED lines and saying why", () => {
    const output = [
      "ok: import numpy (numpy)",
      "FAILED: import sklearn (from scikit-learn) failed: ImportError: libgomp.so.1: cannot open shared object file",
      'SHRINKBENCH_SMOKE {"imports": {"numpy": 0.1}, "failed": ["..."], "seconds": 0.2}',
      "",
    ].join("\n");
    const r = parseSmokeOutput(imports, outcome({ exitCode: 1, output }));
    expect(r.passed).toBe(false);
    expect(r.outputTail).toEqual([
      "ok: import numpy (numpy)",
      "FAILED: import sklearn (from scikit-learn) failed: ImportError: libgomp.so.1: cannot open shared object file",
      "FAILED: exit code 1",
    ]);
  });

  it("fails on a timeout, even with exit 0 and a summary", () => {
    const r = parseSmokeOutput(
      imports,
      outcome({ timedOut: true, output: `${SUMMARY}\n`, seconds: 300 }),
    );
    expect(r.passed).toBe(false);
    expect(r.seconds).toBe(300);
    expect(r.outputTail.at(-1)).toBe("FAILED: the smoke test did not finish within its time limit");
  });

  it("passes a user script on exit 0 without any summary", () => {
    expect(parseSmokeOutput(user, outcome({ output: "all good\n" })).passed).toBe(true);
    expect(parseSmokeOutput(user, outcome({ exitCode: 2, output: "assert failed\n" })).passed).toBe(
      false,
    );
  });

  it("keeps only the last 20 lines of output", () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    const r = parseSmokeOutput(user, outcome({ exitCode: 3, output: lines.join("\n") + "\n" }));
    expect(r.outputTail).toHaveLength(21);
    expect(r.outputTail[0]).toBe("line 30");
    expect(r.outputTail.at(-1)).toBe("FAILED: exit code 3");
  });

  it("gives an empty tail for no output", () => {
    expect(parseSmokeOutput(user, outcome({ output: "" })).outputTail).toEqual([]);
  });

  it("reads output with CRLF line ends", () => {
    const r = parseSmokeOutput(
      imports,
      outcome({ output: `ok: import numpy (numpy)\r\n${SUMMARY}\r\n` }),
    );
    expect(r.passed).toBe(true);
    expect(r.outputTail).toEqual(["ok: import numpy (numpy)"]);
  });
});

// templates/smoke_test.py is product code: run it with the host's python3 against what the host
// has installed.
const python = spawnSync("python3", ["--version"], { encoding: "utf8" });
const havePython =
  python.status === 0 &&
  /Python 3\.(\d+)/.test(python.stdout + python.stderr) &&
  Number(/Python 3\.(\d+)/.exec(python.stdout + python.stderr)![1]) >= 8;
const hostHas = (dist: string) =>
  spawnSync("python3", [
    "-c",
    `import importlib.metadata as m; m.distribution(${JSON.stringify(dist)})`,
  ]).status === 0;

function smoke(...names: string[]) {
  const r = spawnSync("python3", [join(TEMPLATES_DIR, "smoke_test.py"), ...names], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return { exitCode: r.status ?? -1, output: r.stdout, stderr: r.stderr };
}

describe.skipIf(!havePython)("templates/smoke_test.py on the host's python3", () => {
  it.skipIf(!hostHas("pip"))("passes for an installed distribution (pip)", () => {
    const r = smoke("pip");
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("ok: import pip (pip)");
    const parsed = parseSmokeOutput(importSmokeTest(["pip"], ""), {
      ...r,
      timedOut: false,
      seconds: 1,
    });
    expect(parsed.passed).toBe(true);
    const summary = JSON.parse(
      r.output
        .trim()
        .split("\n")
        .at(-1)!
        .replace(/^SHRINKBENCH_SMOKE /, ""),
    ) as {
      imports: Record<string, number>;
      failed: string[];
    };
    expect(Object.keys(summary.imports)).toEqual(["pip"]);
    expect(summary.failed).toEqual([]);
  });

  it("fails for a name that is not installed", () => {
    const r = smoke("shrinkbench-no-such-distribution");
    expect(r.exitCode).toBe(1);
    expect(r.output).toContain("FAILED: shrinkbench-no-such-distribution is not installed");
    const parsed = parseSmokeOutput(importSmokeTest(["x"], ""), {
      ...r,
      timedOut: false,
      seconds: 1,
    });
    expect(parsed.passed).toBe(false);
    expect(parsed.outputTail).toContain(
      "FAILED: shrinkbench-no-such-distribution is not installed",
    );
  });

  it.skipIf(!hostHas("pip"))("matches names the way pip does (case, _ and .)", () => {
    expect(smoke("PIP").exitCode).toBe(0);
  });

  it.skipIf(!hostHas("PyYAML"))("maps a distribution to its import name (pyyaml → yaml)", () => {
    const r = smoke("pyyaml");
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("ok: import yaml (pyyaml)");
    // The private _yaml extension listed in top_level.txt is not imported on its own.
    expect(r.output).not.toContain("import _yaml");
  });

  it.skipIf(!hostHas("python-dateutil"))("maps python-dateutil to dateutil", () => {
    expect(smoke("python-dateutil").output).toContain("ok: import dateutil (python-dateutil)");
  });

  it.skipIf(!hostHas("pip"))(
    "measures the import time: 2 fresh interpreters that agree within 10%, else the median of 3",
    () => {
      const r = smoke("pip");
      const summary = JSON.parse(r.output.trim().split("\n").at(-1)!.slice(18)) as {
        import_seconds: number;
        import_runs: number[];
      };
      const runs = summary.import_runs;
      const sorted = [...runs].sort((a, b) => a - b);
      if (runs.length === 2) {
        expect(sorted[1]! - sorted[0]!).toBeLessThanOrEqual(0.1 * sorted[0]! + 1e-9);
        expect(summary.import_seconds).toBeCloseTo((sorted[0]! + sorted[1]!) / 2, 6);
      } else {
        expect(runs).toHaveLength(3);
        // The third run was needed: the first two disagreed.
        expect(Math.abs(runs[0]! - runs[1]!)).toBeGreaterThan(0.1 * Math.min(runs[0]!, runs[1]!));
        expect(summary.import_seconds).toBe(sorted[1]);
      }
      expect(summary.import_seconds).toBeGreaterThan(0);
      const parsed = parseSmokeOutput(importSmokeTest(["pip"], ""), {
        ...r,
        timedOut: false,
        seconds: 1,
      });
      expect(parsed.importSeconds).toBe(summary.import_seconds);
    },
  );

  it.skipIf(!hostHas("pip"))(
    "--import-runs=1 (what a run asks): one timed interpreter, its time the import time, the same verdict",
    () => {
      const r = smoke("--import-runs=1", "pip");
      expect(r.exitCode).toBe(0);
      const summary = JSON.parse(r.output.trim().split("\n").at(-1)!.slice(18)) as {
        imports: Record<string, number | null>;
        import_seconds: number;
        import_runs: number[];
      };
      expect(summary.import_runs).toHaveLength(1);
      expect(summary.import_seconds).toBe(summary.import_runs[0]);
      // the timed interpreter imported it: not imported again here
      expect(summary.imports.pip).toBeNull();
      const missing = smoke("--import-runs=1", "pip", "shrinkbench-no-such-distribution");
      expect(missing.exitCode).toBe(1);
      expect(missing.output).toContain("FAILED: shrinkbench-no-such-distribution is not installed");
    },
  );

  it.skipIf(!hostHas("pip"))("--import-runs=0: pass/fail only, every module imported here", () => {
    const r = smoke("--import-runs=0", "pip");
    expect(r.exitCode).toBe(0);
    const summary = JSON.parse(r.output.trim().split("\n").at(-1)!.slice(18)) as {
      imports: Record<string, number | null>;
      import_seconds: number | null;
      import_runs: number[];
    };
    expect(summary.import_runs).toEqual([]);
    expect(summary.import_seconds).toBeNull();
    expect(typeof summary.imports.pip).toBe("number");
    const parsed = parseSmokeOutput(importSmokeTest(["pip"], ""), {
      ...r,
      timedOut: false,
      seconds: 1,
    });
    expect(parsed.passed).toBe(true);
    expect(parsed.importSeconds).toBeUndefined();
    // A missing distribution still fails without timing.
    expect(smoke("--import-runs=0", "shrinkbench-no-such-distribution").exitCode).toBe(1);
  });

  it("runs and times a user's script with --script, passing its output and exit code", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shrinkbench-smoke-"));
    try {
      await writeFile(join(dir, "ok.py"), "print('checked')\n");
      await writeFile(join(dir, "bad.py"), "import sys\nprint('broken')\nsys.exit(3)\n");
      const ok = smoke("--script", join(dir, "ok.py"));
      expect(ok.exitCode).toBe(0);
      expect(ok.output).toMatch(
        /^checked\nSHRINKBENCH_SMOKE \{.*"exit_code": 0, "script_seconds": \d/,
      );
      const bad = smoke("--script", join(dir, "bad.py"));
      expect(bad.exitCode).toBe(3);
      const parsed = parseSmokeOutput(scriptSmokeTest("bad.py", "", "runner"), {
        ...bad,
        timedOut: false,
        seconds: 1,
      });
      expect(parsed.passed).toBe(false);
      expect(parsed.importSeconds).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("passes with no names at all", () => {
    const r = smoke();
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/^SHRINKBENCH_SMOKE \{"imports": \{\}, "failed": \[\]/m);
  });
});
