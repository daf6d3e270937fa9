# SPDX-License-Identifier: ISC
#
# edgekit: one plain GNU Makefile.  Every cmd/<tool>/ directory is a tool,
# every lib/*.c goes into libedge.a, every tests/unit/check_<mod>.c is a
# Check suite named make_<mod>_suite(), every tests/net/t-*.sh is a namespace
# test and every tests/fuzz/fuzz_<name>.c a libFuzzer target, so adding one
# never means editing this file.

VERSION	?= 0.1.0
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR	?=
# Glue from scripts/ (see "make install" below and the README).
DOCDIR	?= $(PREFIX)/share/doc/edgekit
SYSTEMDUNITDIR ?= /lib/systemd/system
BASHCOMPDIR ?= /usr/share/bash-completion/completions
INITDIR	?= $(SYSCONFDIR)/init.d
INIT	?= systemd

PKG_CONFIG ?= pkg-config
PKGS	:= libmnl libnftnl libcares libbsd-overlay

CC	?= cc
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wcast-qual \
	   -Wno-unused-parameter -MMD -MP
CPPFLAGS += -Ilib -DEDGEKIT_VERSION='"$(VERSION)"' \
	    $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDLIBS	+= $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

ifeq ($(SANITIZE),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

# Objects depend on the flags they were built with, so that switching
# SANITIZE (or CFLAGS) rebuilds everything instead of mixing builds.
FLAGS_NOW := $(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS)
ifneq ($(FLAGS_NOW),$(file < .flags))
$(file > .flags,$(FLAGS_NOW))
endif
%.o: %.c .flags | pkgs
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

# The flags above ask pkg-config quietly (it is not there yet when "make
# check" or "make demo" starts, before scripts/deps); so that a missing
# library is named here rather than failing later as a compile or link
# error, everything that is compiled first checks that pkg-config knows
# the libraries (pkgs), and the unit tests also Check (pkgs-check).
pkg_need = @m=; for p in $(1); do $(PKG_CONFIG) --exists $$p || m="$$m $$p"; done; \
	[ -z "$$m" ] || { echo "$(PKG_CONFIG) cannot find:$$m" \
	"(make deps installs it)" >&2; exit 1; }
pkgs:
	$(call pkg_need,$(PKGS))
pkgs-check:
	$(call pkg_need,check)

TOOLS	:= $(notdir $(patsubst %/,%,$(wildcard cmd/*/)))
BINS	:= $(addprefix bin/,$(TOOLS))
LIB_SRC	:= $(wildcard lib/*.c)
LIB_OBJ	:= $(LIB_SRC:.c=.o)
UNIT_SRC := $(wildcard tests/unit/check_*.c)
UNIT_MODS := $(patsubst tests/unit/check_%.c,%,$(UNIT_SRC))
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,tests/fuzz/bin/%,$(FUZZ_SRC))
MANS	:= $(wildcard man/*.[1-9])

all: $(BINS)

lib/libedge.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

# A tool is every .c file in its folder, linked with libedge.a.
define tool_rule
cmd/$(1)/%.o: CPPFLAGS += -Icmd/$(1)
bin/$(1): $(patsubst %.c,%.o,$(wildcard cmd/$(1)/*.c)) lib/libedge.a
	@mkdir -p bin
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

# Tool modules (everything but main.o) are unit-tested too.
TOOL_OBJ := $(filter-out %/main.o,$(patsubst %.c,%.o,$(wildcard cmd/*/*.c)))

tests/unit/suites.h: $(UNIT_SRC) Makefile
	@mkdir -p $(@D)
	@{ for m in $(UNIT_MODS); do echo "SUITE($$m)"; done; } > $@.tmp && \
	  { cmp -s $@.tmp $@ || mv $@.tmp $@; }; rm -f $@.tmp

tests/unit/check-all.o: tests/unit/suites.h
tests/unit/check-all.o $(UNIT_SRC:.c=.o): | pkgs-check
tests/unit/%.o: CPPFLAGS += $(shell $(PKG_CONFIG) --cflags check 2>/dev/null) \
	$(addprefix -I,$(wildcard cmd/*)) -Itests/unit
tests/unit/check-all: tests/unit/check-all.o $(UNIT_SRC:.c=.o) $(TOOL_OBJ) lib/libedge.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell $(PKG_CONFIG) --libs check)

# libFuzzer targets: clang, the parser's sources built with coverage.
# They are built from sources, not objects, so they depend on the headers
# themselves (there are no .d files for them).
FUZZ_CC	?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
	$(addprefix -I,$(wildcard cmd/*)) $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
tests/fuzz/bin/%: tests/fuzz/%.c $(LIB_SRC) $(TOOL_OBJ:.o=.c) \
    $(wildcard lib/*.h cmd/*/*.h) | pkgs
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) \
	  $(filter $(shell sed -n 's,^// FUZZ_SOURCES:,,p' $<),$(TOOL_OBJ:.o=.c)) \
	  $(LDLIBS)

fuzz: $(FUZZ_BINS)

deps:
	@./scripts/deps

# make check: dependencies, build, unit tests, namespace tests, a short run
# of each fuzzer, man page lint; tests/run prints the closing summary.
check: deps
	@$(MAKE) --no-print-directory all tests/unit/check-all
	@$(MAKE) --no-print-directory fuzz
	@./tests/run $(if $(T),-t '$(T)')

# As check: deps first, then the build, then the run, one after the
# other even with -j (prerequisites "deps all" would build in parallel
# with the installation of the libraries it needs).
bench: deps
	@$(MAKE) --no-print-directory all
	@./tests/bench/run

demo: deps
	@$(MAKE) --no-print-directory all
	@./scripts/demo $(if $(KEEP),--keep)

lint:
	mandoc -T lint -W warning $(MANS)

# make install: the tools and the scripts beside them (scripts/edge-*) in
# SBINDIR, man pages in MANDIR, bash completion in BASHCOMPDIR (one file
# per tool, named after it), the cron examples in DOCDIR/examples, and
# the service files of each init system named in INIT (default systemd):
#   systemd   scripts/systemd/* in SYSTEMDUNITDIR
#   openrc    scripts/openrc/* in INITDIR (/etc/init.d)
#   sysvinit  scripts/sysvinit/* in INITDIR (/etc/init.d)
# e.g. "make install INIT=openrc", "make install INIT='systemd sysvinit'"
# or INIT= for none; openrc and sysvinit share INITDIR, so not both.  The
# installed files name the tools by their installed path (SBINDIR).
GLUE_SUBST = sed -e 's,@SBINDIR@,$(SBINDIR),g'
# Executables only: scripts/ holds other files named edge-* too.
GLUE_SCRIPTS := $(shell find scripts -maxdepth 1 -type f -name 'edge-*' \
	-perm -u+x 2>/dev/null | sort)
COMPLETIONS := $(wildcard scripts/completion/edge-*.bash)

install: all
	$(if $(filter-out systemd openrc sysvinit,$(INIT)),@echo "INIT:" \
		"$(filter-out systemd openrc sysvinit,$(INIT)): expected" \
		"one of systemd openrc sysvinit" >&2; exit 2)
	$(if $(and $(filter openrc,$(INIT)),$(filter sysvinit,$(INIT))),@echo \
		"INIT: openrc and sysvinit both use $(INITDIR)" >&2; exit 2)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)/examples
	$(if $(BINS),install -m 755 $(BINS) $(DESTDIR)$(SBINDIR))
	$(if $(GLUE_SCRIPTS),install -m 755 $(GLUE_SCRIPTS) $(DESTDIR)$(SBINDIR))
	for m in $(MANS); do \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s; done
	for c in $(COMPLETIONS); do n=$${c##*/}; \
		install -m 644 $$c $(DESTDIR)$(BASHCOMPDIR)/$${n%.bash}; done
	$(GLUE_SUBST) scripts/cron/edgekit.cron > \
		$(DESTDIR)$(DOCDIR)/examples/edgekit.cron
	chmod 644 $(DESTDIR)$(DOCDIR)/examples/edgekit.cron
	$(if $(filter systemd,$(INIT)),install -d $(DESTDIR)$(SYSTEMDUNITDIR) && \
		for u in scripts/systemd/*; do \
		$(GLUE_SUBST) $$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} && \
		chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} || exit 1; done)
	$(foreach i,$(filter openrc sysvinit,$(INIT)),install -d $(DESTDIR)$(INITDIR) && \
		for r in scripts/$(i)/*; do \
		$(GLUE_SUBST) $$r > $(DESTDIR)$(INITDIR)/$${r##*/} && \
		chmod 755 $(DESTDIR)$(INITDIR)/$${r##*/} || exit 1; done)

clean:
	rm -rf bin tests/fuzz/bin
	find . -name '*.[oad]' -delete
	rm -f tests/unit/check-all tests/unit/suites.h .flags

.PHONY: all check bench demo deps fuzz install clean lint pkgs pkgs-check
-include $(shell find . -name '*.d' 2>/dev/null)
