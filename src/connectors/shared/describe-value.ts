/**
 * How a config value is quoted in an error sentence: strings quoted (and shortened), lists and
 * maps named rather than dumped. Values of secret keys are never passed here.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'an empty value'
  if (typeof value === 'string') {
    // Long values are shortened: the position already points at them.
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  }
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a map'
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value)
  }
  return `a ${typeof value}` // a function or a symbol: never from YAML
}
