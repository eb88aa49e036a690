// Paths inside an image, as tar entries and RECORD files name them: relative to the root,
// "/"-separated, never starting with "/" or "./" nor ending with "/" once normalised. One
// set of helpers for the archive reader, the overlay model and the Python breakdown.

/** "./usr/bin/" → "usr/bin"; "/etc" → "etc"; "." → "". */
export function normalizePath(name: string): string {
  let p = name;
  while (p.startsWith("./")) p = p.slice(2);
  if (p.startsWith("/")) p = p.replace(/^\/+/, "");
  if (p.endsWith("/")) p = p.replace(/\/+$/, "");
  return p === "." ? "" : p;
}

/** "usr/bin/python3" → "usr/bin"; "etc" → "". */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** "usr/bin/python3" → "python3". */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** `name` inside `dir` ("" is the root). */
export function childPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

/**
 * Resolves `target` (a symlink's target, a RECORD row's path) against the directory `dir`:
 * "." and ".." resolved, an absolute target taken from the root, never above the root.
 */
export function resolvePath(dir: string, target: string): string {
  const parts = target.startsWith("/") ? [] : dir.split("/").filter(Boolean);
  for (const seg of target.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return parts.join("/");
}
