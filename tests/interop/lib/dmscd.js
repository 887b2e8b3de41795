// Starting and observing a dmscd daemon from the NDNts end-to-end tests.
//
// Each Dmscd runs in its own temporary directory with a Unix socket there,
// UDP, TCP and admin ports 0 (the daemon binds a free port and logs it; the
// ports are read back from the log, so two test runs never collide) and
// every listener on 127.0.0.1.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The dmscd binary: $DMSCD (relative to the repo root if relative), default build/test/src/daemon/dmscd. */
export const DMSCD = path.resolve(root, process.env.DMSCD ?? "build/test/src/daemon/dmscd");

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `probe` (sync or async) until it returns a truthy value; return it.
 * `timeout` is only an upper bound on waiting: it decides nothing but when
 * to give up, and then throws with `what` and the last value seen.
 */
export async function waitFor(what, probe, { timeout = 30000, interval = 20 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await probe();
    if (last) {
      return last;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    }
    await delay(interval);
  }
}

export class Dmscd {
  /**
   * Start dmscd.
   * @param {object} [opts]
   * @param {string} [opts.name] node name
   * @param {string} [opts.yaml] extra YAML appended to the config (e.g. a forwarder: section)
   */
  static async start({ name = "/e2e/node", yaml = "" } = {}) {
    const d = new Dmscd();
    await d.#start(name, yaml);
    return d;
  }

  dir;
  sock;
  logPath;
  proc;
  udpPort;
  tcpPort;
  adminPort;
  exit; // Promise<{code, signal}>

  async #start(name, yaml) {
    if (!fs.existsSync(DMSCD)) {
      throw new Error(`dmscd binary not found at ${DMSCD} (set DMSCD=...)`);
    }
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "dmsc-e2e-"));
    this.sock = path.join(this.dir, "dmsc.sock");
    this.logPath = path.join(this.dir, "dmscd.log");
    const cfg = path.join(this.dir, "dmscd.yaml");
    fs.writeFileSync(cfg, `# written by tests/interop/lib/dmscd.js
log:
  level: info
listen:
  udp: {bind: 127.0.0.1, port: 0}
  tcp: {bind: 127.0.0.1, port: 0}
admin: {bind: 127.0.0.1, port: 0}
${yaml}`);
    const log = fs.openSync(this.logPath, "w");
    const env = {
      ...process.env,
      // an ASan build reports leaks and errors in the log and exits 23
      ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0:exitcode=23",
      UBSAN_OPTIONS: "print_stacktrace=1:halt_on_error=1",
    };
    this.proc = spawn(DMSCD, ["--config", cfg, "--unix", this.sock, "--name", name],
      { stdio: ["ignore", log, log], env });
    fs.closeSync(log);
    this.exit = new Promise((resolve) => {
      this.proc.on("exit", (code, signal) => resolve({ code, signal }));
    });
    let exited = false;
    void this.exit.then(() => { exited = true; });
    await waitFor("dmscd event=started", () => {
      if (exited) {
        throw new Error(`dmscd exited during startup:\n${this.log().slice(-4000)}`);
      }
      return /event=started/.test(this.log());
    }, { timeout: 60000 });
    const text = this.log();
    const port = (re) => {
      const m = re.exec(text);
      if (!m) {
        throw new Error(`no ${re} in the dmscd log:\n${text}`);
      }
      return Number(m[1]);
    };
    this.udpPort = port(/event=listen channel=udp4:\/\/127\.0\.0\.1:(\d+)/);
    this.tcpPort = port(/event=listen channel=tcp4:\/\/127\.0\.0\.1:(\d+)/);
    this.adminPort = port(/event=listen channel=http:\/\/127\.0\.0\.1:(\d+)\//);
  }

  /** The daemon's log so far. */
  log() {
    try {
      return fs.readFileSync(this.logPath, "utf8");
    } catch {
      return "";
    }
  }

  /** GET a path of the admin API; resolves to the body text (rejects on non-200). */
  get(p) {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: this.adminPort, path: p, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => { body += c; });
        res.on("end", () => {
          if (res.statusCode !== 200) {
            reject(new Error(`GET ${p}: ${res.statusCode} ${body}`));
          } else {
            resolve(body);
          }
        });
      });
      req.setTimeout(30000, () => req.destroy(new Error(`GET ${p}: timeout`)));
      req.on("error", reject);
    });
  }

  /** GET a JSON endpoint of the admin API. */
  async json(p) {
    return JSON.parse(await this.get(p));
  }

  /** /metrics parsed: Map of "name{labels}" (labels as printed) -> number. */
  async metrics() {
    const m = new Map();
    for (const line of (await this.get("/metrics")).split("\n")) {
      if (line === "" || line.startsWith("#")) {
        continue;
      }
      const sp = line.lastIndexOf(" ");
      m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
    }
    return m;
  }

  /** The /faces entry of a face id (undefined if there is none). */
  async face(id) {
    const { faces } = await this.json("/faces");
    return faces.find((f) => f.id === id);
  }

  /** Nexthop face ids of a FIB prefix (URI as the admin prints it), [] if absent. */
  async fibNexthops(prefix) {
    const { fib } = await this.json("/fib");
    const e = fib.find((x) => x.prefix === prefix);
    return e ? e.nexthops.map((nh) => nh.face) : [];
  }

  /** SIGTERM, wait for the exit; resolves to {code, signal, log}. */
  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
    }
    const killer = setTimeout(() => this.proc.kill("SIGKILL"), 120000);
    const r = await this.exit;
    clearTimeout(killer);
    const log = this.log();
    if (!process.env.KEEP_TMP) {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
    return { ...r, log };
  }
}

/** The sanitizer and leak reports a clean run must not have. */
export function sanitizerReports(log) {
  return log.split("\n").filter((l) =>
    /AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer/.test(l));
}
