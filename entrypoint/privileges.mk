# entrypoint/privileges: user lookup without NSS, the chown walk, the drop.
PRIV_OBJS := $(B)/obj/entrypoint/privileges.o $(B)/obj/entrypoint/error.o


# Most of the test needs root (chown to uid 999, setuid in a child).
$(B)/tests/test_privileges: $(B)/obj/tests/unit/test_privileges.o $(PRIV_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

UNIT_TESTS += $(B)/tests/test_privileges
