#!/bin/sh
# Generates configure and Makefile.in from a git checkout.
set -eu
cd "$(dirname "$0")"
mkdir -p m4
exec autoreconf --install --force
