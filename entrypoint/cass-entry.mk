# cass-entry: the program.  Its modules come from the other entrypoint
# fragments (settings/addresses, limits/version/heap, privileges) and cql/;
# it links the yamlpatch library and libyaml only.
cass-entry_SRCS := entrypoint/main.c entrypoint/error.c entrypoint/configure.c entrypoint/settings.c entrypoint/cmdline.c entrypoint/variables.c \
                   entrypoint/envfile.c entrypoint/seeds.c entrypoint/textutil.c entrypoint/hints.c \
                   entrypoint/help.c entrypoint/redact.c \
                   entrypoint/addrs.c entrypoint/limits.c entrypoint/version.c \
                   entrypoint/heap.c entrypoint/privileges.c entrypoint/firststart.c entrypoint/supervise.c \
                   cql/wire.c cql/net.c cql/probe.c cql/session.c cql/split.c $(YP_LIB_SRCS)
cass-entry_LIBS := -lyaml
CASS_ENTRY_OBJS := $(filter-out $(YP_LIB_SRCS:%.c=$(B)/obj/%.o),$(cass-entry_SRCS:%.c=$(B)/obj/%.o))


$(B)/cass-entry: $(CASS_ENTRY_OBJS) $(YP_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(cass-entry_LIBS)

PROGRAMS        += $(B)/cass-entry
STATIC_PROGRAMS += cass-entry

# The README's variable table comes from the same table as the parser.
$(B)/settings-markdown: $(B)/obj/tests/drivers/settings_markdown.o $(ENTRY_SETTINGS_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^
.PHONY: readme-vars
readme-vars: $(B)/settings-markdown
	@$(B)/settings-markdown
