# cass-entry: top-level build.  `make` builds, `make test` runs every test suite,
# `make static` builds fully static binaries, `make asan` builds and tests under
# AddressSanitizer + UBSan.  Each part of the project adds its own rules in a
# build.mk fragment next to its sources; this file only holds what they share.

B        ?= build
CC       ?= cc
OPT      ?= -O2 -g
SAN      ?=
# Sources name headers from the project root ("yamlpatch/yamlpatch.h").
CPPFLAGS += -D_GNU_SOURCE -I.
CFLAGS   += -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -fno-common $(OPT) $(SAN)
LDFLAGS  += $(SAN)

# Every fragment appends to these.
PROGRAMS   :=
UNIT_TESTS :=

.PHONY: all test static asan clean
all: programs unit-tests

# The parts, each in the order of what it needs (a fragment may use the
# variables of those above it):
#   yamlpatch   the YAML editor library and CLI
#   cql         the CQL client (probe, session, statement splitter)
#   entrypoint  cass-entry: settings/addresses, limits/version/heap, privileges,
#               then the program itself (it links the two libraries above)
#   provision   the Engine API library, then cass-provision (plan, one engine,
#               swarm)
#   image       the image pipeline and `make static`
#   tests/fuzz  the libFuzzer target (not part of `all`)
include yamlpatch/build.mk
include cql/build.mk
include entrypoint/settings.mk entrypoint/heap.mk entrypoint/privileges.mk entrypoint/cass-entry.mk
include provision/engine.mk provision/cluster.mk provision/swarm.mk
include image/image.mk image/static.mk
include tests/fuzz/fuzz.mk

.PHONY: programs unit-tests
programs: $(PROGRAMS)
unit-tests: $(UNIT_TESTS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

test:
	tests/run

# Sanitizer build in its own directory so it never mixes with the normal objects.
asan:
	$(MAKE) B=build/asan OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all
	BUILD_DIR=build/asan tests/run unit cli corpus

clean:
	rm -rf build
