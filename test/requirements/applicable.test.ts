import { describe, expect, it } from "vitest";
import { applicableRequirements } from "../../src/requirements/applicable.js";
import { parseRequirementsText } from "../../src/requirements/parse.js";
import { BOOKWORM_PY311 } from "../fixtures/marker-env.js";
import { inputError, reqs } from "../helpers/requirements.js";

const image = BOOKWORM_PY311;

describe("applicableRequirements", () => {
  it("leaves out what a marker excludes for the image, saying why (the issue's file)", () => {
    const r = reqs(
      parseRequirementsText(
        'six\ncolorama ; sys_platform == "win32"\ntomli ; python_version < "3.11"\nrich[jupyter] ; extra == "dev"\nnumpy ; python_version >= "3.9" and platform_machine == "x86_64"\n',
        "r.txt",
      ),
    );
    const { kept, leftOut } = applicableRequirements(r, image);
    expect(kept.map((x) => x.name)).toEqual(["six", "numpy"]);
    expect(leftOut.map((l) => [l.name, l.why])).toEqual([
      ["colorama", 'sys_platform == "win32" is false (sys_platform is "linux")'],
      ["tomli", 'python_version < "3.11" is false (python_version is "3.11")'],
      // pip evaluates a top-level requirement's marker with extra = "".
      ["rich", 'extra == "dev" is false (extra is "")'],
    ]);
  });

  it("refuses a marker packaging cannot evaluate, naming the line", () => {
    const r = reqs(parseRequirementsText('six\nx ; python_version ~= "3"\n', "r.txt"));
    expect(inputError(() => applicableRequirements(r, image)).message).toMatch(
      /^r\.txt:2: the marker "python_version ~= \\"3\\"" cannot be evaluated/,
    );
  });
});
