/**
 * The block structure of a YAML text read from its indentation alone, and the mistakes that
 * show in it: a tab used to indent, a key off its siblings' column, a list item among keys, a line
 * with no `key:`, a quote or bracket never closed. The YAML parser notices such a mistake where
 * its grammar breaks, often a line or two later and under another key; the outline names the line
 * a person got wrong and the key path it sits in. It reads block-style config files, the kind
 * `gateway.config.yaml` is, and is only asked where the parser has found an error.
 */
import type { PathSegment } from './source.js'
import { isBlank, readLine, scan, type OpenState, type YamlLine } from './yaml-line.js'

export type OutlineProblem =
  /** A tab in the indentation (YAML indents with spaces only); `path`: the key on that line. */
  | { kind: 'tab'; line: number; col: number; path: PathSegment[] }
  /** A key (or item) off its siblings' column `expected`; `parent`: the mapping it belongs in. */
  | {
      kind: 'indent'
      line: number
      col: number
      key: string | null
      parent: PathSegment[]
      expected: number
    }
  /** A list item (`- `) at the column of `key: value` lines. */
  | { kind: 'item'; line: number; col: number; parent: PathSegment[] }
  /** A line that is neither `key: value` nor a list item: a missing colon. */
  | { kind: 'no-key'; line: number; col: number; parent: PathSegment[] }
  /** A quoted string or flow collection opened at line:col and never closed. */
  | { kind: 'unclosed'; line: number; col: number; opener: string; path: PathSegment[] }

export interface Outline {
  problems: OutlineProblem[]
  /**
   * The first line of the top-level section a line is in (0: before the first top-level key).
   * A mistake rarely echoes past the next top-level key.
   */
  sectionOf(line: number): number
}

/** A block: the lines at one column under one parent. */
interface Frame {
  col: number
  path: PathSegment[]
  seq: boolean
  /** Index of the next item (a list). */
  next: number
  /** The column of the key that opened it: 0 for the top level, -1 for a list item's keys. */
  opener: number
  first: Content
  /** Lines placed in it so far. */
  count: number
}

interface Content extends YamlLine {
  line: number
  path: PathSegment[]
  /** Blocks this line closed by being less indented than the line before. */
  closed: Frame[]
  /** The `key:` right above whose block came out empty because this line is not deeper. */
  afterEmpty: { col: number; path: PathSegment[] } | null
}

interface Open extends OpenState {
  line: number
  col: number
  opener: string
  /** A continuation line must be indented deeper than this. */
  indent: number
  path: PathSegment[]
}

/**
 * Which problem speaks for a line that shows several: a tab or an open quote explains the rest;
 * prose (no colon) explains why it is also off its column.
 */
const RANK: Record<OutlineProblem['kind'], number> = {
  tab: 5,
  unclosed: 4,
  'no-key': 3,
  item: 2,
  indent: 1,
}

// Two spaces a level unless the file says otherwise (the most common step it uses).
const DEFAULT_STEP = 2

class OutlineReader {
  readonly problems: OutlineProblem[] = []
  readonly sections: number[] = []
  private readonly frames: Frame[] = []
  private pending: { path: PathSegment[]; col: number } | null = { path: [], col: 0 }
  private prev: Content | null = null
  private first: Content | null = null
  private open: Open | null = null
  private blockIndent: number | null = null
  /** How often each indentation step was seen; two spaces count once before anything is read. */
  private readonly steps = new Map<number, number>([[DEFAULT_STEP, 1]])

  read(text: string): void {
    text.split('\n').forEach((raw, i) => this.line(raw.replace(/\r$/, ''), i + 1))
    if (this.open !== null) this.unclosed(this.open)
  }

