// The error of an entry that is not a well-formed protobuf encoding (see checkWire).

/** A malformed entry; `offset` is relative to the entry's first byte. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}
