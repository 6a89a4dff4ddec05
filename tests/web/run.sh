#!/usr/bin/env bash
# The browser tests (CTest entry web_tests): installs the pinned npm packages
# of package-lock.json (playwright-core, @axe-core/playwright; no browser is
# downloaded), then runs every *.test.js with node's test runner against
# BOXOFFICE_BINARY, in Debian's chromium. Screenshots go to WEB_ARTIFACTS.
set -euo pipefail
cd "$(dirname "$0")"
: "${BOXOFFICE_BINARY:?set BOXOFFICE_BINARY to the boxoffice binary (CTest does)}"
command -v chromium > /dev/null || { echo "web_tests: chromium is missing; run ./tools/install-deps.sh" >&2; exit 1; }
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
exec node --test --test-concurrency=1 --test-reporter=spec ./*.test.js
