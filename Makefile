# pytest-cloud: the C helper, its tests and the demo.
#
#   make            build build/pytest-cloud
#   make test       everything CI runs: C unit tests (under valgrind) and
#                   end-to-end tests on real local sshd nodes
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
CORE = opts config nodename inifile probe_parse plan render report shquote \
       strvec msgs
CXX_CORE = pyproject
EDGE = sshconn fanout spawn rsync
CORE_OBJS = $(CORE:%=$(B)/obj/%.o) $(CXX_CORE:%=$(B)/obj/%.o)
EDGE_OBJS = $(EDGE:%=$(B)/obj/%.o)
HEADERS = $(wildcard helper/*.h)

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_OBJS = $(UNIT_SRCS:tests/unit/%.c=$(B)/obj/unit_%.o)

.PHONY: all test unit e2e demo install clean deps check-deps

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

e2e: deps $(B)/pytest-cloud
	sh tests/e2e/run.sh

test: unit e2e

demo: deps $(B)/pytest-cloud
	sh tests/demo.sh

install: $(B)/pytest-cloud
	install -d $(DESTDIR)$(prefix)/bin $(DESTDIR)$(prefix)/share/pytest-cloud
	install -m 0755 $(B)/pytest-cloud $(DESTDIR)$(prefix)/bin/pytest-cloud
	install -m 0644 conftest_template/conftest.py \
		$(DESTDIR)$(prefix)/share/pytest-cloud/conftest.py

clean:
	rm -rf $(B)
