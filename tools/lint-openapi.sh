#!/usr/bin/env bash
# Lints the OpenAPI document of the API (http/openapi.json) with Redocly CLI,
# under the rules in redocly.yaml. Exits non-zero on any error.
#
# Needs npx (Debian package: npm). The first run downloads the pinned
# Redocly CLI into npm's cache; later runs use the cache.
# REDOCLY_CLI overrides the package, e.g. REDOCLY_CLI=@redocly/cli@1 for the
# newest 1.x.
set -euo pipefail

cd "$(dirname "$0")/.."

# A pinned release of the 1.x line, so a new release cannot change the
# verdict by itself.
redocly="${REDOCLY_CLI:-@redocly/cli@1.34.20}"

if ! command -v npx >/dev/null 2>&1; then
  echo "lint-openapi: npx not found; install Node.js and npm (Debian: apt-get install npm)" >&2
  exit 1
fi

exec npx --yes "$redocly" lint --config redocly.yaml http/openapi.json
