# Omnigate in a container. Build: `docker build -t omnigate .`; run: README.md "Docker",
# docs/operations.md "Docker". No engine runs in CI: `node scripts/check-dockerfile.mjs` checks
# this file and replays it (test/build/dockerfile*.test.ts), so keep to COPY, and RUN chains of
# npm/node commands and system steps (apt-get, mkdir/chown outside WORKDIR) joined by &&.
#
# Node 24 LTS on Debian 12. Both stages share the image: better-sqlite3, compiled (or fetched
# prebuilt) in the build stage, must match the Node ABI that runs it.
# `--build-arg NODE_IMAGE=node:24-trixie-slim` builds on Debian 13 instead.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
# A C++ toolchain for better-sqlite3 when no prebuilt binary fits its Node and platform.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# node-gyp compiles against the headers this image's Node ships instead of downloading them.
ENV npm_config_nodedir=/usr/local
# Dependencies in their own layer, so a source edit does not compile better-sqlite3 again.
# --ignore-scripts: npm ci would otherwise run our `prepare` (the build) before its inputs are
# copied — the ENOENT on config/ a first build hit. better-sqlite3 is the one dependency with an
# install script (the checker compares this list with package-lock.json).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
# What `npm run build` reads and writes: tsc (tsconfig*.json, src/) to dist/,
# scripts/bundle.mjs the daemon's bundle (dist/bundle/, what bin/omnigate.js runs; with the
# modules of scripts/bundle-shims/ in place of some packages), then
# scripts/gen-schema.mjs writes config/gateway.schema.json, scripts/build-console.mjs bundles
# src/console/ and scripts/build-widget.mjs src/webchat-widget/ (esbuild, its binary from the
# @esbuild/<platform> package: no install script needed).
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs scripts/gen-schema.mjs scripts/build-console.mjs scripts/build-widget.mjs ./scripts/
COPY scripts/bundle-shims ./scripts/bundle-shims
COPY config ./config
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
# Debian's Chromium for the WhatsApp Web channel (found on PATH as /usr/bin/chromium; nothing is
# downloaded), and tini. The data folder must belong to node before VOLUME declares it.
RUN apt-get update && apt-get install -y --no-install-recommends chromium tini \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /data && chown node:node /data
WORKDIR /app
ENV NODE_ENV=production OMNIGATE_CONFIG=/app/gateway.config.yaml
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
COPY package.json gateway.config.yaml ./
COPY bin ./bin
USER node
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tini is PID 1: it forwards SIGTERM (graceful stop) and SIGHUP (reload) to node and reaps the
# processes Chromium leaves behind; node then handles the signals itself. `-s` keeps it reaping
# when `docker run --init` puts another init in front of it.
ENTRYPOINT ["tini", "-s", "--", "node", "bin/omnigate.js"]
CMD ["serve", "--listen", "0.0.0.0:8080", "--data", "/data"]
