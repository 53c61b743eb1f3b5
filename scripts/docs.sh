#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Render docs/diagrams: graphviz (*.dot) for graphs and state machines,
# mscgen (*.msc) for message sequences.  The SVGs are committed so the docs
# read well without a build; this regenerates them from their sources.
set -euo pipefail
cd "$(dirname "$0")/../docs/diagrams"
for f in *.dot; do
	[ -e "$f" ] || continue
	dot -Tsvg "$f" -o "${f%.dot}.svg"
done
for f in *.msc; do
	[ -e "$f" ] || continue
	mscgen -T svg -i "$f" -o "${f%.msc}.svg"
done
