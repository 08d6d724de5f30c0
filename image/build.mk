# image/build.mk: the image pipeline's make targets.
#
# ---- `make image` ----
# builds the product image cass-entry:<version> and everything under it
# (packages, engine, base and Cassandra images, the static binaries) through
# image/build.sh, which caches each step by its inputs.
.PHONY: image
image:
	image/build.sh

# ---- `make static`: fully static binaries built with musl ----
#
# The convention: a fragment that wants a static build of program NAME appends
#   STATIC_PROGRAMS += NAME
# and defines NAME_SRCS (every .c file of the program, libraries' included)
# and NAME_LIBS (-lyaml, -lcyaml, -lmbedtls...).  `make static` then
#   1. runs image/build-libyaml-musl.sh, which builds libyaml (and libcyaml,
#      mbedTLS when some NAME_LIBS asks for them) with musl from Debian's source into
#      $(B)/musl (cached: milliseconds when nothing changed);
#   2. compiles NAME_SRCS again with musl-gcc -Os into $(B)/static/obj (the
#      glibc objects of $(B)/obj can't be reused: other headers, other libc);
#   3. links $(B)/static/NAME with -static, drops unused sections, strips.
#
# The Makefile includes this file after every part that has a program, so
# STATIC_PROGRAMS is complete here; the pattern rules below still use
# secondary expansion, to name each program's objects from its stem.

MUSL_DIR       := $(B)/musl
STATIC_DIR     := $(B)/static
MUSL_CC        ?= musl-gcc
# The project's flags (warnings, -std, -D_GNU_SOURCE) without the
# optimisation and sanitizer choice of the glibc build: -Os here, no ASan.
STATIC_CPPFLAGS = $(CPPFLAGS) -I. -I$(MUSL_DIR)/include
STATIC_CFLAGS   = $(filter-out $(OPT) $(SAN),$(CFLAGS)) -Os -ffunction-sections -fdata-sections
STATIC_LDFLAGS  = -static -Os -Wl,--gc-sections -L$(MUSL_DIR)/lib

# NAME -> its musl objects; -lfoo -> $(MUSL_DIR)/lib/libfoo.a (relink when rebuilt).
static_objs = $(patsubst %.c,$(STATIC_DIR)/obj/%.o,$($(1)_SRCS))
static_libs = $(patsubst -l%,$(MUSL_DIR)/lib/lib%.a,$(filter -l%,$($(1)_LIBS)))
static_need_cyaml = $(if $(filter -lcyaml,$(foreach p,$(STATIC_PROGRAMS),$($(p)_LIBS))),libcyaml)
static_need_mbedtls = $(if $(filter -lmbedtls,$(foreach p,$(STATIC_PROGRAMS),$($(p)_LIBS))),libmbedtls)

.PHONY: static static-programs static-list
static:
	image/build-libyaml-musl.sh $(MUSL_DIR) $(static_need_cyaml) $(static_need_mbedtls)
	$(MAKE) --no-print-directory static-programs
	@cd $(STATIC_DIR) && for p in $(STATIC_PROGRAMS); do \
	    printf 'static: %s/%s: %s bytes\n' "$(STATIC_DIR)" "$$p" "$$(stat -c %s "$$p")"; done

# For tests/suites/static.sh: the names `make static` builds.
static-list:
	@echo $(STATIC_PROGRAMS)

.SECONDEXPANSION:

static-programs: $$(addprefix $(STATIC_DIR)/,$$(STATIC_PROGRAMS))

$(STATIC_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(STATIC_CPPFLAGS) $(STATIC_CFLAGS) -MMD -MP -c $< -o $@

# A program: make picks the rule above for $(STATIC_DIR)/obj/... (shorter stem).
$(STATIC_DIR)/%: $$(call static_objs,$$*) $$(call static_libs,$$*)
	@test -n "$($*_SRCS)" || { echo "static: $* is in STATIC_PROGRAMS but $*_SRCS is empty" >&2; exit 1; }
	$(MUSL_CC) $(STATIC_LDFLAGS) -o $@ $(call static_objs,$*) $($*_LIBS)
	strip $@

# Objects are intermediate files of the pattern chain; keep them for the next run.
.PRECIOUS: $(STATIC_DIR)/obj/%.o

-include $(shell find $(STATIC_DIR)/obj -name '*.d' 2>/dev/null)
