# Omnigate on the current Node LTS. Debian's Chromium is included for the WhatsApp Web channel
# (whatsapp-web.js never downloads a browser: puppeteer is overridden by puppeteer-core).
FROM node:22-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .puppeteerrc.cjs ./
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bin ./bin
RUN npm ci && npm prune --omit=dev

FROM node:22-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends chromium tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY package.json gateway.config.yaml ./
COPY config ./config
ENV NODE_ENV=production OMNIGATE_CONFIG=/app/gateway.config.yaml
VOLUME /app/data
EXPOSE 8080
# tini forwards SIGTERM/SIGHUP to node, which handles them itself.
ENTRYPOINT ["tini", "--", "node", "bin/omnigate.js"]
CMD ["serve", "--listen", "0.0.0.0:8080", "--data", "/app/data"]
