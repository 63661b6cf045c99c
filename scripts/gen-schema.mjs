#!/usr/bin/env node
// Writes config/gateway.schema.json from the compiled zod schema of gateway.config.yaml, so the
// editor schema never drifts from what the loader accepts (a test compares them too).
//   node scripts/gen-schema.mjs            write it (run by `npm run build`, after tsc)
//   node scripts/gen-schema.mjs --check    exit 1 if the committed file is out of date
//   --dist DIR                             compiled output to import (default: dist)
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    dist: { type: 'string', default: 'dist' },
  },
})
const modulePath = resolve(root, values.dist, 'gateway/config/json-schema.js')
const { renderJsonSchema } = await import(pathToFileURL(modulePath).href)
const target = resolve(root, 'config/gateway.schema.json')
const text = renderJsonSchema()

if (values.check) {
  let current = ''
  try {
    current = readFileSync(target, 'utf8')
  } catch {
    // a missing file is out of date too
  }
  if (current !== text) {
    console.error(`${target} is out of date: run npm run build`)
    process.exit(1)
  }
  console.log(`${target} is up to date`)
} else {
  writeFileSync(target, text)
  console.log(`wrote ${target}`)
}
