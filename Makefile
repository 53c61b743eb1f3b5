# SPDX-License-Identifier: GPL-2.0
#
# pvvf top-level make targets.  This list is a contract: reviews, CI and the
# README call these names.  See README.md.
#
#   make               build the host programs and the guest module (6.12)
#   make deps          install every dependency (Debian 12, root)
#   make modules       build pvvf.ko for KVER (default: the Debian 6.12 ABI)
#   make modules-all   W=1 builds for 6.1 and 6.12, checkpatch --strict, sparse
#   make uapi-check    the wire header, standalone in userspace and in Kbuild
#   make test-host     host core, pvvfd and pvvfctl tests under ASan and UBSan
#   make package-check man pages, systemd unit, example config, dkms build
#                      and initramfs hook (6.1 and 6.12), in temporary trees
#   make fuzz          libFuzzer harnesses, 60 s each (FUZZ_TIME=seconds)
#   make fuzz-smoke    the same harnesses, a fixed seed and input count
#   make kunit         KUnit suites on UML
#   make model-check   spin: safety and liveness of the protocol model
#   make qemu          QEMU with the pvvf device, and libvhost-user (cached)
#   make e2e           guests under TCG against pvvfd (6.12 and 6.1)
#   make demo          the narrated two-guest demo (installs what it needs)
#   make bench         host core and in-guest measurements; writes docs/perf.md
#   make bench-smoke   the host core's instruction goals of docs/perf.md, as a test
#   make check         every test suite; ends with "N passed, M failed"

SHELL := /bin/bash
TOP := $(CURDIR)
PVVF_CACHE ?= /var/cache/pvvf
export PVVF_CACHE

# The two Debian kernel ABIs, resolved from the archive once deps are in.
KVERS := $(shell . scripts/lib.sh 2>/dev/null && resolve_kvers 2>/dev/null && echo $$KVER_61 $$KVER_612)
KVER_61 := $(word 1,$(KVERS))
KVER_612 := $(word 2,$(KVERS))
KVER ?= $(KVER_612)

.PHONY: all deps modules modules-all uapi-check host test-host package-check fuzz \
	fuzz-smoke kunit model-check qemu e2e demo bench bench-smoke check clean

all: host modules

deps:
	bash scripts/deps.sh

# Out-of-tree build, the way DKMS does it.
modules:
	@[ -n "$(KVER)" ] || { echo "pvvf: no kernel version; run 'make deps'" >&2; exit 1; }
	$(MAKE) -C /lib/modules/$(KVER)/build M=$(TOP) W=1 modules

modules-all:
	bash scripts/modules-all.sh $(KVER_61) $(KVER_612)

uapi-check:
	bash scripts/uapi-check.sh $(KVER_61) $(KVER_612)

host:
	$(MAKE) -C host

test-host:
	/usr/bin/python3 scripts/bad-input-check.py
	$(MAKE) -C host test
	$(MAKE) -C host/pvvfd test
	$(MAKE) -C host/pvvfctl test

package-check: host
	bash scripts/package-check.sh

fuzz:
	$(MAKE) -C host/fuzz run

fuzz-smoke:
	$(MAKE) -C host/fuzz smoke

kunit:
	bash scripts/kunit.sh

model-check:
	bash scripts/model-check.sh

qemu:
	bash scripts/build-qemu.sh

e2e: qemu host
	bash tests/e2e/run.sh

demo:
	bash scripts/deps.sh
	$(MAKE) qemu host
	bash scripts/demo.sh

bench: qemu host
	bash tests/bench/run.sh

bench-smoke:
	bash tests/bench/smoke.sh

check:
	bash scripts/check.sh

clean:
	-$(MAKE) -C host clean
	-$(MAKE) -C host/fuzz clean
	-[ -z "$(KVER)" ] || $(MAKE) -C /lib/modules/$(KVER)/build M=$(TOP) clean
	rm -rf build
