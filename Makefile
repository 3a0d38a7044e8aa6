# warnd — the two commands of the README, plus install.
#   make demo     build, then run warnd's main job on the shipped rules and the example data
#   make test     build and run the whole test suite
#   make bench    release build; generate county/province/national data in .build-bench/; time evaluation, ingest
#                 and the daemon (incremental latency, startup, reload); BENCHMARKS.md has the figures
#   make install  install the binary, unit, journal catalog and shipped rules (PREFIX, DESTDIR)
#   make install-systemd   only the systemd pieces (unit, catalog, sysusers.d, tmpfiles.d, example config, docs)
#   make systemd-selftest  as root: the unit, catalog and install under a private journald and systemd
#                          (scripts/harness/README.md); the Swift probe part uses .build/release/warnd if built

PREFIX   ?= /usr/local
DESTDIR  ?=
SYSCONFDIR ?= /etc
UNITDIR  ?= /lib/systemd/system
CATALOGDIR ?= /usr/lib/systemd/catalog
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
DOCDIR   ?= $(PREFIX)/share/doc/warnd

# The toolchain lives at /opt/swift on our machines; elsewhere it is expected on PATH.
export PATH := $(PATH):/opt/swift/usr/bin

SWIFT ?= swift
DEMO_NOW ?= 2025-07-01

.PHONY: all deps test-deps build release bench demo test install install-systemd systemd-selftest check clean fuzz soak sanitize

all: build

deps:
	@sh scripts/ensure-deps.sh

test-deps:
	@WARND_DEPS=test sh scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The demo: validate the shipped rules, show the early-warning picture of the example data, then run the daemon in
# the foreground on a local state folder with the example data dropped into its inbox, logging to the terminal,
# until Ctrl-C. The committee's files appear in $(DEMO_STATE)/alerts/.
DEMO_STATE ?= state/demo

demo: build
	.build/debug/warnd check rules
	.build/debug/warnd eval --rules rules --data examples/data --now $(DEMO_NOW)
	rm -rf $(DEMO_STATE) && mkdir -p $(DEMO_STATE)/inbox
	cp examples/data/*.csv examples/data/*.jsonl $(DEMO_STATE)/inbox/
	@echo "== warnd run: state in $(DEMO_STATE), alert files in $(DEMO_STATE)/alerts; Ctrl-C to stop"
	.build/debug/warnd run --rules rules --state-dir $(DEMO_STATE) --log stderr --now $(DEMO_NOW)

check: build
	.build/debug/warnd check rules

test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Benchmarks (issue 4): three tables (evaluation, ingest, the daemon), each scale generated once into .build-bench/.
# BENCH_SCALES="1 183" skips the national scale; BENCH_DATA=DIR reuses data made by `warnd generate`.
bench: deps
	bash scripts/bench.sh
	BENCH_SKIP_BUILD=1 BENCH_SCALES="$${BENCH_SCALES:-183 2844}" bash scripts/bench-ingest.sh
	bash scripts/bench-sqlite-ceiling.sh
	BENCH_SKIP_BUILD=1 BENCH_SCALES="$${BENCH_SCALES:-shipped 183 2844}" bash scripts/bench-daemon.sh

install: release install-systemd
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/warnd/rules
	install -m 0755 .build/release/warnd $(DESTDIR)$(PREFIX)/bin/warnd
	install -m 0644 rules/*.yaml $(DESTDIR)$(SYSCONFDIR)/warnd/rules/

# The files in deploy/ name /usr/local (the default PREFIX); sed points them at $(PREFIX). The example
# config is installed only where there is no warnd.yaml yet, so a re-install never overwrites the admin's.
# With DESTDIR empty (a real install) the journal catalog is compiled at once; with a DESTDIR (packaging)
# that is the package's post-install step. Then, as root: systemctl daemon-reload, systemd-sysusers,
# systemd-tmpfiles --create, systemctl enable --now warnd (docs/operations.md).
PREFIXED = sed -e 's|/usr/local/bin/warnd|$(PREFIX)/bin/warnd|g' -e 's|/usr/local/share/doc/warnd|$(DOCDIR)|g'

install-systemd:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(SYSCONFDIR)/warnd $(DESTDIR)$(DOCDIR)
	$(PREFIXED) deploy/systemd/warnd.service >$(DESTDIR)$(UNITDIR)/warnd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/warnd.service
	$(PREFIXED) deploy/systemd/warnd.catalog >$(DESTDIR)$(CATALOGDIR)/warnd.catalog
	chmod 0644 $(DESTDIR)$(CATALOGDIR)/warnd.catalog
	install -m 0644 deploy/systemd/warnd.sysusers $(DESTDIR)$(SYSUSERSDIR)/warnd.conf
	install -m 0644 deploy/systemd/warnd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/warnd.conf
	install -m 0644 docs/operations.md $(DESTDIR)$(DOCDIR)/operations.md
	test -e $(DESTDIR)$(SYSCONFDIR)/warnd/warnd.yaml || \
		install -m 0644 deploy/warnd.yaml.example $(DESTDIR)$(SYSCONFDIR)/warnd/warnd.yaml
	if [ -z "$(DESTDIR)" ]; then journalctl --update-catalog; fi

systemd-selftest:
	bash scripts/harness/selftest.sh

# Fuzzing (libFuzzer + AddressSanitizer, which also reports leaks): the data parsers and the rules loader, each for
# FUZZ_SECONDS, starting from the seed corpus in Fuzz/corpus; new inputs go to .build-fuzz/corpus-*. A crash, a
# leak or an input slower than 10 s fails the target and leaves a crash-* file to reproduce it with.
FUZZ_SECONDS ?= 60

fuzz: deps
	$(SWIFT) build --package-path Fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
	set -e; for t in data:FuzzDataParser rules:FuzzRulesLoader; do \
		corpus=$${t%%:*}; bin=$${t##*:}; mkdir -p .build-fuzz/corpus-$$corpus; \
		echo "== $$bin for $(FUZZ_SECONDS) s"; \
		if ! .build-fuzz/debug/$$bin -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
			-artifact_prefix=.build-fuzz/ -print_final_stats=1 .build-fuzz/corpus-$$corpus Fuzz/corpus/$$corpus \
			>.build-fuzz/$$bin.log 2>&1; then tail -60 .build-fuzz/$$bin.log; exit 1; fi; \
		grep -E "^#[0-9]+ +DONE|^stat::number_of_executed_units" .build-fuzz/$$bin.log; \
	done

# The test suite under AddressSanitizer (memory errors; leaks, with scripts/lsan.supp naming the toolchain's own)
# and ThreadSanitizer (data races), each in a build folder of its own. The tests that boot systemd or time the
# daemon under load are skipped here: they run the sanitized binary inside a sandbox or against a clock.
SANITIZE_SKIP = SystemdE2ETests|LoadTests|CrashConsistency

sanitize: test-deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp $(SWIFT) test --skip-build --sanitize=address \
		--scratch-path .build-asan --skip "$(SANITIZE_SKIP)"
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --skip "$(SANITIZE_SKIP)"

# The soak run (not in CI): SOAK_MINUTES (default 30) of submissions and evaluations in fast-forward; RSS and
# open descriptors must stay flat and the alerts equal a one-shot `warnd eval` (scripts/soak.sh).
soak: build
	bash scripts/soak.sh

clean:
	rm -rf .build
