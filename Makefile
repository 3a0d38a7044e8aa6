# warnd — the two commands of the README, plus install.
#   make demo     build, then run warnd's main job on the shipped rules and the example data
#   make test     build and run the whole test suite
#   make install  install the binary, unit, journal catalog and shipped rules (PREFIX, DESTDIR)

PREFIX   ?= /usr/local
DESTDIR  ?=
SYSCONFDIR ?= /etc
UNITDIR  ?= /lib/systemd/system
CATALOGDIR ?= /usr/lib/systemd/catalog

# The toolchain lives at /opt/swift on our machines; elsewhere it is expected on PATH.
export PATH := $(PATH):/opt/swift/usr/bin

SWIFT ?= swift
DEMO_NOW ?= 2025-07-01

.PHONY: all deps test-deps build release demo test install check clean

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

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/warnd/rules
	install -m 0755 .build/release/warnd $(DESTDIR)$(PREFIX)/bin/warnd
	install -m 0644 rules/*.yaml $(DESTDIR)$(SYSCONFDIR)/warnd/rules/

clean:
	rm -rf .build
