#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages.
# Safe to run again; skips apt entirely when everything is already there.
set -euo pipefail

packages=(
  cmake g++ pkg-config
  libcaf-dev libpistache-dev libsoci-dev libpq-dev libsqlite3-dev
  libyaml-cpp-dev libboost-test-dev libcli11-dev libspdlog-dev
  nlohmann-json3-dev libcurl4-openssl-dev libsodium-dev libjwt-dev
  postgresql wrk
)

# npx runs the OpenAPI linter (tools/lint-openapi.sh); any Node.js with npm
# will do, Debian's npm package when there is none.
command -v npx > /dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
