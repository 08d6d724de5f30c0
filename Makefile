# cass-entry: top-level build.  `make` builds, `make test` runs every test suite,
# `make static` builds fully static binaries, `make asan` builds and tests under
# AddressSanitizer + UBSan.  Each part of the project adds its own rules in a
# fragment next to its sources (listed below, in the order they are read);
# this file only holds what they share.

B        ?= build
CC       ?= cc
OPT      ?= -O2 -g
SAN      ?=
# Sources name headers from the project root ("yamlpatch/yamlpatch.h").
CPPFLAGS += -D_GNU_SOURCE -I.
CFLAGS   += -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -fno-common $(OPT) $(SAN)
LDFLAGS  += $(SAN)

# mbedTLS, in link order: cass-entry's PEM checks and the probe over TLS.
MBEDTLS_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto

# Every fragment appends to these.
PROGRAMS   :=
UNIT_TESTS :=

.PHONY: all test static asan clean
all: programs unit-tests

# The parts, one build.mk each, in the order of what they
# need: a fragment may use the variables of those above it, never of those
# below.
#   yamlpatch/build.mk   the YAML editor library and CLI
#   cql/build.mk         the CQL client (probe, session, statement splitter)
#   entrypoint/build.mk  cass-entry and its tests (uses CQL_SRCS, YP_LIB*)
#   provision/build.mk   cass-provision and its Engine API library
#   image/build.mk       `make image`, and `make static` for every
#                        STATIC_PROGRAMS of the parts above
#   tests/fuzz/fuzz.mk   the libFuzzer target (not part of `all`)
include yamlpatch/build.mk
include cql/build.mk
include entrypoint/build.mk
include provision/build.mk
include image/build.mk
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
