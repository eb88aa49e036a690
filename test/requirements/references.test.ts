import { describe, expect, it } from "vitest";
import { parseRequirementsText } from "../../src/requirements/parse.js";
import { requirementKind } from "../../src/requirements/references.js";
import { reqs } from "../helpers/requirements.js";

describe("path and URL requirements", () => {
  it("recognises -e and bare path/URL lines", () => {
    const p = parseRequirementsText(
      [
        "-e .",
        "--editable ./pkg[dev]",
        ".",
        "./libs/foo",
        "file:///srv/wheels/foo-1.0-py3-none-any.whl",
        "git+https://github.com/org/proj.git@v1#egg=Proj_X",
        "https://example.com/archive/bar-2.0.tar.gz",
        "local_thing-1.0-py3-none-any.whl",
      ].join("\n"),
      "r.txt",
    );
    const r = reqs(p);
    expect(r.map((x) => [requirementKind(x), x.name, x.url])).toEqual([
      ["editable", "", "."],
      ["editable", "", "./pkg"],
      ["local", "", "."],
      ["local", "", "./libs/foo"],
      ["local", "foo", "file:///srv/wheels/foo-1.0-py3-none-any.whl"],
      ["url", "proj-x", "git+https://github.com/org/proj.git@v1#egg=Proj_X"],
      ["url", "bar", "https://example.com/archive/bar-2.0.tar.gz"],
      ["local", "local-thing", "local_thing-1.0-py3-none-any.whl"],
    ]);
    expect(r[1]!.extras).toEqual(["dev"]);
    expect(r[0]!.line).toBe("-e .");
  });
});
