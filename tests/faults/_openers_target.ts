// Several openers of one LSM directory on the simulated disk, in this
// process: a read-only handle R, then two writers A and B that attach to the
// live store. The store's data files are on the simulated disk; the files the
// openers coordinate through (LOCK and its tip, JOBS, readers/) are real files
// in the same directory on the real disk, locked with flock, which locks per
// open file description: two handles in one process exclude each other as two
// processes would. Those files hold no data a power cut could lose (a lone
// opener recovers the directory and rewrites the tip).
//
// Each handle's 20 ms follow timer is captured and run by the steps instead,
// so every run makes the same calls in the same order; held syncs (SimDisk
// `holdSyncs`) play the thread pool finishing fdatasyncs in another order
// than they were issued.
import { DiskFs } from "../../kv/lsm/_fs.ts";
import { openLsmOn } from "../../kv/lsm/_open.ts";
import { loadManifest } from "../../kv/lsm/_recovery.ts";
import type { LsmOptions } from "../../kv/lsm/lsm_options.ts";
import { makeDirDurable } from "../../core/_fs_calls.ts";
import type { StoreConfig } from "../../core/config.ts";
import type { KvStore } from "../../core/kv.ts";
import type { SimDisk } from "./sim_disk.ts";
import type { Target } from "./_harness.ts";
import type { Step } from "./_workload.ts";
import { checkLsm } from "./_targets.ts";

const TUNING: LsmOptions = {
  backgroundThreads: false,
  memtableBytes: 2048,
  tableBytes: 4096,
  blockSize: 1024,
  l0Trigger: 2,
  levelBaseBytes: 16384,
  levelRatio: 4,
  cacheSizeBytes: 1 << 20,
  // Frozen memtables wait while syncs are held: no writer stalls on them.
  maxImmutable: 8,
};

type Who = "R" | "A" | "B";

/** What one run of the workload has open. */
interface Run {
  disk: SimDisk;
  handles: Map<Who, KvStore>;
  ticks: Map<Who, () => void>;
  /** Commits started and not awaited yet (their syncs are held). */
  started: Promise<void>[];
}

