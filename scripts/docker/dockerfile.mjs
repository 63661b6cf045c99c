// Parses the subset of Dockerfile syntax our Dockerfile uses, into stages of instructions, so
// scripts/check-dockerfile.mjs can check and replay it without a Docker engine. Anything it does
// not understand is an error rather than a guess: the checker must never pass a file it misread.

/**
 * @typedef {{ keyword: string, line: number, args: string, words: string[] | null, flags: Record<string, string> }} Instruction
 *   `words`: the JSON (exec) form when the arguments are a JSON array, else null.
 * @typedef {{ index: number, name: string | null, image: string, instructions: Instruction[] }} Stage
 */

/** Joins continuation lines, drops comments and blank lines; one entry per instruction. */
function logicalLines(text) {
  const out = []
  let buf = ''
  let start = 0
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const trimmed = (lines[i] ?? '').trim()
    // Docker drops comment lines and empty lines even inside a continued instruction.
    if (trimmed === '' || trimmed.startsWith('#')) continue
    if (buf === '') start = i + 1
    if (trimmed.endsWith('\\')) {
      buf += `${trimmed.slice(0, -1).trimEnd()} `
      continue
    }
    out.push({ line: start, text: buf + trimmed })
    buf = ''
  }
  if (buf !== '') out.push({ line: start, text: buf.trim() })
  return out
}

/** Leading `--name=value` flags of COPY, FROM, HEALTHCHECK; returns them and the rest. */
export function takeFlags(args) {
  const flags = {}
  let rest = args.trimStart()
  for (let m; (m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest));) {
    flags[m[1]] = m[2] ?? 'true'
    rest = rest.slice(m[0].length)
  }
  return { flags, rest }
}

function jsonWords(text) {
  if (!text.startsWith('[')) return null
  try {
    const v = JSON.parse(text)
    return Array.isArray(v) && v.every((w) => typeof w === 'string') ? v : null
  } catch {
    return null
  }
}

/** `${NAME}`, `${NAME:-default}` and `$NAME` from the ARGs declared before the first FROM. */
function substitute(text, args, line) {
  return text.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (_, a, def, b) => {
    const name = a ?? b
    if (args[name] !== undefined) return args[name]
    if (def !== undefined) return def
    throw new Error(`line ${line}: ARG ${name} has no default value`)
  })
}

/**
 * Parses a Dockerfile. Returns the stages in order (the last one is the image), each with its
 * instructions; FROM's image has the global ARG defaults substituted.
 * @returns {{ stages: Stage[] }}
 */
export function parseDockerfile(text) {
  const globalArgs = {}
  /** @type {Stage[]} */
  const stages = []
  for (const { line, text: t } of logicalLines(text)) {
    const m = /^(\S+)\s*(.*)$/s.exec(t)
    if (!m) continue
    const keyword = m[1].toUpperCase()
    const args = m[2]
    if (keyword === 'ARG' && stages.length === 0) {
      const [name, ...value] = args.split('=')
      globalArgs[name.trim()] = value.length
        ? value
            .join('=')
            .trim()
            .replace(/^"(.*)"$/, '$1')
        : undefined
      continue
    }
    if (keyword === 'FROM') {
      const { rest } = takeFlags(args)
      const [image, as, name, ...extra] = rest.split(/\s+/)
      if (!image || (as !== undefined && (as.toUpperCase() !== 'AS' || !name)) || extra.length)
        throw new Error(`line ${line}: cannot read FROM ${args}`)
      stages.push({
        index: stages.length,
        name: name ?? null,
        image: substitute(image, globalArgs, line),
        instructions: [],
      })
      continue
    }
    const stage = stages.at(-1)
    if (!stage) throw new Error(`line ${line}: ${keyword} before the first FROM`)
    const { flags, rest } = ['COPY', 'ADD', 'HEALTHCHECK'].includes(keyword)
      ? takeFlags(args)
      : { flags: {}, rest: args }
    stage.instructions.push({ keyword, line, args: rest, words: jsonWords(rest), flags })
  }
  if (stages.length === 0) throw new Error('no FROM instruction')
  return { stages }
}

/** The stage a `--from=` names (by name or index). */
export function stageByRef(stages, ref) {
  const byName = stages.find((s) => s.name === ref)
  if (byName) return byName
  if (/^\d+$/.test(ref) && stages[Number(ref)]) return stages[Number(ref)]
  return undefined
}

/** COPY's sources and destination (shell form splits on blanks; the JSON form allows any). */
export function copyParts(ins) {
  const words = ins.words ?? ins.args.split(/\s+/).filter(Boolean)
  if (words.length < 2) throw new Error(`line ${ins.line}: COPY needs a source and a destination`)
  return { sources: words.slice(0, -1), dest: words.at(-1) }
}

/** ENV `K=V K2="V 2"` or the old `K V`. */
export function envPairs(ins) {
  const pairs = {}
  if (!ins.args.includes('=')) {
    const [k, ...v] = ins.args.split(/\s+/)
    pairs[k] = v.join(' ')
    return pairs
  }
  for (const m of ins.args.matchAll(/(\w+)=("([^"]*)"|'([^']*)'|\S*)/g))
    pairs[m[1]] = m[3] ?? m[4] ?? m[2]
  return pairs
}

/** The last instruction of a kind in a stage, or undefined. */
export function lastOf(stage, keyword) {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)
}

/** The argv a container of this stage starts with: ENTRYPOINT (exec form) followed by CMD. */
export function startArgv(stage) {
  const entry = lastOf(stage, 'ENTRYPOINT')
  const cmd = lastOf(stage, 'CMD')
  for (const i of [entry, cmd])
    if (i && !i.words)
      throw new Error(
        `line ${i.line}: use the JSON form for ${i.keyword} (the shell form keeps signals from node)`,
      )
  return [...(entry?.words ?? []), ...(cmd?.words ?? [])]
}
