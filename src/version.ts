// The tool's version, read from the package's own package.json: the one source for
// `--version` and for the `tool` field of every run record.
import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The `version` of package.json (one folder up from both src/ and dist/). */
export function toolVersion(): string {
  cached ??= (
    JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    }
  ).version;
  return cached;
}
