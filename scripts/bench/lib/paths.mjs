/** Where things are: the checkout, its built daemon and the bench's scratch folder. */
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const BIN = join(ROOT, 'bin/omnigate.js')

/** A module of the built daemon, as an import specifier. */
export function dist(path) {
  return pathToFileURL(join(ROOT, 'dist', path)).href
}
