# syntax=docker/dockerfile:1

# Build: install everything, compile the server and the dashboard bundle, then drop the
# dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
COPY web ./web
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Run: compiled code and production dependencies only, as the unprivileged `node` user.
FROM node:20-bookworm-slim
# MALLOC_ARENA_MAX: glibc's per-thread arenas kept ~40 MB more resident under load
# (bench/submissions); npm start and the test/bench launcher set the same.
ENV NODE_ENV=production \
    PORT=3570 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Only used when DATABASE_URL is unset (embedded PostgreSQL, which refuses to run as root).
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3570
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3570) + '/api/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# V8 flags: see src/node-flags.ts (npm start and the test/bench launcher use the same).
CMD ["node", "--max-semi-space-size=32", "--heap-growing-percent=50", "dist/src/main.js"]
