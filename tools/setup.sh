#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install iommusim's build and run dependencies from Debian's archive.
# Idempotent: does nothing (and needs no network) when everything is there.
# Run as root (or with sudo available).
set -eu

PKGS="build-essential cmake ninja-build pkg-config zlib1g-dev libyaml-dev libjansson-dev
libcriterion-dev libsystemc-dev verilator gnuplot-nox parallel libxxhash-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "setup: all dependencies present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
