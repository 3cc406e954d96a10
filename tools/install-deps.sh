#!/bin/sh
# Installs the Debian 12 packages the build, the tests and the demo pipelines use.
# Run as root (or with sudo); does nothing for packages already installed. Everything used is
# named here: packages are installed without their recommendations, so nothing may rely on
# one (pocketsphinx's US English model is only recommended by its library).
set -e
pkgs="meson ninja-build pkg-config g++ clang libclang-rt-14-dev libglib2.0-dev nlohmann-json3-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-x gstreamer1.0-pocketsphinx pocketsphinx-en-us espeak-ng xz-utils"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then exec sudo "$0" "$@"; fi
  echo "install-deps: need root to install:$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
