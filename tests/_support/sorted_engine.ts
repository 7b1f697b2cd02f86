// A deliberately simple RawEngine (a sorted array in memory) used to test
// core's EngineStore on its own, and as the model in property tests.
import { compareBytes } from "../../core/bytes.ts";
import type { RawEngine, RawEntry, RawOp, RawScanOptions } from "../../core/engine.ts";

export class SortedArrayEngine implements RawEngine {
  readonly path = ":memory:";
  entries: RawEntry[] = [];

  #find(key: Uint8Array): number {
    let lo = 0, hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.entries[mid]![0], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** `get` answers synchronously and keeps no reference to its key. */
  readonly syncReads = true;

  get(key: Uint8Array): Uint8Array | undefined {
    const i = this.#find(key);
    const e = this.entries[i];
    return e && compareBytes(e[0], key) === 0 ? e[1].slice() : undefined;
  }

  *scan(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    opts?: RawScanOptions,
  ): Generator<RawEntry> {
    const from = lo === undefined ? 0 : this.#find(lo);
    const to = hi === undefined ? this.entries.length : this.#find(hi);
    const part = this.entries.slice(from, to);
    if (opts?.reverse) part.reverse();
    for (const [k, v] of part) yield [k.slice(), v.slice()];
  }

  apply(ops: RawOp[]): void {
    for (const op of ops) {
      const i = this.#find(op.key);
      const hit = this.entries[i] !== undefined && compareBytes(this.entries[i]![0], op.key) === 0;
      if (op.value === undefined) {
        if (hit) this.entries.splice(i, 1);
      } else if (hit) this.entries[i]![1] = op.value.slice();
      else this.entries.splice(i, 0, [op.key.slice(), op.value.slice()]);
    }
  }

  sync(): void {}
  sizeOnDisk(): number {
    return 0;
  }
  compact(): void {}
  close(): void {}
}
