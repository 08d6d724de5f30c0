# entrypoint/build.mk: cass-entry, the container's entrypoint, its unit tests
# and its test drivers.  Needs cql/ and yamlpatch/ (included before it).
#
# The modules, by what they need:
#   settings   environment + arguments -> what to do: settings (the resolver),
#              addrchain (the address chain), cmdline, variables, envfile, seeds,
#              hints, help, textutil, addrs, redact, error.  libc only.
#   heap       the container's limits, the installed version, the heap:
#              limits, version, heap (+ error).  libc only.
#   privileges the user lookup without NSS, the chown walk, the drop.
#   program    main, configure, firststart, supervise, tls, pkcs12, with the
#              above, cql/ and the yamlpatch library; links libyaml and mbedTLS
#              (tls: the PEM checks; pkcs12: the keystores before 4.1; cql/tls:
#              the probe over TLS).
ENTRY_SETTINGS_SRCS := entrypoint/settings.c entrypoint/addrchain.c entrypoint/cmdline.c entrypoint/variables.c entrypoint/envfile.c \
                       entrypoint/seeds.c entrypoint/textutil.c entrypoint/hints.c entrypoint/help.c \
                       entrypoint/addrs.c entrypoint/redact.c entrypoint/error.c
ENTRY_HEAP_SRCS     := entrypoint/limits.c entrypoint/version.c entrypoint/heap.c entrypoint/error.c
ENTRY_PRIV_SRCS     := entrypoint/privileges.c entrypoint/error.c
ENTRY_MAIN_SRCS     := entrypoint/main.c entrypoint/configure.c entrypoint/firststart.c entrypoint/supervise.c \
                       entrypoint/tls.c entrypoint/pkcs12.c

entry_objs = $(patsubst %.c,$(B)/obj/%.o,$(sort $(1)))
ENTRY_SETTINGS_OBJS := $(call entry_objs,$(ENTRY_SETTINGS_SRCS))
ENTRY_HEAP_OBJS     := $(call entry_objs,$(ENTRY_HEAP_SRCS))
ENTRY_PRIV_OBJS     := $(call entry_objs,$(ENTRY_PRIV_SRCS))

# ---- the program (and its sources for `make static`) ----
cass-entry_SRCS := $(sort $(ENTRY_MAIN_SRCS) $(ENTRY_SETTINGS_SRCS) $(ENTRY_HEAP_SRCS) $(ENTRY_PRIV_SRCS)) \
                   $(CQL_SRCS) $(YP_LIB_SRCS)
cass-entry_LIBS := -lyaml $(MBEDTLS_LIBS)

$(B)/cass-entry: $(call entry_objs,$(filter-out $(YP_LIB_SRCS),$(cass-entry_SRCS))) $(YP_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(cass-entry_LIBS)

PROGRAMS        += $(B)/cass-entry
STATIC_PROGRAMS += cass-entry

# ---- unit tests (cmocka) ----
$(B)/tests/test_addrs: $(B)/obj/tests/unit/test_addrs.o $(call entry_objs,entrypoint/addrs.c entrypoint/error.c)
$(B)/tests/test_settings: $(B)/obj/tests/unit/test_settings.o $(ENTRY_SETTINGS_OBJS)
$(B)/tests/test_redact: $(B)/obj/tests/unit/test_redact.o $(B)/obj/entrypoint/redact.o
$(B)/tests/test_limits: $(B)/obj/tests/unit/test_limits.o $(call entry_objs,entrypoint/limits.c entrypoint/error.c)
$(B)/tests/test_version: $(B)/obj/tests/unit/test_version.o $(call entry_objs,entrypoint/version.c entrypoint/error.c)
$(B)/tests/test_heap: $(B)/obj/tests/unit/test_heap.o $(ENTRY_HEAP_OBJS)
# Most of test_privileges needs root (chown to uid 999, setuid in a child).
$(B)/tests/test_privileges: $(B)/obj/tests/unit/test_privileges.o $(ENTRY_PRIV_OBJS)

# test_oom: every allocation of the _FILE read, the passwd lookup and the
# whole of settings made to fail in turn; the modules' allocation calls are
# sent to the test's allocator.
OOM_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
$(B)/tests/test_oom: $(B)/obj/tests/unit/test_oom.o $(sort $(ENTRY_SETTINGS_OBJS) $(ENTRY_PRIV_OBJS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(OOM_WRAP) -o $@ $^ -lcmocka

ENTRY_UNIT_TESTS := $(addprefix $(B)/tests/,test_addrs test_settings test_redact test_limits \
                                             test_version test_heap test_privileges)
$(ENTRY_UNIT_TESTS):
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# test_tls: the PEM checks (certificates made with the openssl command at
# test time) and the edits of the real cassandra.yaml through configure.
$(B)/tests/test_tls: $(B)/obj/tests/unit/test_tls.o \
                     $(call entry_objs,entrypoint/tls.c entrypoint/pkcs12.c entrypoint/configure.c) $(ENTRY_SETTINGS_OBJS) $(YP_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lyaml $(MBEDTLS_LIBS)
ENTRY_UNIT_TESTS += $(B)/tests/test_tls $(B)/tests/test_oom

# ---- drivers ----
# heap-env: what tests/suites/heap.sh feeds to the real cassandra-env.sh of
# every release line.  Not a cmocka test (the unit suite runs test_* only);
# listed with them so that `make all` and `make asan` build it where the
# suite looks for it.
$(B)/tests/heap-env: $(B)/obj/tests/drivers/heap_env.o $(ENTRY_HEAP_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

UNIT_TESTS += $(ENTRY_UNIT_TESTS) $(B)/tests/heap-env

# The README's variable table comes from the same table as the parser.
$(B)/settings-markdown: $(B)/obj/tests/drivers/settings_markdown.o $(ENTRY_SETTINGS_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^
.PHONY: readme-vars
readme-vars: $(B)/settings-markdown
	@$(B)/settings-markdown

# test_pkcs12: PKCS#12 keystores and truststores written with mbedTLS, read
# back at test time by keytool (Java 17) and the openssl command.
$(B)/tests/test_pkcs12: $(B)/obj/tests/unit/test_pkcs12.o $(call entry_objs,entrypoint/pkcs12.c entrypoint/error.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(MBEDTLS_LIBS)
UNIT_TESTS += $(B)/tests/test_pkcs12
