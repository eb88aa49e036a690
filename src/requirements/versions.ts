// PEP 440 versions as a requirement's specifier writes them: which version forms each operator
// accepts (wildcards and local versions with == and != only, ~= with two release numbers).

import { LineError, quote } from "./line-error.js";

const PRE = String.raw`(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?`;
const POST = String.raw`(?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?`;
const DEV = String.raw`(?:[-_.]?dev[-_.]?\d*)?`;
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;
const EPOCH = String.raw`v?(?:\d+!)?`;
const V_PUBLIC = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)*${PRE}${POST}${DEV}$`, "i");
const V_LOCAL = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)*${PRE}${POST}${DEV}${LOCAL}$`, "i");
const V_WILDCARD = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)*\\.\\*$`, "i");
const V_COMPATIBLE = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)+${PRE}${POST}${DEV}$`, "i");

/** Throws LineError when `version` is not one `op` accepts. */
export function checkVersion(op: string, version: string): void {
  let ok: boolean;
  let hint = "versions look like 1.2, 1.2.3, 2.0rc1, 1.0.post1 (PEP 440)";
  switch (op) {
    case "===":
      ok = true;
      break;
    case "==":
    case "!=":
      ok = V_LOCAL.test(version) || V_WILDCARD.test(version);
      break;
    case "~=":
      ok = V_COMPATIBLE.test(version);
      hint = "~= needs at least two release numbers, e.g. ~=1.4 or ~=1.4.2";
      break;
    default:
      ok = V_PUBLIC.test(version);
      if (V_WILDCARD.test(version))
        hint = `a wildcard works with == and != only, e.g. ==${version}`;
      else if (V_LOCAL.test(version)) hint = `a local version (+...) works with == and != only`;
  }
  if (!ok) throw new LineError(`invalid version ${quote(version)} in ${quote(op + version)}`, hint);
}
