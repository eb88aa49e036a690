import { describe, expect, it } from "vitest";
import { parsePipFailure, pipErrorReason } from "../../src/requirements/pip-errors.js";

// pip 23's own output, as the classic builder streams it (the engine adds its error last).
const NO_MATCH = [
  "Step 9/12 : RUN pip install --user -r /tmp/shrinkbench/requirements.txt",
  " ---> Running in 0123456789ab",
  "Looking in indexes: http://127.0.0.1:41234/i0/simple/",
  "ERROR: Could not find a version that satisfies the requirement numpy>=99 (from versions: 1.23.5, 1.26.4, 2.4.6)",
  "ERROR: No matching distribution found for numpy>=99",
  "ERROR: The command '/bin/sh -c sh /tmp/shrinkbench/scripts/install.sh pip' returned a non-zero code: 1",
];

describe("pip's error lines", () => {
  it("names the requirement and the versions that exist, not the shell command", () => {
    const engineError =
      "The command '/bin/sh -c sh /tmp/shrinkbench/scripts/install.sh pip' returned a non-zero code: 1";
    expect(pipErrorReason(NO_MATCH, engineError)).toBe(
      "No matching distribution found for numpy>=99 (versions the sources offer: 1.23.5, 1.26.4, 2.4.6)",
    );
    expect(parsePipFailure(NO_MATCH)).toMatchObject({
      kind: "no-match",
      requirement: "numpy>=99",
      versions: ["1.23.5", "1.26.4", "2.4.6"],
    });
  });

  it("reads BuildKit's prefixed lines and skips its own complaint", () => {
    const log = [
      "#8 ERROR: Could not find a version that satisfies the requirement numpy>=99 (from versions: 2.4.6)",
      "#8 ERROR: No matching distribution found for numpy>=99",
      "#8 ERROR: executor failed running [/bin/sh -c pip install -r r.txt]: exit code: 1",
      "ERROR: executor failed running [/bin/sh -c pip install -r r.txt]: exit code: 1",
    ];
    expect(pipErrorReason(log)).toBe(
      "No matching distribution found for numpy>=99 (versions the sources offer: 2.4.6)",
    );
    expect(pipErrorReason(["#9 ERROR: pip's own words", log[2]!, log[3]!])).toBe("pip's own words");
  });

  it("reads BuildKit's timed lines and 'from versions: none'", () => {
    const f = parsePipFailure([
      "#8 2.103 ERROR: Could not find a version that satisfies the requirement nopkg (from versions: none)",
      "#8 2.104 ERROR: No matching distribution found for nopkg",
    ]);
    expect(f).toMatchObject({ kind: "no-match", requirement: "nopkg", versions: [] });
  });

  it("keeps a conflict's causes", () => {
    const f = parsePipFailure(
      [
        "ERROR: Cannot install numpy==1.26.4 and pandas==2.2.3 because these package versions have conflicting dependencies.",
        "",
        "The conflict is caused by:",
        "    The user requested numpy==1.26.4",
        '    pandas 2.2.3 depends on numpy>=1.23.2; python_version == "3.11"',
        "",
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/...",
      ].join("\n"),
    );
    expect(f).toEqual({
      kind: "conflict",
      line: "Cannot install numpy==1.26.4 and pandas==2.2.3 because these package versions have conflicting dependencies.",
      causes: [
        "The user requested numpy==1.26.4",
        'pandas 2.2.3 depends on numpy>=1.23.2; python_version == "3.11"',
      ],
    });
  });

  it("takes pip's last error otherwise, and says nothing when pip said nothing", () => {
    expect(
      pipErrorReason([
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.",
        "    six==1.17.0 from http://127.0.0.1/six.whl:",
        "ERROR: The command '/bin/sh -c pip install' returned a non-zero code: 1",
      ]),
    ).toBe("THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.");
    expect(
      pipErrorReason([
        "  error: subprocess-exited-with-error",
        "  ",
        "  × Getting requirements to build wheel did not run successfully.",
      ]),
    ).toBe("Getting requirements to build wheel did not run successfully.");
    expect(
      pipErrorReason(["Step 1/2 : FROM x", "ERROR: build cancelled"], "build cancelled"),
    ).toBeUndefined();
  });
});
