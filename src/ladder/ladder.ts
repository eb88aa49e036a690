// Ladders are data (variants/*.json). This module validates them, so that a user's own
// ladder file fails with the field that is wrong rather than halfway through a run.
import { dirname, resolve } from "node:path";
import { InputError } from "../errors.js";
import { describeValue, fieldError, isJsonObject, parseJson } from "../validation.js";
import { BASE_ROLES, type BaseRole, type ContextMode, type Ladder, type Rung } from "../types.js";

const CONTEXT_MODES: readonly ContextMode[] = ["requirements", "app", "app-dockerignore"];
const POST_STEPS = ["squash"] as const;
// Rung ids become part of image names, so they follow Docker's repository-name rules.
const RUNG_ID = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Build args shrinkbench sets itself; a ladder may not override them. */
export const RESERVED_ARGS = [
  "BASE_IMAGE",
  "BUILDER_IMAGE",
  "PIP_INDEX_URL",
  "PIP_EXTRA_INDEX_URL",
  "PIP_FIND_LINKS",
  "PIP_TRUSTED_HOST",
];

type Json = unknown;

function fail(file: string, path: string, problem: string, hint?: string): never {
  throw fieldError(
    file,
    path,
    problem,
    hint ?? "see variants/modern.json for a complete example of a ladder file",
  );
}

function requireString(obj: Record<string, Json>, key: string, file: string, path: string): string {
  const v = obj[key];
  if (typeof v !== "string" || v.trim() === "") {
    fail(file, `${path}.${key}`, `expected a non-empty string, got ${describeValue(v)}`);
  }
  return v;
}

function optionalRole(
  obj: Record<string, Json>,
  key: string,
  file: string,
  path: string,
): BaseRole | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !BASE_ROLES.includes(v as BaseRole)) {
    fail(
      file,
      `${path}.${key}`,
      `expected one of ${BASE_ROLES.join(", ")}, got ${describeValue(v)}`,
    );
  }
  return v as BaseRole;
}

const RUNG_KEYS = new Set([
  "id",
  "title",
  "description",
  "base",
  "builder",
  "template",
  "args",
  "context",
  "post",
  "reference",
  "scratch",
  "caveat",
  "needs",
  "dockerfile",
  "buildContext",
]);

/**
 * A rung's own Dockerfile (`dockerfile`, with an optional `buildContext`), paths relative to the
 * ladder file; the text is read by loadLadder. Such a rung has no template.
 */
function parseOwnDockerfile(
  raw: Record<string, Json>,
  file: string,
  path: string,
): Rung["dockerfile"] | undefined {
  if (raw.dockerfile === undefined) {
    if (raw.buildContext !== undefined)
      fail(
        file,
        `${path}.buildContext`,
        "only for a rung with a dockerfile",
        'add "dockerfile": "path/to/Dockerfile", or remove it',
      );
    return undefined;
  }
  if (raw.template !== undefined) {
    fail(
      file,
      `${path}.template`,
      "a rung has a template or a dockerfile, not both",
      "remove one: template names a built-in template, dockerfile a Dockerfile of your own",
    );
  }
  const dockerfile = requireString(raw, "dockerfile", file, path);
  const context = raw.buildContext ?? undefined;
  if (context !== undefined && (typeof context !== "string" || context.trim() === "")) {
    fail(file, `${path}.buildContext`, `expected a folder path, got ${describeValue(context)}`);
  }
  const dir = dirname(file);
  const at = resolve(dir, dockerfile);
  return {
    path: at,
    context: context === undefined ? dirname(at) : resolve(dir, context),
    text: "",
  };
}

