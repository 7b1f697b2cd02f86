// Decides whether a finished write may fill the cache with the value it wrote:
// only when no other write to that key (or to the whole store) overlapped it,
// since overlapping writes may reach the store in either order.

interface KeyState {
  inflight: number;
  epoch: number;
}

/** A write in flight on one key. */
export interface WriteToken {
  readonly id: string;
  readonly state: KeyState;
  readonly epoch: number;
  readonly clean: boolean;
  readonly globalEpoch: number;
}

/** Per-key in-flight writes of one cache, plus store-wide ones (restore). */
export class WriteTracker {
  readonly #keys = new Map<string, KeyState>();
  #globalInflight = 0;
  #globalEpoch = 0;

  /** Records the start of a write to `id`. */
  begin(id: string): WriteToken {
    let state = this.#keys.get(id);
    if (state === undefined) {
      state = { inflight: 0, epoch: 0 };
      this.#keys.set(id, state);
    }
    const clean = state.inflight === 0 && this.#globalInflight === 0;
    state.inflight++;
    state.epoch++;
    return { id, state, epoch: state.epoch, clean, globalEpoch: this.#globalEpoch };
  }

  /** Records the end of a write; true when nothing overlapped it. */
  end(token: WriteToken): boolean {
    const st = token.state;
    st.inflight--;
    if (st.inflight === 0 && this.#keys.get(token.id) === st) this.#keys.delete(token.id);
    return token.clean && st.epoch === token.epoch && this.#globalEpoch === token.globalEpoch &&
      this.#globalInflight === 0;
  }

  /** Records the start of a store-wide write. */
  beginAll(): void {
    this.#globalInflight++;
    this.#globalEpoch++;
  }

  /** Records the end of a store-wide write. */
  endAll(): void {
    this.#globalInflight--;
  }
}
