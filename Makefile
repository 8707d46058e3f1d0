# pytest-cloud: the C helper, its tests and the demo.
#
#   make            build build/pytest-cloud
#   make test       everything CI runs: C unit tests (under valgrind) and
#                   end-to-end tests on real local sshd nodes, also with
#                   an ASan helper and on newer pytest stacks
#   make demo       a real distributed run of example/ on local SSH nodes
#   make install    PREFIX=/usr/local DESTDIR=
#
# Variables: CC, CFLAGS, LDFLAGS, PKG_CONFIG, DEVELOPER=1 (adds -Werror),
# SANITIZE=address,undefined (builds everything with those sanitizers).

CC ?= cc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
prefix ?= $(PREFIX)
DESTDIR ?=
PYTHON ?= /usr/bin/python3

PKGS = libssh libcjson inih tomlplusplus
CXX ?= c++
CFLAGS ?= -O2 -g
CXXFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wno-missing-field-initializers
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif
ifneq ($(SANITIZE),)
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
endif

ALL_CFLAGS = -std=c11 $(WARN) $(SAN_FLAGS) $(CFLAGS) \
	     $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)
LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lpthread

B = build
CORE = opts config nodename inifile probe_parse claim knownhosts plan render \
       report shquote strvec msgs develop text
CXX_CORE = pyproject
EDGE = sshconn sshcfg fanout spawn rsync display
CORE_OBJS = $(CORE:%=$(B)/obj/%.o) $(CXX_CORE:%=$(B)/obj/%.o)
EDGE_OBJS = $(EDGE:%=$(B)/obj/%.o)
HEADERS = $(wildcard helper/*.h)

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_OBJS = $(UNIT_SRCS:tests/unit/%.c=$(B)/obj/unit_%.o)

.PHONY: all test unit pyunit e2e e2e-asan e2e-stacks demo demo-run install clean deps fuzz fuzz-short

all: $(B)/pytest-cloud

$(B)/obj/%.o: helper/%.c $(HEADERS) | $(B)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj/%.o: helper/%.cc $(HEADERS) | $(B)/obj
	$(CXX) -std=c++17 -Wall -Wextra $(SAN_FLAGS) $(CXXFLAGS) \
		$(shell $(PKG_CONFIG) --cflags tomlplusplus) -c -o $@ $<

$(B)/obj/unit_%.o: tests/unit/%.c $(HEADERS) | $(B)/obj
	$(CC) $(ALL_CFLAGS) -Ihelper $(shell $(PKG_CONFIG) --cflags cunit) \
		-c -o $@ $<

$(B)/obj:
	mkdir -p $@

$(B)/pytest-cloud: $(B)/obj/main.o $(CORE_OBJS) $(EDGE_OBJS)
	$(CXX) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/unit-tests: $(UNIT_OBJS) $(CORE_OBJS) $(EDGE_OBJS)
	$(CXX) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) \
		$(shell $(PKG_CONFIG) --libs cunit)

# Installs the Debian packages the build and the tests need (as root), or
# says which are missing.
deps:
	@sh tests/deps.sh

unit: deps $(B)/unit-tests
ifeq ($(SANITIZE),)
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=all $(B)/unit-tests
else
	$(B)/unit-tests
endif

# The conftest's pure logic (scheduling), with Debian's pytest; no nodes.
pyunit: deps
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/pyunit

e2e: deps $(B)/pytest-cloud
	sh tests/e2e/run.sh

# The end-to-end suite again, with the helper built with AddressSanitizer
# (leaks included; full malloc stacks, so that tests/lsan.supp can name the
# one libssh frame it suppresses) and UBSan: any report fails the run.
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:exitcode=86:abort_on_error=0:fast_unwind_on_malloc=0 \
	   LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	   UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1 \
	   PYTEST_CLOUD_TEST_HELPER=$(CURDIR)/build/asan/pytest-cloud
e2e-asan: deps
	$(MAKE) B=build/asan SANITIZE=address,undefined build/asan/pytest-cloud
	$(ASAN_ENV) sh tests/e2e/run.sh -x

# The e2e tests marked 'stack' against pytest 8.4 and 9.1 (virtualenvs from
# ../shared/wheels; both stacks side by side); says it is skipped without
# the wheels.
e2e-stacks: deps $(B)/pytest-cloud
	$(PYTHON) tests/stacks.py run

# libFuzzer targets under AddressSanitizer and UBSan (clang).  `make fuzz`
# runs each for FUZZ_SECONDS and keeps new inputs in tests/fuzz/corpus;
# `make test` runs each briefly on a scratch copy of the corpus.
CLANG ?= clang
CLANGXX ?= clang++
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = ini argv probe
FB = $(B)/fuzz
FUZZ_CFLAGS = -g -O1 -Wall -Werror=implicit-function-declaration \
	      -fsanitize=fuzzer-no-link,address,undefined \
	      -fno-sanitize-recover=undefined -Ihelper \
	      $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
FUZZ_OBJS = $(CORE:%=$(FB)/obj/%.o) $(CXX_CORE:%=$(FB)/obj/%.o)

$(FB)/obj/%.o: helper/%.c $(HEADERS) | $(FB)/obj
	$(CLANG) -std=c11 $(FUZZ_CFLAGS) -c -o $@ $<

$(FB)/obj/%.o: helper/%.cc $(HEADERS) | $(FB)/obj
	$(CLANGXX) -std=c++17 $(FUZZ_CFLAGS) -c -o $@ $<

$(FB)/obj/fuzz_%.o: tests/fuzz/fuzz_%.c $(HEADERS) | $(FB)/obj
	$(CLANG) -std=c11 $(FUZZ_CFLAGS) -c -o $@ $<

$(FB)/obj:
	mkdir -p $@

$(FB)/fuzz_%: $(FB)/obj/fuzz_%.o $(FUZZ_OBJS)
	$(CLANGXX) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

# keep the fuzz objects between runs
.SECONDARY: $(FUZZ_OBJS) $(FUZZ_TARGETS:%=$(FB)/obj/fuzz_%.o)

fuzz: deps $(FUZZ_TARGETS:%=$(FB)/fuzz_%)
	for t in $(FUZZ_TARGETS); do \
		$(FB)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-max_len=4096 tests/fuzz/corpus/$$t || exit 1; \
	done

fuzz-short: deps $(FUZZ_TARGETS:%=$(FB)/fuzz_%)
	for t in $(FUZZ_TARGETS); do \
		rm -rf $(FB)/scratch/$$t && mkdir -p $(FB)/scratch/$$t && \
		$(FB)/fuzz_$$t -max_total_time=4 -timeout=10 -max_len=4096 \
			-print_final_stats=0 $(FB)/scratch/$$t \
			tests/fuzz/corpus/$$t 2>$(FB)/scratch/$$t.log || \
			{ tail -40 $(FB)/scratch/$$t.log; exit 1; }; \
		grep -h "^Done" $(FB)/scratch/$$t.log | sed "s/^/fuzz_$$t: /"; \
	done

# deps first, then a new make that reads pkg-config with the packages in
# place (a fresh machine has none of them when this Makefile is read)
test: deps
	@$(MAKE) --no-print-directory unit pyunit fuzz-short e2e e2e-asan e2e-stacks

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: $(B)/pytest-cloud
	sh tests/demo.sh

install: $(B)/pytest-cloud
	install -d $(DESTDIR)$(prefix)/bin $(DESTDIR)$(prefix)/share/pytest-cloud
	install -m 0755 $(B)/pytest-cloud $(DESTDIR)$(prefix)/bin/pytest-cloud
	install -m 0644 conftest_template/conftest.py \
		$(DESTDIR)$(prefix)/share/pytest-cloud/conftest.py

clean:
	rm -rf $(B)
