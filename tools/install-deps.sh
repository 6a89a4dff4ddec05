#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages.
# Safe to run again; skips apt entirely when everything is already there.
set -euo pipefail

packages=(
  cmake g++ pkg-config
  libcaf-dev libpistache-dev libsoci-dev libpq-dev libssl-dev libsqlite3-dev
  libyaml-cpp-dev libboost-test-dev libcli11-dev libspdlog-dev libhttp-parser-dev
  nlohmann-json3-dev libcurl4-openssl-dev libsodium-dev libjwt-dev
  postgresql wrk
  nginx prometheus
  chromium fonts-dejavu-core sqlite3 openssl
)

# openssl (the command) makes the cluster's CA and node certificates
# (tools/make-cluster-certs.sh; the TLS link test runs it).

# nginx is the reverse proxy of deploy/nginx.conf, tried by the deploy
# end-to-end suite; prometheus brings promtool, which checks /metrics.
# Neither runs as a system service: the tests start their own.

# chromium runs the browser tests of the web pages (tests/web): Playwright
# drives this Debian build and never downloads one of its own; the fonts
# give its screenshots legible text; sqlite3 audits the database after the
# operator test's scripted sale.

# npx runs the OpenAPI linter (tools/lint-openapi.sh) and npm installs the
# browser tests' pinned packages; any Node.js with npm will do, Debian's npm
# package when there is none.
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

# Package scripts start their service after installing it (nginx on port 80,
# prometheus on 9090). Where nothing forbids that yet, a temporary
# policy-rc.d does (invoke-rc.d and deb-systemd-invoke both obey it): without
# systemd the start may fail on a busy port and fail the install, and with
# it a system nginx would hold port 80. A policy already in place is kept.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" > /dev/null
  $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi

$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
