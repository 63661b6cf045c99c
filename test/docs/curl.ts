/**
 * Reads the `curl` commands of a ```sh example the way a POSIX shell would split them (quotes,
 * `\` line continuations, `$VAR` in double quotes, `#` comments), so the docs test can replay them
 * against a gateway in process.
 */

export interface CurlCall {
  method: string
  /** Path and query, e.g. `/v1/messages`. */
  path: string
  headers: Record<string, string>
  body: string | undefined
}

/** Splits a script into commands, each a list of words. */
function shellWords(script: string, env: Record<string, string>): string[][] {
  const commands: string[][] = []
  let words: string[] = []
  let word: string | null = null
  const endWord = () => {
    if (word !== null) words.push(word)
    word = null
  }
  const endCommand = () => {
    endWord()
    if (words.length > 0) commands.push(words)
    words = []
  }
  for (let i = 0; i < script.length; i++) {
    const c = script[i] ?? ''
    if (c === '\\' && script[i + 1] === '\n') i++
    else if (c === '\n' || c === ';') endCommand()
    else if (c === ' ' || c === '\t') endWord()
    else if (c === '#' && word === null) {
      while (i + 1 < script.length && script[i + 1] !== '\n') i++
    } else if (c === "'") {
      const close = script.indexOf("'", i + 1)
      if (close < 0) throw new Error('unclosed single quote')
      word = (word ?? '') + script.slice(i + 1, close)
      i = close
    } else if (c === '"') {
      const close = script.indexOf('"', i + 1)
      if (close < 0) throw new Error('unclosed double quote')
      const inner = script.slice(i + 1, close)
      word = (word ?? '') + inner.replace(/\$(\w+)/g, (_, name: string) => env[name] ?? '')
      i = close
    } else if (c === '$' && /\w/.test(script[i + 1] ?? '')) {
      const name = /^\w+/.exec(script.slice(i + 1))?.[0] ?? ''
      word = (word ?? '') + (env[name] ?? '')
      i += name.length
    } else word = (word ?? '') + c
  }
  endCommand()
  return commands
}

const LOCAL = /^(?:https?:\/\/)?localhost:8080(\/.*)$/

/** The `curl` calls of a script that go to the daemon on localhost:8080. */
export function curlCalls(script: string, env: Record<string, string>): CurlCall[] {
  const calls: CurlCall[] = []
  for (const words of shellWords(script, env)) {
    if (words[0] !== 'curl') continue
    const headers: Record<string, string> = {}
    let method: string | undefined
    let body: string | undefined
    let path: string | undefined
    for (let i = 1; i < words.length; i++) {
      const w = words[i] ?? ''
      if (w === '-H' || w === '--header') {
        const h = words[++i] ?? ''
        const colon = h.indexOf(':')
        headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim()
      } else if (w === '-d' || w === '--data' || w === '--data-raw') body = words[++i]
      else if (w === '-X' || w === '--request') method = words[++i]
      else if (!w.startsWith('-')) path = LOCAL.exec(w)?.[1] ?? path
    }
    if (path === undefined) continue
    calls.push({ method: method ?? (body !== undefined ? 'POST' : 'GET'), path, headers, body })
  }
  return calls
}
