// The project config file, shrinkbench.config.json: which image plays each base role, budgets
// for `check`, and engines. scripts/setup.sh writes the base roles it prepared.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { parseEngines } from "./run/engines.js";
import { InputError } from "./errors.js";
import { fieldError, isJsonObject, parseJson } from "./validation.js";
import { BASE_ROLES, type BaseRole } from "./types.js";

export const CONFIG_FILE = "shrinkbench.config.json";

export interface Config {
  file?: string;
  bases: Record<BaseRole, string>;
  /** Raw budget block; src/results/budget.ts validates it. */
  budgets?: unknown;
  /** Docker hosts to build on (`--docker-host` wins); rungs go to the least-busy one. */
  engines?: string[];
}

export function defaultBases(pythonVersion = "3.11"): Record<BaseRole, string> {
  return {
    full: `python:${pythonVersion}`,
    slim: `python:${pythonVersion}-slim`,
    alpine: `python:${pythonVersion}-alpine`,
  };
}

// An image reference as Docker parses it (distribution/reference): an optional registry host
// with port, lowercase path components, an optional tag and an optional digest.
const DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`[\w][\w.-]{0,127}`;
const DIGEST = String.raw`[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`;
const IMAGE_REF = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);

/** True for a reference `docker pull` accepts, e.g. python:3.11-slim, localhost:5000/py@sha256:... */
export function isImageReference(ref: string): boolean {
  return IMAGE_REF.test(ref);
}

export function parseConfig(raw: unknown, file: string): Config {
  if (!isJsonObject(raw)) {
    throw new InputError(`${file}: expected a JSON object at the top level`);
  }
  const obj = raw;
  const bases = defaultBases();
  if (obj.bases !== undefined) {
    if (!isJsonObject(obj.bases)) {
      throw fieldError(file, "bases", "expected an object mapping full/slim/alpine to image names");
    }
    for (const [role, image] of Object.entries(obj.bases)) {
      const path = `bases.${role}`;
      if (!BASE_ROLES.includes(role as BaseRole)) {
        throw fieldError(file, path, "unknown base role", `the roles are ${BASE_ROLES.join(", ")}`);
      }
      if (typeof image !== "string" || !image.trim()) {
        throw fieldError(file, path, 'expected an image name, e.g. "python:3.11-slim"');
      }
      if (!isImageReference(image)) {
        throw fieldError(
          file,
          path,
          `${JSON.stringify(image)} is not a valid image reference`,
          'write [REGISTRY/]NAME[:TAG][@DIGEST] with a lowercase name, e.g. "python:3.11-slim"',
        );
      }
      bases[role as BaseRole] = image;
    }
  }
  const engines = parseEngines(obj.engines, file);
  return { file, bases, budgets: obj.budgets, ...(engines ? { engines } : {}) };
}

/** Reads the config; an explicit path must exist, the default one may be absent. */
export async function loadConfig(path?: string): Promise<Config> {
  const file = path ?? CONFIG_FILE;
  if (!existsSync(file)) {
    if (path)
      throw new InputError(`${file}: no such config file`, "omit --config to use the defaults");
    return { bases: defaultBases() };
  }
  return parseConfig(parseJson(await readFile(file, "utf8"), file), file);
}
