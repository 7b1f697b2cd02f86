/**
 * Layers stacked in the order that works: {@link stackLayers} puts a cache,
 * compression and encryption over any store, from the caller inward, so values
 * are compressed before they are sealed and the cache holds plaintext. The
 * layers themselves are in `@cooljapan/oxistore/cache`, `/compress`,
 * `/encrypt` and `/typed`.
 *
 * @example
 * ```ts
 * import { openInMemory } from "@cooljapan/oxistore";
 * import { stackLayers } from "@cooljapan/oxistore/layers";
 * await using store = await stackLayers(await openInMemory("btree"), {
 *   compress: { codec: "deflate" },
 * });
 * await store.put("k", "a long and repetitive value, a long and repetitive value");
 * const back = new TextDecoder().decode(await store.get("k"));
 * if (!back.startsWith("a long")) throw new Error("round trip failed");
 * ```
 *
 * @module
 */
export { type LayerStackOptions, stackLayers } from "./stack_layers.ts";
