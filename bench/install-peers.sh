#!/usr/bin/env bash
# Installs the native peers the bench links against (Debian/Ubuntu, as root or with sudo).
# OpenBLAS for GEMM; SLEEF for vector math (glibc's libmvec ships with libc6-dev).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libopenblas-dev libsleef-dev
