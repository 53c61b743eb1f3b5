#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: install what is missing, then run every test suite.  Each
# suite is one make target; its own output (cmocka, KUnit, ...) is shown as
# it runs and kept in build/check/<suite>.log.  Ends with "N passed, M failed"
# counting suites, and exits non-zero if any failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh

SUITES=(
	uapi-check	# the wire header, userspace and Kbuild
	modules-all	# pvvf.ko for 6.1 and 6.12: W=1, checkpatch --strict, sparse
	test-host	# host core: cmocka rule, decoder and property tests (ASan, UBSan)
	bench-smoke	# host core: callgrind instructions per request, flat and under 2,000
	package-check	# man pages, systemd unit, example config, dkms, initramfs hook
	fuzz-smoke	# libFuzzer harnesses: seeds, regressions, fixed-seed runs
	kunit		# guest: KUnit suites on UML
	model-check	# spin: the protocol model, safety and liveness
	e2e		# three guests (6.12, 6.12, 6.1) under TCG against pvvfd
)

if [ "${PVVF_SKIP_DEPS:-0}" != 1 ]; then
	bash scripts/deps.sh || die "make deps failed; no test was run"
fi

mkdir -p build/check
passed=0
failed=0
failures=()
for s in "${SUITES[@]}"; do
	log "=== $s"
	start=$(date +%s)
	if make --no-print-directory "$s" 2>&1 | tee "build/check/$s.log"; then
		passed=$((passed + 1))
		log "=== $s: ok ($(( $(date +%s) - start )) s)"
	else
		failed=$((failed + 1))
		failures+=("$s")
		log "=== $s: FAILED ($(( $(date +%s) - start )) s), log in build/check/$s.log"
	fi
done

# The failures again, last, where a reader of only the tail finds them.
for s in "${failures[@]}"; do
	log "--- $s: what failed (build/check/$s.log)"
	grep -E -A4 '^not ok|FAILED|error:|ERROR|runtime error|Sanitizer|Assertion' \
		"build/check/$s.log" | tail -n 40
done
[ $failed -eq 0 ] || log "failed suites: ${failures[*]}"
echo "check: $passed passed, $failed failed"
[ $failed -eq 0 ]
