/**
 * The stores a Deno user would otherwise pick, each set up the way its own
 * docs recommend for durable writes, behind the same {@link Subject} as the
 * oxistore engines: Deno KV used directly, SQLite (`node:sqlite`), lmdb and
 * classic-level (LevelDB).
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { open as openLmdb } from "lmdb";
import { ClassicLevel } from "classic-level";
import type { OpenOptions, Pair, Subject, SubjectFactory } from "./_workloads.ts";

/** Deno KV refuses values over 64 KiB; large values go in chunks of this size. */
const DENO_KV_CHUNK = 60_000;
/** Sorts after every 16-byte key: the open end of a Deno KV range. */
const DENO_KV_END = [new Uint8Array(17).fill(0xff)];

/** Deno KV (SQLite underneath), keys `[Uint8Array]`, values raw bytes. */
export const denoKvAnchor: SubjectFactory = {
  id: "deno-kv",
  label: "Deno KV",
  setup: "Deno.openKv(file), keys [Uint8Array], batches in kv.atomic(), " +
    `values > 64 KiB in ${DENO_KV_CHUNK}-byte chunks in one atomic commit`,
  async open(dir) {
    const kv = await Deno.openKv(`${dir}/denokv.sqlite3`);
    const commit = async (op: Deno.AtomicOperation) => {
      const r = await op.commit();
      if (!r.ok) throw new Error("Deno KV atomic commit failed");
    };
    const chunkCount = (size: number) => Math.ceil(size / DENO_KV_CHUNK);
    const subject: Subject = {
      batch(pairs: Pair[]) {
        const op = kv.atomic();
        for (const [k, v] of pairs) op.set([k], v);
        return commit(op);
      },
      async put(k, v) {
        await kv.set([k], v);
      },
      async get(k) {
        const e = await kv.get<Uint8Array>([k]);
        return e.value ?? undefined;
      },
      async scanAll() {
        let n = 0;
        for await (const _ of kv.list({ prefix: [] }, { batchSize: 1000 })) n++;
        return n;
      },
      async scan(lo, limit) {
        let n = 0;
        const sel = { start: [lo], end: DENO_KV_END };
        for await (const _ of kv.list(sel, { limit, batchSize: limit })) n++;
        return n;
      },
      putLarge(k, v) {
        // The head key holds the size; chunks sit under [k, i]; one commit.
        const op = kv.atomic().set([k], new Uint8Array(new Uint32Array([v.length]).buffer));
        for (let i = 0; i * DENO_KV_CHUNK < v.length; i++) {
          op.set([k, i], v.subarray(i * DENO_KV_CHUNK, (i + 1) * DENO_KV_CHUNK));
        }
        return commit(op);
      },
      async getLargeLength(k) {
        const head = await kv.get<Uint8Array>([k]);
        if (!head.value) return -1;
        const size = new Uint32Array(head.value.slice().buffer)[0]!;
        const keys = Array.from({ length: chunkCount(size) }, (_, i) => [k, i]);
        let total = 0;
        for (const e of await kv.getMany<Uint8Array[]>(keys)) total += e.value?.length ?? 0;
        return total;
      },
      flush() {},
      close() {
        kv.close();
      },
    };
    return subject;
  },
};

/** SQLite through `node:sqlite`: WAL, synchronous=FULL, a WITHOUT ROWID blob table. */
export const sqliteAnchor: SubjectFactory = {
  id: "sqlite",
  label: "SQLite",
  setup: "node:sqlite DatabaseSync, journal_mode=WAL, synchronous=FULL, " +
    "WITHOUT ROWID table (k BLOB PRIMARY KEY, v BLOB), prepared statements, " +
    "batches in BEGIN/COMMIT",
  open(dir, opts?: OpenOptions) {
    const db = new DatabaseSync(`${dir}/sqlite.db`);
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=FULL");
    if (opts?.cacheSizeBytes !== undefined) {
      // a negative cache_size is in KiB
      db.exec(`PRAGMA cache_size=-${Math.floor(opts.cacheSizeBytes / 1024)}`);
    }
    db.exec(
      "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY NOT NULL, v BLOB NOT NULL) WITHOUT ROWID",
    );
    const arrays = (st: StatementSync): StatementSync => {
      // rows as arrays skip building an object per row (missing from the bundled types)
      (st as StatementSync & { setReturnArrays(on: boolean): void }).setReturnArrays(true);
      return st;
    };
    const put = db.prepare("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)");
    const get = arrays(db.prepare("SELECT v FROM kv WHERE k = ?"));
    const all = arrays(db.prepare("SELECT k, v FROM kv ORDER BY k"));
    const from = arrays(db.prepare("SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?"));
    const subject: Subject = {
      batch(pairs) {
        db.exec("BEGIN");
        try {
          for (const [k, v] of pairs) put.run(k, v);
          db.exec("COMMIT");
        } catch (err) {
          db.exec("ROLLBACK");
          throw err;
        }
      },
      put(k, v) {
        put.run(k, v);
      },
      get(k) {
        const row = get.get(k) as unknown as [Uint8Array] | undefined;
        return row?.[0];
      },
      getSync(k) {
        const row = get.get(k) as unknown as [Uint8Array] | undefined;
        return row?.[0];
      },
      scanAll() {
        let n = 0;
        for (const _ of all.iterate()) n++;
        return n;
      },
      scan(lo, limit) {
        let n = 0;
        for (const _ of from.iterate(lo, limit)) n++;
        return n;
      },
      flush() {},
      close() {
        db.close();
      },
    };
    return Promise.resolve(subject);
  },
};

