# The bot in one image: Node 20, TypeScript run directly through tsx (no build step), SQLite
# under /data. Used by docker-compose.yml; see "Deploying with Docker Compose" in README.md.

# --- build: production dependencies, with better-sqlite3 compiled for this image --------------
FROM node:20-bookworm-slim AS build

# better-sqlite3 downloads a prebuilt binary when one exists for this Node and CPU, and compiles
# itself with node-gyp otherwise, which needs these.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# node-gyp uses the headers that come with the image's Node instead of downloading them.
ENV npm_config_nodedir=/usr/local

COPY package.json package-lock.json ./

# These images ship npm 10, which ignores "allowScripts" in package.json and would run every
# install script. So run none while installing, then exactly the allowed ones, as npm 11 does:
# better-sqlite3 (the native SQLite module) and esbuild (tsx's compiler); msgpackr-extract's
# script stays off, as package.json asks (its prebuilt platform package needs none). tsx is a
# runtime dependency, so --omit=dev keeps it while typescript, biome, vitest and drizzle-kit stay
# out. The two checks fail the build here, not at start-up, when a native part did not build.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm rebuild better-sqlite3 esbuild \
  && node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()" \
  && node -e "require('esbuild').transformSync('const a: number = 1', { loader: 'ts' })" \
  && npm cache clean --force

# The rest of the build context as .dockerignore lets it through: src/, adapters/ (once it
# exists), migrations/ and tsconfig.json. node_modules, data, .env and .git never get here.
COPY . .

# --- runtime ------------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime

ENV NODE_ENV=production DATA_DIR=/data

WORKDIR /app

# The application stays owned by root: the bot can read its code but not change it. Only /data,
# where the database lives, belongs to the unprivileged `node` user (uid 1000) of the image.
COPY --from=build /app /app

# The sqlite3 shell, for online backups of the database (see README.md); /data for the node user.
RUN apt-get update \
  && apt-get install -y --no-install-recommends sqlite3 \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /data \
  && chown node:node /data \
  && chmod 700 /data
VOLUME /data

USER node

# No HEALTHCHECK: the bot has no health endpoint yet (one is planned in src/ops/). Add one with
# it; until then `docker compose ps` shows whether the process is up and the logs say why not.

# node itself, not `npm start`: npm would sit between Docker and the bot and not pass SIGTERM on,
# and `node --import tsx` runs the TypeScript in this one process (the tsx CLI would start a
# second). On SIGTERM the bot stops taking updates, lets jobs in flight finish, then closes the
# database.
CMD ["node", "--import", "tsx", "src/main.ts"]
