// How compaction rebuilds a tree inside one commit: a full repack into full
// nodes, or moving every node and value that lies past a page boundary (and
// their ancestors) to freshly allocated (low) pages.
import { BRANCH, Ovf } from "./_page.ts";
import { DLeaf, type DNode, type Kid, Ref, type Writer } from "./_writer.ts";

/** Makes `w` rewrite the whole tree under `root` with full leaves and branches. */
export function repack(w: Writer, root: Ref): boolean {
  const keys: Uint8Array[] = [];
  const vals: (Uint8Array | Ovf)[] = [];
  const visit = (page: number, crc: number): void => {
    const p = w.io.load(page, crc);
    for (let i = 0; i < p.npages; i++) w.freed.push(p.no + i);
    for (let i = 0; i < p.count; i++) {
      if (p.type === BRANCH) visit(p.childPage(i), p.childCrc(i));
      else {
        keys.push(p.keyView(i));
        vals.push(p.valueRef(i));
      }
    }
  };
  visit(root.page, root.crc);
  w.root = new DLeaf(keys, vals);
  return true;
}

/** Makes `w` move what lies at or past `boundary`; false when nothing does. */
export function relocate(w: Writer, root: Ref, boundary: number): boolean {
  const moved = move(w, root, boundary);
  if (moved instanceof Ref) return false;
  w.root = moved;
  return true;
}

function move(w: Writer, ref: Ref, boundary: number): Kid {
  const p = w.io.load(ref.page, ref.crc);
  let high = p.no + p.npages > boundary;
  const kids = new Map<number, Kid>();
  if (p.type === BRANCH) {
    for (let i = 0; i < p.count; i++) {
      const k = move(w, new Ref(p.childPage(i), p.childCrc(i)), boundary);
      if (!(k instanceof Ref)) kids.set(i, k);
    }
    high ||= kids.size > 0;
  } else {
    for (let i = 0; i < p.count && !high; i++) {
      const v = p.valueRef(i);
      high = v instanceof Ovf && v.page + v.npages > boundary;
    }
  }
  if (!high) return ref;
  const node: DNode = w.mat(ref);
  if (node instanceof DLeaf) {
    node.resolve();
    node.vals = node.vals.map((v) =>
      v instanceof Ovf && v.page + v.npages > boundary ? w.moveOverflow(v) : v
    );
  } else for (const [i, k] of kids) node.kids[i] = k;
  return node;
}
