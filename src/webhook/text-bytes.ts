// How many bytes text written in pieces takes, and whether it is all ASCII:
// ASCII has the same bytes in Latin-1 as in UTF-8, and copying them as
// Latin-1 is cheaper than encoding them (the answers and patches of the pod
// webhook are 10 KB and more, and ASCII as a rule).

export interface TextBytes {
  /** UTF-8 bytes of all pieces together. */
  bytes: number;
  /** True when every character is ASCII, so that Latin-1 writes the same bytes. */
  ascii: boolean;
}

export function textBytes(pieces: readonly string[]): TextBytes {
  let bytes = 0;
  let ascii = true;
  for (const piece of pieces) {
    const length = Buffer.byteLength(piece);
    bytes += length;
    if (length !== piece.length) ascii = false;
  }
  return { bytes, ascii };
}
