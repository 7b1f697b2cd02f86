// Child of bench/multiprocess.ts: one process of a multi-process workload.
//   writer <kind> <path> <ms> <name>   durable single-key commits for <ms>; prints the count
//   stamper <kind> <path> <n>          commits "t" = performance.timeOrigin + now, n times, 20 ms apart
//   watcher <kind> <path> <n>          polls "t" with get(); prints each commit's visibility delay (ms)
// <kind> "sqlite" is node:sqlite in WAL mode with synchronous=FULL.
import { openWith, type StoreKind } from "@cooljapan/oxistore";
import { DatabaseSync } from "node:sqlite";

const [role, kind, path, arg, name] = Deno.args as [string, string, string, string, string];
const dec = new TextDecoder();

interface Kv {
  put(k: string, v: string): Promise<void>;
  get(k: string): Promise<string | undefined>;
  close(): Promise<void>;
}

async function openKv(): Promise<Kv> {
  if (kind === "sqlite") {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    db.exec("CREATE TABLE IF NOT EXISTS kv(k TEXT PRIMARY KEY, v TEXT)");
    const put = db.prepare(
      "INSERT INTO kv(k, v) VALUES(?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
    );
    const get = db.prepare("SELECT v FROM kv WHERE k = ?");
    return {
      put: (k, v) => {
        put.run(k, v);
        return Promise.resolve();
      },
      get: (k) => Promise.resolve((get.get(k) as { v?: string } | undefined)?.v),
      close: () => Promise.resolve(db.close()),
    };
  }
  const s = await openWith(kind as StoreKind, path);
  return {
    put: (k, v) => s.put(k, v),
    get: async (k) => {
      const v = await s.get(k);
      return v === undefined ? undefined : dec.decode(v);
    },
    close: () => s.close(),
  };
}

const kv = await openKv();
console.log("ready");
// Start together: the parent writes a line on stdin.
const buf = new Uint8Array(16);
await Deno.stdin.read(buf);
if (role === "writer") {
  const end = performance.now() + Number(arg);
  let n = 0;
  while (performance.now() < end) await kv.put(`${name}/${n % 1000}`, String(n++));
  console.log(`count ${n}`);
} else if (role === "stamper") {
  for (let i = 0; i < Number(arg); i++) {
    await kv.put("t", String(performance.timeOrigin + performance.now()));
    await new Promise((r) => setTimeout(r, 20));
  }
} else {
  let last = "";
  const delays: number[] = [];
  while (delays.length < Number(arg)) {
    const v = await kv.get("t");
    if (v !== undefined && v !== last) {
      if (last !== "") delays.push(performance.timeOrigin + performance.now() - Number(v));
      last = v;
    }
  }
  console.log(`delays ${delays.join(",")}`);
}
await kv.close();
