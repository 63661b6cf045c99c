/**
 * knip: unused files, exports and dependencies (`npm run lint` runs it twice: once over
 * everything, once `--production`, which leaves the tests out and so finds code only tests use).
 * An export kept for tests on purpose carries `@internal` in its JSDoc. The vitest plugin finds
 * the test files and global setups from both vitest configs; what it cannot see is listed here.
 */
import type { KnipConfig } from 'knip'

const config: KnipConfig = {
  entry: [
    // bin/omnigate.js imports dist/main.js, which knip cannot map back to its source.
    'src/main.ts!',
    // bin/omnigate.js imports the bundle's second entry, dist/bundle/stack-traces.js.
    'src/stack-traces.ts!',
    // scripts/gen-schema.mjs (run by `npm run build`) imports the compiled file by computed path.
    'src/gateway/config/json-schema.ts!',
    // `npm run bench`, the schema writer and the Dockerfile checker (which a test runs).
    'scripts/*.mjs',
    // The bench's helper processes, forked by file name (`forkHelper('load.mjs')`).
    'scripts/bench/{load,receiver,hello-server,noop-drain,fakes,webchat-streams}.mjs',
    // The Web Push example: a site's backend and the service worker the browser loads.
    'examples/webpush/{server.mjs,sw.js}',
    // The web chat example's site backend.
    'examples/webchat/server.mjs',
    // puppeteer reads it at install and run time (no browser download).
    '.puppeteerrc.cjs',
    // The console's bundle entry (scripts/build-console.mjs hands it to esbuild).
    'src/console/main.tsx!',
    // The web chat widget's bundle entry (scripts/build-widget.mjs).
    'src/webchat-widget/main.ts!',
    // Modules scripts/bundle.mjs puts in place of a package (esbuild's `alias`).
    'scripts/bundle-shims/*.mjs',
  ],
  project: [
    'src/**/*.ts!',
    'src/console/**/*.tsx!',
    // Test helpers that live beside the code (tsconfig.build.json leaves them out of dist too).
    '!src/**/*.test-helper.ts!',
    '!src/**/test-fixtures.ts!',
    '!src/**/recording-context.ts!',
    'test/**/*.ts',
    'scripts/**/*.mjs',
    'examples/**/*.{mjs,js}',
  ],
  // A type the file's own exported signatures use is part of that API, imported or not yet.
  ignoreExportsUsedInFile: { interface: true, type: true },
  ignoreDependencies: [
    // Optional at run time: src/connectors/whatsapp/qr.ts imports it by a variable specifier and
    // falls back to the raw QR string without it.
    'qrcode',
    // test/openapi/generated-client.test.ts compiles a client that imports it, from a string.
    'openapi-fetch',
    // test/fakes/push-service.ts loads it with createRequire (CommonJS, no types).
    'http_ece',
    // test/openapi/lint.test.ts runs node_modules/.bin/redocly.
    '@redocly/cli',
    // imapflow's own dependencies, which its shims in scripts/bundle-shims/ load for it.
    '@zone-eu/mailsplit',
    'socks',
  ],
}

export default config
