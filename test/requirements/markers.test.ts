// Marker evaluation compared with the host's `packaging` (pip's own evaluator) on a matrix of
// markers and interpreter environments. The host must have python3 with packaging (or pip's
// vendored copy): without it the comparison cannot be made and the test fails saying so.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  evaluateMarker,
  MarkerEvaluationError,
  parseMarker,
  type MarkerEnvironment,
} from "../../src/requirements/markers.js";
import { LineError } from "../../src/requirements/line-error.js";

const linux311: MarkerEnvironment = {
  implementation_name: "cpython",
  implementation_version: "3.11.7",
  os_name: "posix",
  platform_machine: "x86_64",
  platform_release: "6.1.0-18-amd64",
  platform_system: "Linux",
  platform_version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
  python_full_version: "3.11.7",
  platform_python_implementation: "CPython",
  python_version: "3.11",
  sys_platform: "linux",
};
const ENVIRONMENTS: Record<string, MarkerEnvironment> = {
  linux311,
  arm312: {
    ...linux311,
    implementation_version: "3.12.1",
    platform_machine: "aarch64",
    platform_release: "5.15.0",
    python_full_version: "3.12.1",
    python_version: "3.12",
  },
  rc313: {
    ...linux311,
    implementation_version: "3.13.0rc1",
    python_full_version: "3.13.0rc1",
    python_version: "3.13",
  },
  windows38: {
    implementation_name: "cpython",
    implementation_version: "3.8.10",
    os_name: "nt",
    platform_machine: "AMD64",
    platform_release: "10",
    platform_system: "Windows",
    platform_version: "10.0.19041",
    python_full_version: "3.8.10",
    platform_python_implementation: "CPython",
    python_version: "3.8",
    sys_platform: "win32",
  },
  pypy310: {
    ...linux311,
    implementation_name: "pypy",
    implementation_version: "7.3.15",
    platform_python_implementation: "PyPy",
    python_full_version: "3.10.13",
    python_version: "3.10",
    sys_platform: "darwin",
    platform_system: "Darwin",
    os_name: "posix",
  },
};

const MARKERS = [
  'python_version < "3.11"',
  'python_version <= "3.11"',
  'python_version == "3.11"',
  'python_version != "3.11"',
  'python_version >= "3.11"',
  'python_version > "3.11"',
  'python_version ~= "3.10"',
  'python_version == "3.*"',
  'python_version == "3.11.*"',
  'python_version == "3.11.0"',
  'python_version === "3.11"',
  'python_version != "3.1*"',
  '"3.8" < python_version',
  '"3.11" >= python_version',
  'python_full_version >= "3.11.7"',
  'python_full_version < "3.12"',
  'python_full_version < "3.13"',
  'python_full_version >= "3.13"',
  'python_full_version > "3.13"',
  'python_full_version >= "3.13.0rc1"',
  'python_full_version == "3.11.7"',
  'sys_platform == "win32"',
  'sys_platform != "win32"',
  'sys_platform == "linux" and platform_machine == "x86_64"',
  "'linux' in sys_platform",
  '"lin" in sys_platform',
  'sys_platform not in "win32 cygwin"',
  'sys_platform < "win32"',
  'sys_platform >= "linux"',
  'os_name == "nt"',
  'platform_system == "Windows"',
  'platform_system != "Windows" and platform_machine != "aarch64"',
  'platform_machine in "x86_64 AMD64"',
  'platform_python_implementation == "CPython"',
  'python_implementation == "PyPy"',
  'implementation_name == "cpython"',
  'implementation_version >= "3.11"',
  'platform_release >= "5"',
  'platform_release < "zz"',
  "'Debian' in platform_version",
  'os.name == "posix"',
  'sys.platform == "linux"',
  'platform.machine == "x86_64"',
  'extra == "test"',
  'extra == ""',
  'extra != "dev"',
  'extra == "Test_Extra"',
  '(python_version < "3.8" or python_version >= "3.11") and sys_platform != "win32"',
  'python_version == "3.11" or python_version == "3.12" and sys_platform == "win32"',
  '(python_version == "3.11" or python_version == "3.12") and sys_platform == "win32"',
  'python_version < "3.11" and (sys_platform == "win32" or os_name == "nt")',
  'implementation_version ~= "3"',
];
const EXTRAS = ["", "test", "test-extra"];

type Answer = boolean | "error";

/** packaging's answers for every environment × marker × extra, from the host's python3. */
function packagingAnswers(): { answers: Answer[]; module: string } {
  const script = `
import json, sys
try:
    from packaging.markers import Marker
    module = "packaging"
except ImportError:
    from pip._vendor.packaging.markers import Marker
    module = "pip._vendor.packaging"
cases = json.load(sys.stdin)
out = []
for env, marker, extra in cases:
    try:
        out.append(Marker(marker).evaluate(dict(env, extra=extra)))
    except Exception:
        out.append("error")
print(json.dumps({"answers": out, "module": module}))
`;
  const cases = Object.values(ENVIRONMENTS).flatMap((env) =>
    MARKERS.flatMap((m) => EXTRAS.map((x) => [env, m, x])),
  );
  const run = spawnSync("python3", ["-c", script], {
    input: JSON.stringify(cases),
    encoding: "utf8",
  });
  if (run.error || run.status !== 0) {
    throw new Error(
      `cannot compare with packaging: python3 with packaging (or pip) is needed on the host: ${run.error?.message ?? run.stderr}`,
    );
  }
  return JSON.parse(run.stdout) as { answers: Answer[]; module: string };
}

function ours(marker: string, env: MarkerEnvironment, extra: string): Answer {
  try {
    return evaluateMarker(marker, env, extra);
  } catch (e) {
    if (e instanceof MarkerEvaluationError) return "error";
    throw e;
  }
}

describe("evaluateMarker", () => {
  it("agrees with the host's packaging on a matrix of markers, environments and extras", () => {
    const { answers } = packagingAnswers();
    const mismatches: string[] = [];
    let k = 0;
    for (const [envName, env] of Object.entries(ENVIRONMENTS)) {
      for (const m of MARKERS) {
        for (const x of EXTRAS) {
          const want = answers[k++];
          const got = ours(m, env, x);
          if (got !== want)
            mismatches.push(
              `${envName} extra=${JSON.stringify(x)}: ${m}: packaging ${want}, ours ${got}`,
            );
        }
      }
    }
    expect(k).toBe(answers.length);
    expect(mismatches).toEqual([]);
  });

  it("answers the issue's examples for a 3.11 linux image", () => {
    expect(evaluateMarker('sys_platform == "win32"', linux311)).toBe(false);
    expect(evaluateMarker('python_version < "3.11"', linux311)).toBe(false);
    expect(evaluateMarker('python_version < "3.12"', linux311)).toBe(true);
  });

  it("parses to a tree with and binding tighter than or", () => {
    const t = parseMarker(
      'a_is_not_a_variable == "1"'.replace("a_is_not_a_variable", "os_name") +
        ' or sys_platform == "x" and extra == "Dev_Tools"',
    );
    expect(t.kind).toBe("or");
    if (t.kind === "or" && t.right.kind === "and" && t.right.right.kind === "compare") {
      expect(t.right.right.right).toEqual({ literal: "dev-tools" });
    } else throw new Error(`unexpected tree ${JSON.stringify(t)}`);
    expect(() => parseMarker('python_verison < "3"')).toThrow(LineError);
  });
});
