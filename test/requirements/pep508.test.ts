import { describe, expect, it } from "vitest";
import { normalizeName, requirementKind } from "../../src/requirements/references.js";
import { one } from "../helpers/requirements.js";

describe("parseRequirementsText: PEP 508", () => {
  it("normalises names per PEP 503 and keeps the raw name", () => {
    const r = one("Scikit_Learn..Extra-_-Thing>=1.0");
    expect(r.name).toBe("scikit-learn-extra-thing");
    expect(r.rawName).toBe("Scikit_Learn..Extra-_-Thing");
    expect(normalizeName("Foo.Bar_baz")).toBe("foo-bar-baz");
  });

  it("parses extras, specifiers and markers", () => {
    const r = one(
      'requests[socks, security] >= 2.31 , <3 ; python_version < "3.12" and os_name == "posix"',
    );
    expect(r.name).toBe("requests");
    expect(r.extras).toEqual(["socks", "security"]);
    expect(r.specifier).toBe(">=2.31,<3");
    expect(r.marker).toBe('python_version < "3.12" and os_name == "posix"');
    expect(r.url).toBeUndefined();
  });

  it("accepts parenthesised specifiers, wildcards, ~=, === and markers with in/not in", () => {
    expect(one("numpy (>=1.2,<2)").specifier).toBe(">=1.2,<2");
    expect(one("numpy==1.26.*").specifier).toBe("==1.26.*");
    expect(one("numpy~=1.26").specifier).toBe("~=1.26");
    expect(one("torch==2.1.0+cpu").specifier).toBe("==2.1.0+cpu");
    expect(one("weird===foo-bar").specifier).toBe("===foo-bar");
    expect(one("x; 'linux' in sys_platform or (platform_machine not in 'arm64')").marker).toBe(
      "'linux' in sys_platform or (platform_machine not in 'arm64')",
    );
  });

  it("parses name @ url direct references", () => {
    const r = one('pip @ https://example.com/pip-23.0-py3-none-any.whl ; python_version >= "3.8"');
    expect(r.name).toBe("pip");
    expect(r.url).toBe("https://example.com/pip-23.0-py3-none-any.whl");
    expect(r.marker).toBe('python_version >= "3.8"');
    expect(requirementKind(r)).toBe("url");
    expect(requirementKind(one("pkg @ file:///srv/pkg"))).toBe("local");
    expect(requirementKind(one("pkg[x]@git+https://h/r.git"))).toBe("url");
  });
});
