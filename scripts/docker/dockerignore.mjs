// .dockerignore as Docker reads it: one pattern a line (Go filepath.Match plus `**`), `!` to
// re-include, the last matching line wins, and a pattern that matches a folder excludes
// everything in it. The replay must not see a file the build context would not have.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

function toRegExp(pattern) {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/'
      re += slash ? '(?:.*/)?' : '.*'
      i += slash ? 2 : 1
    } else if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

/** The patterns of a .dockerignore text, cleaned the way Docker cleans them. */
function parseDockerignore(text) {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!')
      const p = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '')
      return { pattern: p, negate, re: toRegExp(p.replace(/^\.\//, '')) }
    })
}

/**
 * A predicate: is this path (relative to the context, `/`-separated) left out of the build
 * context? A path is out when it or one of its parent folders matches the last applicable line.
 */
function ignoreMatcher(rules) {
  return (rel) => {
    const parts = rel.split('/')
    let ignored = false
    for (const r of rules) {
      let hit = false
      for (let n = parts.length; n > 0 && !hit; n--) hit = r.re.test(parts.slice(0, n).join('/'))
      if (hit) ignored = !r.negate
    }
    return ignored
  }
}

/** Reads `<context>/.dockerignore` (none: nothing is ignored). */
export function loadDockerignore(context) {
  const file = join(context, '.dockerignore')
  const rules = existsSync(file) ? parseDockerignore(readFileSync(file, 'utf8')) : []
  return { rules, ignored: ignoreMatcher(rules) }
}
