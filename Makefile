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

demo: build
	$(SWIFT) run warnd check rules
	$(SWIFT) run warnd eval --rules rules --data examples/data --now $(DEMO_NOW)

check: build
	$(SWIFT) run warnd check rules

test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/warnd/rules
	install -m 0755 .build/release/warnd $(DESTDIR)$(PREFIX)/bin/warnd
	install -m 0644 rules/*.yaml $(DESTDIR)$(SYSCONFDIR)/warnd/rules/

clean:
	rm -rf .build
