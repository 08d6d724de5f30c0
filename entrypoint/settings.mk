# entrypoint/settings.mk: the settings and addrs modules of cass-entry
# (environment + arguments -> the desired settings; this container's
# addresses) and their cmocka tests.  The program itself lists these sources
# in cass-entry.mk.  Both modules need nothing but libc.
ENTRY_SETTINGS_SRCS := entrypoint/settings.c entrypoint/cmdline.c entrypoint/variables.c entrypoint/envfile.c \
                       entrypoint/seeds.c entrypoint/textutil.c entrypoint/hints.c entrypoint/help.c entrypoint/addrs.c entrypoint/redact.c entrypoint/error.c
ENTRY_SETTINGS_OBJS := $(ENTRY_SETTINGS_SRCS:%.c=$(B)/obj/%.o)

$(B)/tests/test_addrs: $(B)/obj/tests/unit/test_addrs.o $(B)/obj/entrypoint/addrs.o $(B)/obj/entrypoint/error.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(B)/tests/test_settings: $(B)/obj/tests/unit/test_settings.o $(ENTRY_SETTINGS_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(B)/tests/test_redact: $(B)/obj/tests/unit/test_redact.o $(B)/obj/entrypoint/redact.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

UNIT_TESTS += $(B)/tests/test_addrs $(B)/tests/test_settings $(B)/tests/test_redact
