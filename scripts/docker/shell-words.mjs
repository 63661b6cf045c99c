// Splits a RUN instruction's shell text into its commands. Only `cmd && cmd` chains with plain
// or quoted words are understood; pipes, `;`, `||`, redirections and substitutions are refused,
// because a replay that skipped half a command line would check nothing.

/** @returns {string[][]} the commands of the chain, each as its words */
export function splitRun(text) {
  const commands = [[]]
  let word = null
  const flush = () => {
    if (word !== null) commands.at(-1)?.push(word)
    word = null
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? ''
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1)
      if (end < 0) throw new Error(`unterminated ${c} in: ${text}`)
      word = (word ?? '') + text.slice(i + 1, end)
      i = end
    } else if (c === '\\') {
      word = (word ?? '') + (text[i + 1] ?? '')
      i++
    } else if (/\s/.test(c)) flush()
    else if (text.startsWith('&&', i)) {
      flush()
      commands.push([])
      i++
    } else if ('|;&<>`$()'.includes(c)) {
      throw new Error(`shell syntax "${c}" is not replayed (only cmd && cmd): ${text}`)
    } else word = (word ?? '') + c
  }
  flush()
  return commands.filter((cmd) => cmd.length > 0)
}