function parseRung(raw: Json, file: string, path: string): Rung {
  if (!isJsonObject(raw)) fail(file, path, `expected an object, got ${describeValue(raw)}`);
  for (const key of Object.keys(raw)) {
    if (!RUNG_KEYS.has(key)) {
      fail(file, `${path}.${key}`, "unknown field", `a rung has: ${[...RUNG_KEYS].join(", ")}`);
    }
  }
  const id = requireString(raw, "id", file, path);
  if (!RUNG_ID.test(id) || id.length > 63) {
    fail(
      file,
      `${path}.id`,
      `${describeValue(id)} is not a valid rung id`,
      "use lowercase letters and digits, separated by single '.', '_' or '-' (at most 63 characters)",
    );
  }
  const own = parseOwnDockerfile(raw, file, path);
  // Your own Dockerfile names its base itself; planning finds it (src/ladder/yours.ts).
  const base = optionalRole(raw, "base", file, path) ?? (own ? "full" : undefined);
  if (base === undefined) fail(file, `${path}.base`, "missing: the base role of the final image");
  // Your own Dockerfile's rung is keyed by its path where a built-in one is by template name.
  const template = own ? own.path : requireString(raw, "template", file, path);
  if (!own && !/^[A-Za-z0-9._-]+\.Dockerfile$/.test(template)) {
    fail(
      file,
      `${path}.template`,
      `${describeValue(template)} is not a template name`,
      "name a file in templates/, e.g. single-stage.Dockerfile",
    );
  }
  const args: Record<string, string> = {};
  if (raw.args !== undefined) {
    if (!isJsonObject(raw.args))
      fail(file, `${path}.args`, `expected an object, got ${describeValue(raw.args)}`);
    for (const [name, value] of Object.entries(raw.args)) {
      if (!ARG_NAME.test(name)) fail(file, `${path}.args.${name}`, "not a valid build arg name");
      if (RESERVED_ARGS.includes(name)) {
        fail(
          file,
          `${path}.args.${name}`,
          "set by shrinkbench itself",
          "remove it from the ladder",
        );
      }
      if (typeof value !== "string") {
        fail(file, `${path}.args.${name}`, `expected a string, got ${describeValue(value)}`);
      }
      args[name] = value;
    }
  }
  const context = raw.context ?? "requirements";
  if (typeof context !== "string" || !CONTEXT_MODES.includes(context as ContextMode)) {
    fail(
      file,
      `${path}.context`,
      `expected one of ${CONTEXT_MODES.join(", ")}, got ${describeValue(context)}`,
    );
  }
  const post = raw.post ?? [];
  if (!Array.isArray(post))
    fail(file, `${path}.post`, `expected an array, got ${describeValue(post)}`);
  post.forEach((step, i) => {
    if (!POST_STEPS.includes(step as (typeof POST_STEPS)[number])) {
      fail(
        file,
        `${path}.post[${i}]`,
        `expected one of ${POST_STEPS.join(", ")}, got ${describeValue(step)}`,
      );
    }
  });
  let reference: Rung["reference"];
  if (raw.reference !== undefined) {
    if (!isJsonObject(raw.reference)) fail(file, `${path}.reference`, "expected an object");
    const { size, buildTime } = raw.reference;
    if (size !== undefined && typeof size !== "string")
      fail(file, `${path}.reference.size`, "expected a string");
    if (buildTime !== undefined && typeof buildTime !== "string") {
      fail(file, `${path}.reference.buildTime`, "expected a string");
    }
    reference = { size: size as string | undefined, buildTime: buildTime as string | undefined };
  }
  if (raw.scratch !== undefined && typeof raw.scratch !== "boolean") {
    fail(file, `${path}.scratch`, `expected true or false, got ${describeValue(raw.scratch)}`);
  }
  if (raw.caveat !== undefined && (typeof raw.caveat !== "string" || raw.caveat.trim() === "")) {
    fail(file, `${path}.caveat`, `expected a non-empty string, got ${describeValue(raw.caveat)}`);
  }
  if (raw.needs !== undefined && raw.needs !== "buildkit") {
    fail(file, `${path}.needs`, `expected "buildkit", got ${describeValue(raw.needs)}`);
  }
  return {
    id,
    title: typeof raw.title === "string" ? raw.title : id,
    description: requireString(raw, "description", file, path),
    base,
    builder: optionalRole(raw, "builder", file, path),
    template,
    args,
    context: context as ContextMode,
    post: post as Rung["post"],
    reference,
    ...(raw.scratch === true ? { scratch: true } : {}),
    ...(typeof raw.caveat === "string" ? { caveat: raw.caveat } : {}),
    ...(raw.needs === "buildkit" ? { needs: "buildkit" as const } : {}),
    ...(own ? { dockerfile: own } : {}),
  };
}

/** Validates a parsed ladder file. Every problem names the file and the field. */
export function parseLadder(raw: Json, file: string): Ladder {
  if (!isJsonObject(raw))
    fail(file, "(top level)", `expected an object, got ${describeValue(raw)}`);
  const name = requireString(raw, "name", file, "(top level)");
  const rungsRaw = raw.rungs;
  if (!Array.isArray(rungsRaw) || rungsRaw.length === 0) {
    fail(file, "rungs", `expected a non-empty array of rungs, got ${describeValue(rungsRaw)}`);
  }
  const rungs = rungsRaw.map((r, i) => parseRung(r, file, `rungs[${i}]`));
  const seen = new Map<string, number>();
  rungs.forEach((r, i) => {
    const first = seen.get(r.id);
    if (first !== undefined) {
      fail(
        file,
        `rungs[${i}].id`,
        `"${r.id}" is already the id of rungs[${first}]`,
        "rung ids must be unique",
      );
    }
    seen.set(r.id, i);
  });
  return {
    name,
    description: typeof raw.description === "string" ? raw.description : "",
    rungs,
    file,
  };
}

/** Parses ladder JSON text; a syntax error names the file, line and column. */
export function parseLadderText(text: string, file: string): Ladder {
  const raw = parseJson(
    text,
    file,
    "see variants/modern.json for a complete example of a ladder file",
    "a JSON ladder",
  );
  return parseLadder(raw, file);
}

/** Keeps only the rungs named in `only` (in ladder order); an unknown id is an error. */
export function selectRungs(ladder: Ladder, only: readonly string[]): Ladder {
  if (only.length === 0) return ladder;
  const ids = new Set(ladder.rungs.map((r) => r.id));
  for (const id of only) {
    if (!ids.has(id)) {
      throw new InputError(
        `unknown rung "${id}" in ladder ${ladder.name}`,
        `the rungs of ${ladder.name} are: ${[...ids].join(", ")} (see \`shrinkbench list --ladder ${ladder.name}\`)`,
      );
    }
  }
  return { ...ladder, rungs: ladder.rungs.filter((r) => only.includes(r.id)) };
}
