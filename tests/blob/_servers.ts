/**
 * Starts and stops the local cloud test servers (s3rver, Azurite, the GCS
 * emulator) on 127.0.0.1. Each runs as `setsid node …` in its own process
 * group, so `stop()` ends it and anything it spawned.
 *
 * The servers come from `tools/` (`npm ci --prefix tools`); when they are
 * missing this throws with that hint instead of skipping.
 *
 * @module
 */

const REPO = new URL("../../", import.meta.url);
const TOOLS = new URL("tools/", REPO);
/** The GCS launcher lives in the shared dir next to the repo clone. */
const GCS_LAUNCHER = new URL("../../../shared/tools/gcs-emulator.cjs", import.meta.url);

/** A running test server. */
export interface TestServer {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** The port. */
  port: number;
  /** What its stderr/stdout said so far (for failure messages). */
  log(): string;
  /** Stops the process group and waits for it. Idempotent. */
  stop(): Promise<void>;
  /** Synchronous kill for `unload` handlers. */
  killNow(): void;
}

function need(path: URL, what: string): void {
  try {
    Deno.statSync(path);
  } catch {
    throw new Error(
      `${what} is not installed (${path.pathname} missing): run \`npm ci --prefix tools\` ` +
        "in the repository root first",
    );
  }
}

/** A port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function spawn(
  name: string,
  argsIn: (workDir: string) => string[],
  port: number,
  /** What the server logs once it listens (so a stranger on the port is not taken for it). */
  marker: RegExp,
  ready: (url: string) => Promise<boolean>,
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<TestServer> {
  // Everything the server writes (its log, data, temp files via TMPDIR) goes
  // into one directory that is removed when it stops.
  const workDir = await Deno.makeTempDir({ prefix: `oxistore-${name}-` });
  const logFile = `${workDir}/server.log`;
  const args = argsIn(workDir);
  // `sh` redirects output to a file (no pipe to drain) and watches its parent
  // (this test process): if that dies without stopping us, the server is
  // killed within a second. `setsid` puts sh and node in their own group.
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const script = `node ${quoted} >'${logFile}' 2>&1 & c=$!; p=$PPID; ` +
    `while kill -0 $c 2>/dev/null; do ` +
    `if ! kill -0 $p 2>/dev/null; then kill $c; sleep 2; kill -9 $c; exit 1; fi; ` +
    `sleep 1; done; wait $c`;
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", script],
    env: { ...env, TMPDIR: workDir },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    cwd: new URL("tools/", REPO).pathname,
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const log = () => {
    try {
      return Deno.readTextFileSync(logFile);
    } catch {
      return "";
    }
  };
  let stopped = false;
  const killNow = () => {
    if (stopped) return;
    stopped = true;
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch { /* already gone */ }
    try {
      Deno.removeSync(workDir, { recursive: true });
    } catch { /* gone */ }
  };
  // Test servers hold nothing worth a graceful shutdown: kill the group outright.
  const stop = async () => {
    killNow();
    await child.status;
  };
  let exited = false;
  child.status.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      if (marker.test(log()) && await ready(url)) return { url, port, log, stop, killNow };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const text = log();
  await stop();
  throw new Error(`${name} did not start on ${url}:\n${text.slice(-2000)}`);
}

/**
 * Starts a server on a fresh free port, up to 3 times: between `freePort()`
 * and the server's bind, a parallel test may take the port.
 */
async function withRetry(start: (port: number) => Promise<TestServer>): Promise<TestServer> {
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await start(freePort());
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

async function answers(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await res.body?.cancel();
  return res.status > 0;
}

/** s3rver with the given buckets; credentials S3RVER / S3RVER. */
export function startS3rver(buckets: string[]): Promise<TestServer> {
  need(new URL("node_modules/s3rver/package.json", TOOLS), "s3rver (tools/package.json)");
  // s3rver's continuation tokens use DES, which OpenSSL 3 (Node ≥ 17) only has in
  // its legacy provider: without this flag every paginated listing answers 500.
  const script = new URL("s3rver.cjs", TOOLS).pathname;
  return withRetry((port) =>
    spawn(
      "s3rver",
      () => ["--openssl-legacy-provider", script, String(port), ...buckets],
      port,
      new RegExp(`s3rver listening on http://127\\.0\\.0\\.1:${port}`),
      answers,
    )
  );
}

/** Azurite's blob service with its well-known dev account, data in its work dir. */
export function startAzurite(): Promise<TestServer> {
  const main = new URL("node_modules/azurite/dist/src/blob/main.js", TOOLS);
  need(main, "azurite (tools/package.json)");
  return withRetry((port) =>
    spawn(
      "azurite",
      (dir) => [
        main.pathname,
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        String(port),
        "--location",
        `${dir}/data`,
        "--silent",
        "--skipApiVersionCheck",
        "--disableProductStyleUrl",
      ],
      port,
      new RegExp(`successfully listens on http://127\\.0\\.0\\.1:${port}`),
      answers,
    )
  );
}

/**
 * The GCS emulator (`shared/tools/gcs-emulator.cjs`, firebase-tools 15.34.2 from
 * tools/). `compat` adds generation preconditions and chunked resumable uploads.
 */
export function startGcsEmulator(compat: boolean): Promise<TestServer> {
  need(
    new URL("node_modules/firebase-tools/package.json", TOOLS),
    "firebase-tools (tools/package.json)",
  );
  need(GCS_LAUNCHER, "the GCS emulator launcher (shared/tools/gcs-emulator.cjs)");
  const mode = compat ? ["--compat"] : [];
  return withRetry((port) =>
    spawn(
      "gcs-emulator",
      () => [GCS_LAUNCHER.pathname, ...mode, String(port), "127.0.0.1"],
      port,
      new RegExp(`gcs-emulator listening on http://127\\.0\\.0\\.1:${port}`),
      async (url) => {
        const res = await fetch(`${url}/storage/v1/b/probe/o`, {
          signal: AbortSignal.timeout(1000),
        });
        await res.body?.cancel();
        return res.status < 500;
      },
      { NODE_PATH: new URL("node_modules", TOOLS).pathname },
    )
  );
}
