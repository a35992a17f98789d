# Performance suite (docs/performance.md). Included from the Makefile.
#
#   make bench           build for virt, boot the bench under -icount shift=0
#                        on a fresh disk (one main boot + 3 cold boots), print
#                        the BENCH rows and the comparison with Linux; the
#                        boots run with an instruction-counting QEMU plugin,
#                        so each row also gets its guest instruction count
#                        (idle excluded) and a per-function profile
#   make bench-check     the same harness with `bench -q` (few iterations, no
#                        plugin): every row must be printed (values unchecked)
#   make bench-profile   print where the instructions of the last `make
#                        bench` went, per row and function (PROFILE_ROWS=a,b
#                        to choose rows)
#
# Everything goes to target/bench/. BENCH_LINUX: the Linux figures (compared
# when the file exists).

BENCH_OUT    := target/bench
BENCH_BIN    := $(BENCH_OUT)/bench
BENCH_PLUGIN := $(BENCH_OUT)/bench-insn.so
BENCH_LINUX  ?= ../shared/baselines/linux/RESULTS.md
BENCH_RUN     = scripts/bench-run --kernel target/virt/kernel.elf --rootfs $(ROOTFS) \
	--bench $(BENCH_BIN) --bootimg $(BOOTIMG)
PROFILE_ROWS ?=

.PHONY: bench bench-check bench-profile bench-prepare

# Build for virt whatever BOARD says, then the stripped bench binary (the
# program is built by `make user` even before it is in USER_PROGRAMS).
bench-prepare:
	@$(MAKE) --no-print-directory build rootfs BOARD=virt
	@mkdir -p $(BENCH_OUT)
	$(LLVM_STRIP) --strip-debug $(UOUT)/bench -o $(BENCH_BIN)

$(BENCH_PLUGIN): scripts/bench-insn-plugin.c
	@mkdir -p $(BENCH_OUT)
	cc -O2 -Wall -shared -fPIC -o $@ $<

bench: bench-prepare $(BENCH_PLUGIN)
	$(BENCH_RUN) --plugin $(BENCH_PLUGIN) --out $(BENCH_OUT)/run
	@cp target/virt/kernel.elf $(UOUT)/bench $(BENCH_OUT)/run/
	@for b in main cold-1; do \
	    scripts/bench-profile $(BENCH_OUT)/run/boot-$$b.log $(BENCH_OUT)/run/boot-$$b.insn \
	        --kernel-elf $(BENCH_OUT)/run/kernel.elf --user-elf $(BENCH_OUT)/run/bench \
	        >$(BENCH_OUT)/run/profile-$$b.md || exit 1; \
	done
	@echo "commit $$(git rev-parse --short HEAD)$$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')" \
	    | tee $(BENCH_OUT)/run/commit.txt
	@if [ -f $(BENCH_LINUX) ]; then \
	    scripts/bench-compare $(BENCH_OUT)/run/results.txt $(BENCH_LINUX) | tee $(BENCH_OUT)/run/compare.md; \
	else echo "(no $(BENCH_LINUX): no comparison with Linux)"; \
	    scripts/bench-compare $(BENCH_OUT)/run/results.txt; fi
	@echo "logs, profiles (profile-*.md): $(BENCH_OUT)/run/"

bench-check: bench-prepare
	$(BENCH_RUN) --quick --check --timeout 300 --out $(BENCH_OUT)/check

bench-profile:
	@[ -f $(BENCH_OUT)/run/boot-main.insn ] || { echo "run make bench first"; exit 1; }
	@for b in main cold-1; do \
	    scripts/bench-profile $(BENCH_OUT)/run/boot-$$b.log $(BENCH_OUT)/run/boot-$$b.insn \
	        --kernel-elf $(BENCH_OUT)/run/kernel.elf --user-elf $(BENCH_OUT)/run/bench \
	        $(if $(PROFILE_ROWS),--only $(PROFILE_ROWS)); \
	done
