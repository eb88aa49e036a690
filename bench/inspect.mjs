// npm run bench:inspect — how long `shrinkbench inspect` takes next to reading the image once
// (`docker save IMAGE > /dev/null`), measured side by side in one run, alternating order.
// The image is the modern ladder's `full` rung for the talk's requirements (well over 1 GB).
// Writes results/bench-inspect.json and .md. Each kind is summarised by its median over the
// rounds (the machines this runs on are shared, and one noisy round should not decide).
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const cli = ["dist/bin.js"];

function sh(cmd, args) {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

const TICKS = 100; // USER_HZ: the unit of utime and stime in /proc/<pid>/stat

/**
 * Wall time, peak RSS and CPU time (user + system, all threads) of a child process, via
 * /proc sampled every 50 ms (so the CPU time misses at most the last 50 ms), and the load
 * average when it started (how busy the machine was).
 */
function timed(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const load = loadavg()[0];
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", opts.stdout ?? "ignore", "inherit"] });
    let peak = 0;
    let cpu = 0;
    const sample = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peak = Math.max(peak, kb * 1024);
        const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        cpu = (Number(fields[11]) + Number(fields[12])) / TICKS;
      } catch {
        /* exited */
      }
    }, 50);
    child.on("exit", (code) => {
      clearInterval(sample);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`));
      else
        resolve({
          seconds: (performance.now() - started) / 1000,
          peakRssBytes: peak,
          cpuSeconds: cpu,
          loadAverage: load,
        });
    });
  });
}

const runName = "bench-inspect-full";
console.error("building the full rung of examples/talk/requirements.txt ...");
sh("node", [
  ...cli,
  "run",
  "examples/talk/requirements.txt",
  "-r",
  "full",
  "--keep-images",
  "--no-inspect",
  "--out",
  "results/bench",
  "--name",
  runName,
  "--quiet",
  "--format",
  "json",
]);
const record = JSON.parse(readFileSync(`results/bench/${runName}.json`, "utf8"));
const image = record.rungs[0].image;
if (!image) throw new Error(`the full rung did not build: ${record.rungs[0].reason}`);

const rows = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order =
      round % 2 === 0
        ? ["save", "inspect", "inspect-no-gzip"]
        : ["inspect-no-gzip", "inspect", "save"];
    for (const what of order) {
      const r =
        what === "save"
          ? await timed("docker", ["save", image.id])
          : await timed("node", [
              ...cli,
              "inspect",
              image.id,
              "--format",
              "json",
              ...(what === "inspect-no-gzip" ? ["--no-gzip"] : []),
            ]);
      rows.push({ round, what, ...r });
      console.error(
        `${what}: ${r.seconds.toFixed(1)} s, CPU ${r.cpuSeconds.toFixed(1)} s, ` +
          `peak RSS ${(r.peakRssBytes / 1e6).toFixed(0)} MB, load ${r.loadAverage.toFixed(1)}`,
      );
    }
  }
} finally {
  sh("node", [...cli, "clean", "--run", record.runId]);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = (what) => {
  const xs = rows.filter((r) => r.what === what);
  return {
    seconds: median(xs.map((r) => r.seconds)),
    cpuSeconds: median(xs.map((r) => r.cpuSeconds)),
    peakRssBytes: Math.max(...xs.map((r) => r.peakRssBytes)),
  };
};
const save = summary("save");
const inspect = summary("inspect");
const noGzip = summary("inspect-no-gzip");
const result = {
  image: { id: image.id, sizeBytes: image.sizeBytes },
  rounds: ROUNDS,
  rows,
  saveSeconds: save.seconds,
  inspectSeconds: inspect.seconds,
  inspectNoGzipSeconds: noGzip.seconds,
  ratio: inspect.seconds / save.seconds,
  ratioNoGzip: noGzip.seconds / save.seconds,
  inspectCpuSeconds: inspect.cpuSeconds,
  inspectNoGzipCpuSeconds: noGzip.cpuSeconds,
  inspectPeakRssBytes: Math.max(inspect.peakRssBytes, noGzip.peakRssBytes),
  inspectNoGzipPeakRssBytes: noGzip.peakRssBytes,
  summary: "median over the rounds; peak RSS is the largest seen",
  target: "inspect at most 1.5x the time of reading the image once",
};
writeFileSync("results/bench-inspect.json", JSON.stringify(result, null, 2) + "\n");
const mb = (b) => `${(b / 1e6).toFixed(0)} MB`;
const labels = {
  save: "docker save > /dev/null",
  inspect: "shrinkbench inspect",
  "inspect-no-gzip": "shrinkbench inspect --no-gzip",
};
writeFileSync(
  "results/bench-inspect.md",
  `# bench:inspect\n\nImage: the modern ladder's full rung of examples/talk/requirements.txt, ${(image.sizeBytes / 1e9).toFixed(2)} GB. ${ROUNDS} rounds, alternating order; median time of the rounds. CPU: user + system time of the process (for docker save, of the CLI only: the engine does the work). ${availableParallelism()} cores.\n\n` +
    `| what | median time | ratio to docker save | CPU | peak RSS |\n| --- | ---: | ---: | ---: | ---: |\n` +
    `| docker save > /dev/null | ${save.seconds.toFixed(1)} s | 1.00 | ${save.cpuSeconds.toFixed(1)} s | - |\n` +
    `| shrinkbench inspect (with gzip sizes) | ${inspect.seconds.toFixed(1)} s | ${result.ratio.toFixed(2)} | ${inspect.cpuSeconds.toFixed(1)} s | ${mb(inspect.peakRssBytes)} |\n` +
    `| shrinkbench inspect --no-gzip | ${noGzip.seconds.toFixed(1)} s | ${result.ratioNoGzip.toFixed(2)} | ${noGzip.cpuSeconds.toFixed(1)} s | ${mb(noGzip.peakRssBytes)} |\n\n` +
    `Every run (load: the 1-minute load average when it started):\n\n| round | what | time | CPU | peak RSS | load |\n| ---: | --- | ---: | ---: | ---: | ---: |\n` +
    rows
      .map(
        (r) =>
          `| ${r.round + 1} | ${labels[r.what]} | ${r.seconds.toFixed(1)} s | ${r.cpuSeconds.toFixed(1)} s | ${r.what === "save" ? "-" : mb(r.peakRssBytes)} | ${r.loadAverage.toFixed(1)} |`,
      )
      .join("\n") +
    "\n",
);
console.log(readFileSync("results/bench-inspect.md", "utf8"));