/** Gives timers and I/O a turn (the microtasks of every started commit run first). */
function turn(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

function value(key: string, version: number, n: number): string {
  const head = `${key}@${version}:`;
  return head + "x".repeat(Math.max(0, n - head.length));
}

/**
 * The store directory `base`/lsm opened by R (read-only), A and B. The
 * workload: a store whose creation stopped after its manifest (what a cut
 * there leaves), which R opens read-only (a read-only opener starts no log);
 * A attaches and, finding no log, starts the store's first one (the only way
 * an attaching writer creates a log); B attaches; A and B commit in turns
 * through shared log switches (R follows); then the three-commit race below;
 * more commits; B and A close (R closes last, by the harness). After a cut,
 * a lone writer reopens the directory.
 */
export function openersTarget(base: string): Target {
  const path = `${base}/lsm`;
  // The openers' lock files are real: the directory exists on the real disk too.
  Deno.mkdirSync(path, { recursive: true });
  let run: Run | undefined;

  /** Opens a handle, capturing its follow timer; the open handles' timers tick while it joins. */
  async function openHandle(who: Who, config: StoreConfig): Promise<void> {
    const r = run!;
    const captured: (() => void)[] = [];
    const real = globalThis.setInterval;
    globalThis.setInterval = ((fn: () => void) => {
      captured.push(fn);
      return real(() => {}, 1 << 30);
    }) as typeof setInterval;
    try {
      const opening = openLsmOn(r.disk, path, config, TUNING);
      // A newcomer waits until no opener runs solo: the others' timers let go.
      for (const tick of r.ticks.values()) tick();
      const { store } = await opening;
      r.handles.set(who, store);
    } finally {
      globalThis.setInterval = real;
    }
    if (captured.length !== 1) throw new Error(`${who}: ${captured.length} timers, want 1`);
    r.ticks.set(who, captured[0]!);
  }

  const handle = (who: Who): KvStore => run!.handles.get(who)!;

  function put(who: Who, key: string, version: number, n = 60): Step {
    const v = value(key, version, n);
    return {
      name: `${who}: put ${key}`,
      run: () => handle(who).put(key, v),
      apply: (m) => void m.set(key, v),
      flush: true,
    };
  }

  /** Every handle sees the same store (R and the writers follow each other). */
  const agree: Step = {
    name: "R, A and B read the same",
    run: async () => {
      const seen: string[] = [];
      for (const who of ["R", "A", "B"] as const) {
        const s = run!.handles.get(who);
        if (s === undefined) continue;
        const keys: string[] = [];
        for await (const [k] of s.range()) keys.push(new TextDecoder().decode(k));
        seen.push(keys.join(","));
      }
      if (new Set(seen).size !== 1) throw new Error("the handles disagree about the store");
    },
    apply: () => {},
    flush: true,
  };

  const steps: Step[] = [
    {
      name: "A opens (attaches, starts the first log)",
      run: () => openHandle("A", {}),
      apply: () => {},
      flush: true,
    },
    put("A", "a0000", 1),
    {
      name: "B opens (attaches)",
      run: () => openHandle("B", {}),
      apply: () => {},
      flush: true,
    },
  ];
  // Turns of commits, enough for a few shared log switches (2 KiB memtables).
  for (let i = 0; i < 24; i++) {
    const who = i % 3 === 1 ? "B" : "A";
    steps.push(put(who, `k${String(i % 16).padStart(4, "0")}`, i, 120));
  }
  steps.push(agree);
  steps.push({
    name: "ticks (followers catch up, take over jobs)",
    run: () => {
      for (const tick of run!.ticks.values()) tick();
      return turn();
    },
    apply: () => {},
    flush: true,
  });
  steps.push(put("B", "big0", 1, 2200));
  // The race a shared log switch guards: A's commit x is logged but its
  // fdatasync has not finished; A's next commit y switches the log; B commits
  // z to the new log and its fdatasync finishes first. z acknowledged means
  // everything logged before it (x, y) survives a cut.
  const x = value("x", 1, 2200);
  const y = value("y", 1, 60);
  const z = value("z", 1, 60);
  steps.push(
    {
      name: "A: put x (fills the log; its sync waits)",
      run: async () => {
        run!.disk.holdSyncs = true;
        const p = handle("A").put("x", x);
        p.catch(() => {});
        run!.started.push(p);
        await turn();
      },
      apply: (m) => void m.set("x", x),
    },
    {
      name: "A: put y (switches the log; its sync waits)",
      run: async () => {
        const p = handle("A").put("y", y);
        p.catch(() => {});
        run!.started.push(p);
        await turn();
      },
      apply: (m) => void m.set("y", y),
    },
    {
      name: "B: put z (to the new log; its sync finishes first)",
      run: async () => {
        const mark = run!.disk.heldSyncs;
        const p = handle("B").put("z", z);
        p.catch(() => {});
        await turn();
        run!.disk.releaseSyncs(mark);
        await p;
      },
      apply: (m) => void m.set("z", z),
      flush: true,
    },
    {
      name: "the held syncs finish, newest first",
      run: async () => {
        run!.disk.holdSyncs = false;
        run!.disk.releaseSyncs();
        await Promise.all(run!.started);
        run!.started = [];
      },
      apply: () => {},
      flush: true,
    },
  );
  for (let i = 0; i < 6; i++) {
    steps.push(put(i % 2 ? "B" : "A", `e${String(i).padStart(4, "0")}`, 1, 90));
  }
  steps.push(agree);
  for (const who of ["B", "A"] as const) {
    steps.push({
      name: `${who} closes`,
      run: async () => {
        const s = handle(who);
        run!.handles.delete(who);
        run!.ticks.delete(who);
        await s.close();
      },
      apply: () => {},
      flush: true,
    });
  }

  return {
    name: "lsm (several openers)",
    base,
    path,
    steps,
    relaxed: true,
    async start(disk: SimDisk): Promise<KvStore> {
      run = { disk, handles: new Map(), ticks: new Map(), started: [] };
      // A store whose creation a cut stopped after its first manifest: no log yet.
      makeDirDurable(disk, path);
      loadManifest(new DiskFs(path, disk), false);
      await openHandle("R", { readOnly: true });
      return handle("R");
    },
    async open(disk: SimDisk): Promise<KvStore> {
      return (await openLsmOn(disk, path, {}, TUNING)).store;
    },
    async cleanup(): Promise<void> {
      const r = run;
      if (r === undefined) return;
      run = undefined;
      r.disk.holdSyncs = false;
      for (const [who, s] of r.handles) {
        if (who === "R") continue; // the harness closes it
        try {
          await s.close();
        } catch { /* the disk is gone */ }
      }
      await Promise.allSettled(r.started);
    },
    check: checkLsm,
  };
}
