// Child of crash_test.ts: one opener of a shared store, a writer or a reader.
// A writer commits in a loop (a put, a two-key batch, a counter increment in
// a transaction) and prints "ack <key>" once each commit resolved. A reader
// scans in a loop and prints "bad <why>" when it sees a half-applied batch or
// a counter that disagrees with its increments. On stdin, "stop" ends the
// loop ("stopped"), "final" commits a marker ("finaled"), "digest" prints
// "digest <hash> <count>" of a full scan and exits.
import { openWith, type StoreKind } from "@cooljapan/oxistore";
import { openLsm } from "@cooljapan/oxistore/kv/lsm";
import { createHash } from "node:crypto";

const [kind, path, role, name] = Deno.args as [StoreKind, string, string, string];
// The LSM with tiny memtables and levels, so kills land in log switches,
// flushes and compactions too.
const store = kind === "lsm"
  ? await openLsm(path, {}, {
    memtableBytes: 2 << 10,
    tableBytes: 4 << 10,
    l0Trigger: 2,
    levelBaseBytes: 16 << 10,
    levelRatio: 4,
  })
  : await openWith(kind, path);
const dec = new TextDecoder();
const enc = new TextEncoder();
const say = (line: string) => Deno.stdout.writeSync(enc.encode(line + "\n"));

let running = true;

async function writeLoop(): Promise<void> {
  for (let n = 0; running; n++) {
    // The B-tree's commits can resolve without any real async I/O: give the
    // event loop a turn, or "stop" on stdin would never be read.
    await new Promise((r) => setTimeout(r, 0));
    const step = n % 3;
    if (step === 0) {
      const key = `p/${name}/${n}`;
      await store.put(key, String(n));
      say(`ack ${key}`);
    } else if (step === 1) {
      const key = `b/${name}/${n}`;
      await store.batchWrite([[`${key}/a`, "x"], [`${key}/b`, "y"]]);
      say(`ack ${key}/a`);
    } else {
      for (;;) {
        await using txn = await store.transaction();
        const cur = await txn.get("counter");
        const next = cur === undefined ? 1 : Number(dec.decode(cur)) + 1;
        await txn.put("counter", String(next));
        await txn.put(`i/${name}/${n}`, String(next));
        try {
          await txn.commit();
          say(`ack i/${name}/${n}`);
          break;
        } catch (err) {
          if ((err as { kind?: string }).kind !== "TxnConflict") throw err;
          // A slow writer can lose every race: once told to stop, it gives up.
          if (!running) break;
        }
      }
    }
  }
}

async function check(): Promise<string | undefined> {
  await using snap = await store.snapshot();
  const keys = new Set<string>();
  for await (const [k] of snap.range()) keys.add(dec.decode(k));
  for (const k of keys) {
    if (k.startsWith("b/") && k.endsWith("/a") && !keys.has(k.slice(0, -1) + "b")) {
      return `batch ${k} without its second key`;
    }
  }
  const counter = await snap.get("counter");
  const incs = [...keys].filter((k) => k.startsWith("i/")).length;
  if ((counter === undefined ? 0 : Number(dec.decode(counter))) !== incs) {
    return `counter ${counter === undefined ? 0 : dec.decode(counter)} but ${incs} increments`;
  }
}

async function readLoop(): Promise<void> {
  while (running) {
    const bad = await check();
    if (bad !== undefined) say(`bad ${bad}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function digest(): Promise<string> {
  const h = createHash("sha256");
  let n = 0;
  for await (const [k, v] of store.range()) {
    h.update(k);
    h.update(":");
    h.update(v);
    h.update("\n");
    n++;
  }
  return `${h.digest("hex")} ${n}`;
}

const loop = role === "writer" ? writeLoop() : readLoop();
say("ready");
let pending = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  pending += chunk;
  let nl: number;
  while ((nl = pending.indexOf("\n")) >= 0) {
    const cmd = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    if (cmd === "stop") {
      running = false;
      await loop;
      say("stopped");
    } else if (cmd === "final") {
      await store.put(`final/${name}`, "1");
      say("finaled");
    } else if (cmd === "digest") {
      const bad = await check();
      if (bad !== undefined) say(`bad ${bad}`);
      say(`digest ${await digest()}`);
      await store.close();
      Deno.exit(0);
    }
  }
}
