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
  args: string[],
  port: number,
  ready: (url: string) => Promise<boolean>,
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<TestServer> {
  const logFile = await Deno.makeTempFile({ prefix: `oxistore-${name}-`, suffix: ".log" });
  // `sh -c exec` redirects output to a file (no pipe to drain), setsid gives a group.
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", `exec node ${quoted} >'${logFile}' 2>&1`],
    env,
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
      Deno.kill(-child.pid, "SIGTERM");
    } catch { /* already gone */ }
  };
  const stop = async () => {
    killNow();
    const t = setTimeout(() => {
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch { /* gone */ }
    }, 3000);
    await child.status;
    clearTimeout(t);
    await Deno.remove(logFile).catch(() => {});
  };
  let exited = false;
  child.status.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      if (await ready(url)) return { url, port, log, stop, killNow };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const text = log();
  await stop();
  throw new Error(`${name} did not start on ${url}:\n${text.slice(-2000)}`);
}

async function answers(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await res.body?.cancel();
  return res.status > 0;
}

/** s3rver with the given buckets; credentials S3RVER / S3RVER. */
export function startS3rver(buckets: string[]): Promise<TestServer> {
  need(new URL("node_modules/s3rver/package.json", TOOLS), "s3rver (tools/package.json)");
  const port = freePort();
  // s3rver's continuation tokens use DES, which OpenSSL 3 (Node ≥ 17) only has in
  // its legacy provider: without this flag every paginated listing answers 500.
  const args = ["--openssl-legacy-provider", new URL("s3rver.cjs", TOOLS).pathname, String(port)];
  return spawn("s3rver", [...args, ...buckets], port, answers);
}

/** Azurite's blob service with its well-known dev account, in a temp dir. */
export async function startAzurite(): Promise<TestServer> {
  const main = new URL("node_modules/azurite/dist/src/blob/main.js", TOOLS);
  need(main, "azurite (tools/package.json)");
  const dir = await Deno.makeTempDir({ prefix: "oxistore-azurite-" });
  const port = freePort();
  const server = await spawn(
    "azurite",
    [
      main.pathname,
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(port),
      "--location",
      dir,
      "--silent",
      "--skipApiVersionCheck",
      "--disableProductStyleUrl",
    ],
    port,
    answers,
  );
  const stop = server.stop;
  server.stop = async () => {
    await stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return server;
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
  const port = freePort();
  const args = [GCS_LAUNCHER.pathname, ...(compat ? ["--compat"] : []), String(port), "127.0.0.1"];
  return spawn("gcs-emulator", args, port, async (url) => {
    const res = await fetch(`${url}/storage/v1/b/probe/o`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status < 500;
  }, { NODE_PATH: new URL("node_modules", TOOLS).pathname, PATH: Deno.env.get("PATH") ?? "" });
}