  private line(raw: string, lineNo: number): void {
    const spaces = /^ */.exec(raw)?.[0].length ?? 0
    const blank = raw.trim() === ''
    if (this.blockIndent !== null) {
      if (blank || spaces > this.blockIndent) return
      this.blockIndent = null
    }
    if (this.open !== null) {
      if (this.open.quote !== null || isBlank(raw) || spaces > this.open.indent) {
        scan(raw, 0, this.open)
        if (this.open.quote === null && this.open.depth === 0) this.open = null
        return
      }
      this.unclosed(this.open) // a bracket still open where the block goes on
      this.open = null
    }
    if (isBlank(raw)) return
    const l = readLine(raw)
    const prev = this.prev
    // A deeper line without a key after a plain value continues that value.
    if (l.key === null && !l.dash && l.tab === null && prev?.plain === true && l.col > prev.keyCol)
      return
    if (l.tab !== null) {
      // Where a tab puts the line is anyone's guess: take the column the person most likely saw,
      // the previous line's (or one level deeper under a `key:`).
      const to = this.pending !== null ? (prev?.keyCol ?? 0) + this.step() : (prev?.col ?? 1)
      l.keyCol += to - l.col
      l.col = to
    }
    const c: Content = { ...l, line: lineNo, path: [], closed: [], afterEmpty: null }
    // A top-level key starts a section; a line with no key there (prose, a broken comment) does
    // not: what it breaks below belongs to the section it is in.
    if (c.col === 1 && (c.key !== null || c.dash)) this.sections.push(lineNo)
    this.place(c)
    if (c.tab !== null) this.report({ kind: 'tab', line: lineNo, col: c.tab, path: [] })
    this.assignPath(c)
    const tabProblem = this.problems.find((p) => p.line === lineNo)
    if (tabProblem?.kind === 'tab') tabProblem.path = c.path
    if (c.blockScalar) this.blockIndent = c.col - 1
    else if (c.opener !== null) {
      const q = c.opener === '"' || c.opener === "'" ? c.opener : null
      const o: Open = {
        quote: q,
        depth: q === null ? 1 : 0,
        line: lineNo,
        col: c.valueCol,
        opener: c.opener,
        indent: c.col - 1,
        path: c.path,
      }
      scan(raw, c.valueCol, o)
      if (o.quote !== null || o.depth > 0) this.open = o
    }
    this.prev = c
    this.first ??= c
  }

  /** Finds the block `c` is in by its column, reporting it when none fits. */
  private place(c: Content): void {
    const frames = this.frames
    const pending = this.pending
    this.pending = null
    if (pending !== null && (c.col > pending.col || (c.dash && c.col === pending.col))) {
      if (pending.col > 0) this.steps.set(c.col - pending.col, this.stepCount(c.col - pending.col))
      frames.push(frame(c, pending.path, pending.col))
      return
    }
    if (pending !== null && pending.col > 0) c.afterEmpty = pending
    while (frames.length > 0 && (frames.at(-1)?.col ?? 0) > c.col) c.closed.push(frames.pop()!)
    const top = frames.at(-1)
    if (top?.seq === true && top.col === c.col && !c.dash) {
      // Keys where a list's items stand: the list ends here if its parent's keys are here too.
      frames.pop()
      const under = frames.at(-1)
      if (under === undefined || under.col !== c.col) {
        this.report({ kind: 'item', line: top.first.line, col: top.col, parent: top.path })
        frames.push({ ...top, seq: false })
      }
    }
    const at = frames.at(-1)
    if (at !== undefined && at.col === c.col) {
      if (c.dash && !at.seq && c.tab === null)
        this.report({ kind: 'item', line: c.line, col: c.col, parent: at.path })
      return
    }
    if (c.tab === null) this.report(this.misplaced(c, at))
  }

  /**
   * A line whose column matches no open block. Usually the line itself is off. But when the line
   * before stepped back out of a block and this one steps back into it, the line before is the one
   * out of place (`url:` two spaces short between its siblings); when a block's keys are off the file's
   * usual step and the next line is on it, the block's first line is; and a line left of the document's
   * first key means that first key is indented too far. Re-opens the block the misplaced line
   * belongs in, so the lines after it fit again.
   */
  private misplaced(c: Content, at: Frame | undefined): OutlineProblem {
    const frames = this.frames
    const prev = this.prev
    const problem = (l: Content, parent: PathSegment[], expected: number) =>
      ({ kind: 'indent', line: l.line, col: l.col, key: l.key, parent, expected }) as const
    if (c.closed.length === 0) {
      const empty = prev?.afterEmpty
      if (prev && empty && !prev.opens && c.col === empty.col + this.step()) {
        // `mail:` then `type: email` at mail's column, then deeper lines: `type` was meant in.
        frames.push(frame(c, empty.path, empty.col))
        return problem(prev, empty.path, c.col)
      }
      const closedByPrev = prev?.closed.find((f) => f.col === c.col)
      if (prev !== null && !prev.opens && closedByPrev !== undefined) {
        frames.push(...prev.closed.filter((f) => f.col <= c.col).reverse())
        return problem(prev, closedByPrev.path, closedByPrev.col)
      }
      if (at !== undefined && this.firstOffStep(at, c.col)) {
        at.col = c.col
        return problem(at.first, at.path, c.col)
      }
      // Its siblings below at the same column are the same slip, not new ones.
      if (at !== undefined) frames.push(alias(at, c))
      return problem(c, at?.path ?? [], at?.col ?? 1)
    }
    if (at !== undefined && at.col < c.col && this.firstOffStep(at, c.col)) {
      at.col = c.col
      return problem(at.first, at.path, c.col)
    }
    const block = c.closed.at(-1)!
    if (this.firstOffStep(block, c.col) && (at === undefined || at.col < c.col)) {
      block.col = c.col
      frames.push(block)
      return problem(block.first, block.path, c.col)
    }
    if (at === undefined && this.first !== null) {
      frames.push({ ...frame(c, [], 0), next: this.first.dash ? 1 : 0 })
      return problem(this.first, [], c.col)
    }
    // The stack stays ordered by column: c's siblings below fit the alias, the block's the block.
    frames.push(alias(block, c), block)
    return problem(c, block.path, block.col)
  }

