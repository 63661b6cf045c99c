/** Deep `Object.freeze`, for the config that is parsed once and then only read. */
export function deepFreeze<T>(value: T): T {
  // A Buffer (key hashes) can't be frozen: its bytes stay writable, its holder is frozen.
  if (
    value === null ||
    typeof value !== 'object' ||
    ArrayBuffer.isView(value) ||
    Object.isFrozen(value)
  ) {
    return value
  }
  for (const child of Object.values(value)) deepFreeze(child)
  return Object.freeze(value)
}