/** lmdb (native, npm `lmdb`), binary keys and values, every commit synced. */
export const lmdbAnchor: SubjectFactory = {
  id: "lmdb",
  label: "lmdb",
  setup: 'lmdb open({ keyEncoding: "binary", encoding: "binary", overlappingSync: false }), ' +
    "batches in transactionSync, single commits with await put(), reads with getBinary in both " +
    "read rows (lmdb's reads are synchronous; its experimental getAsync crashes on a missing key " +
    "under Deno), getRange. No cache setting: " +
    "it reads through mmap, so its resident size counts the file pages the kernel keeps mapped",
  open(dir) {
    // overlappingSync (the default on Linux) resolves a put before its fsync;
    // off, a resolved put is durable, like every other subject here.
    const db = openLmdb<Uint8Array, Uint8Array>({
      path: `${dir}/lmdb`,
      keyEncoding: "binary",
      encoding: "binary",
      overlappingSync: false,
    });
    const subject: Subject = {
      batch(pairs) {
        db.transactionSync(() => {
          for (const [k, v] of pairs) db.putSync(k, v);
        });
      },
      async put(k, v) {
        await db.put(k, v);
      },
      get(k) {
        // lmdb has no asynchronous single-key read that works here: getAsync
        // (experimental) kills the process with SIGSEGV on a missing key under
        // Deno, and getMany([k]) hops to a thread (~110 µs a call). Its users
        // call get() synchronously, so both read rows measure that.
        return db.getBinary(k);
      },
      getSync(k) {
        return db.getBinary(k);
      },
      scanAll() {
        let n = 0;
        for (const _ of db.getRange({})) n++;
        return n;
      },
      scan(lo, limit) {
        let n = 0;
        for (const _ of db.getRange({ start: lo, limit })) n++;
        return n;
      },
      async flush() {
        await db.flushed;
      },
      async close() {
        await db.close();
      },
    };
    return Promise.resolve(subject);
  },
};

/** LevelDB through npm `classic-level` (native, prebuilt), binary keys and values, synced writes. */
export const classicLevelAnchor: SubjectFactory = {
  id: "classic-level",
  label: "classic-level",
  setup: 'new ClassicLevel(dir, { keyEncoding: "view", valueEncoding: "view" }) (LevelDB 1.x), ' +
    "batches with db.batch(ops, { sync: true }), single commits with put(k, v, { sync: true }), " +
    "reads with await get() and, in the synchronous row, getSync(); " +
    "iterator().nextv() for scans; cacheSize = the run's cache size when one is set",
  async open(dir, opts?: OpenOptions) {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(`${dir}/leveldb`, {
      keyEncoding: "view",
      valueEncoding: "view",
      ...(opts?.cacheSizeBytes !== undefined ? { cacheSize: opts.cacheSizeBytes } : {}),
    });
    await db.open();
    // LevelDB's default write is not synced; { sync: true } makes a resolved write durable.
    const synced = { sync: true };
    const count = async (it: ReturnType<typeof db.iterator>) => {
      let n = 0;
      try {
        for (;;) {
          const rows = await it.nextv(1000);
          if (rows.length === 0) return n;
          n += rows.length;
        }
      } finally {
        await it.close();
      }
    };
    const subject: Subject = {
      batch(pairs: Pair[]) {
        return db.batch(pairs.map(([key, value]) => ({ type: "put", key, value })), synced);
      },
      put(k, v) {
        return db.put(k, v, synced);
      },
      get(k) {
        return db.get(k);
      },
      getSync(k) {
        return db.getSync(k);
      },
      scanAll() {
        return count(db.iterator());
      },
      scan(lo, limit) {
        return count(db.iterator({ gte: lo, limit }));
      },
      flush() {},
      close() {
        return db.close();
      },
    };
    return subject;
  },
};

/** Every anchor, in report order. */
export const ANCHORS: readonly SubjectFactory[] = [
  denoKvAnchor,
  sqliteAnchor,
  lmdbAnchor,
  classicLevelAnchor,
];
