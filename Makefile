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

include yamlpatch/build.mk
include $(sort $(filter-out yamlpatch/build.mk,$(wildcard */*.mk tests/*/*.mk)))

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
