// The host's pip, run with no config file and no PIP_* variables, so it only knows what a test passes.
import { execFile } from "node:child_process";

export function pip(args: string[]): Promise<{ code: number; out: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("PIP_") && v !== undefined) env[k] = v;
  }
  env.PIP_CONFIG_FILE = "/dev/null";
  env.PIP_DISABLE_PIP_VERSION_CHECK = "1";
  return new Promise((resolve) => {
    execFile(
      "python3",
      ["-m", "pip", ...args],
      { env, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number) || 1 : 0;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}
