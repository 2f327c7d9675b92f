// A minimal reader for the uncompressed tar files snapshots are.

/** Member name -> bytes. */
export function readTar(bytes) {
  const files = new Map();
  let offset = 0;
  const text = (start, len) =>
    new TextDecoder().decode(bytes.subarray(start, start + len)).replace(/\0.*$/s, "");
  while (offset + 512 <= bytes.length) {
    const name = text(offset, 100);
    if (!name) break;
    const size = parseInt(text(offset + 124, 12).trim() || "0", 8);
    const prefix = text(offset + 345, 155);
    const type = text(offset + 156, 1);
    const full = prefix ? `${prefix}/${name}` : name;
    if (type === "0" || type === "") {
      files.set(full, bytes.slice(offset + 512, offset + 512 + size));
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