  /**
   * A block off the usual step from its key where `col` is on it: the block is the odd one (its
   * first line, or its key commented out), not the line at `col`.
   */
  private firstOffStep(f: Frame, col: number): boolean {
    if (f.opener < 0) return false
    const expected = f.opener === 0 ? 1 : f.opener + this.step()
    return col === expected && f.col !== expected
  }

  private assignPath(c: Content): void {
    const f = this.frames.at(-1) ?? frame(c, [], 0)
    f.count++
    if (c.dash) {
      const item: PathSegment[] = [...f.path, f.next++]
      if (c.nestedDash) {
        // `- - x`: a list in a list; its next items stand at the inner dash's column.
        this.frames.push({ ...frame(c, item, -1), col: c.keyCol, seq: true, next: 1, count: 1 })
        c.path = [...item, 0]
      } else if (c.key !== null) {
        this.frames.push({ ...frame(c, item, -1), col: c.keyCol, seq: false, count: 1 })
        c.path = [...item, c.key]
        if (c.opens) this.pending = { path: c.path, col: c.keyCol }
      } else {
        c.path = item
        if (c.opens) this.pending = { path: item, col: c.col }
      }
    } else if (c.key !== null) {
      c.path = [...f.path, c.key]
      if (c.opens) this.pending = { path: c.path, col: c.col }
    } else {
      const stray = c.closed.length > 0 && !c.oneWord
      const parent = stray ? (c.closed[0]?.path ?? f.path) : f.path
      this.report({ kind: 'no-key', line: c.line, col: c.col, parent })
      // Left of the block it interrupts it is a stray line (prose, a broken comment): the block
      // goes on below it. Otherwise a block's key may lack its colon: the lines below are its
      // block, not misindented.
      if (stray) this.frames.push(...[...c.closed].reverse())
      else this.pending = { path: f.path, col: c.col }
      c.path = f.path
    }
  }

  /** Records a problem: one a line, the one that says most about it. */
  private report(p: OutlineProblem): void {
    const i = this.problems.findIndex((q) => q.line === p.line)
    const was = this.problems[i]
    if (was === undefined) this.problems.push(p)
    else if (RANK[p.kind] > RANK[was.kind]) this.problems[i] = p
  }

  private unclosed(o: Open): void {
    const { line, col, opener, path } = o
    this.report({ kind: 'unclosed', line, col, opener, path })
  }

  private stepCount(step: number): number {
    return (this.steps.get(step) ?? 0) + 1
  }

  /** The indentation step the file uses most. */
  private step(): number {
    let best = DEFAULT_STEP
    let seen = 0
    for (const [step, n] of this.steps) if (step > 0 && n > seen) [best, seen] = [step, n]
    return best
  }
}

/** Block `f` again at the column of its misplaced line `c`, so c's siblings fit it too. */
function alias(f: Frame, c: Content): Frame {
  return { ...f, col: c.col, opener: -1, first: c, count: 0 }
}

/** A new block starting at line `c`, under a key at column `opener`. */
function frame(c: Content, path: PathSegment[], opener: number): Frame {
  return { col: c.col, path, seq: c.dash, next: 0, opener, first: c, count: 0 }
}

/** Reads the outline of `text`. */
export function readOutline(text: string): Outline {
  const r = new OutlineReader()
  r.read(text)
  return {
    problems: r.problems.sort((a, b) => a.line - b.line),
    sectionOf(line) {
      let s = 0
      for (const start of r.sections) if (start <= line) s = start
      return s
    },
  }
}
