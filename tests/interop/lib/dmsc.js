// Running the dmsc CLI from the tests.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The dmsc binary: $DMSC (relative to the repo root if relative), default build/src/cli/dmsc. */
export const DMSC = path.resolve(root, process.env.DMSC ?? "build/src/cli/dmsc");

/** Run dmsc; returns {status, stdout, stderr}. */
export function dmsc(args, input) {
  if (args[0] === "packet" && args[1] === "decode" && args[2]?.length > 65536 && input === undefined) {
    // beyond what one argv string may hold (128 KiB on Linux): use stdin
    input = args[2];
    args = [...args.slice(0, 2), "-", ...args.slice(3)];
  }
  const r = spawnSync(DMSC, args, { input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) {
    throw new Error(`cannot run ${DMSC}: ${r.error.message}`);
  }
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function describeRun(args, r) {
  return `dmsc ${args.join(" ")} -> exit ${r.status}${r.signal ? ` (signal ${r.signal})` : ""}\n` +
    `stderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 2000)}`;
}

/** Run dmsc, require exit status `want` (default 0), parse stdout as JSON. */
export function dmscJson(args, input, want = 0) {
  const r = dmsc(args, input);
  if (r.status !== want) {
    throw new Error(`unexpected exit status\n${describeRun(args, r)}`);
  }
  try {
    return JSON.parse(r.stdout);
  } catch (err) {
    throw new Error(`stdout is not JSON (${err.message})\n${describeRun(args, r)}`);
  }
}

/** Run dmsc, require exit status 0, return trimmed stdout. */
export function dmscText(args, input) {
  const r = dmsc(args, input);
  if (r.status !== 0) {
    throw new Error(`unexpected exit status\n${describeRun(args, r)}`);
  }
  return r.stdout.trim();
}

/** A fresh temporary directory, removed at exit. */
export function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "dmsc-interop-"));
  process.on("exit", () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** dmsc arguments that give it the verification key of a case. */
export function verifyArgs(verify) {
  switch (verify?.type) {
    case undefined:
    case "digest":
      return [];
    case "hmac":
      return ["--hmac-key", verify.secret];
    default:
      return ["--verify-spki", verify.spki];
  }
}
