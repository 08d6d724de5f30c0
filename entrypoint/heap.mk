# entrypoint: the container's limits, the installed Cassandra version and the
# heap sized from them (limits.c, version.c, heap.c), their cmocka tests, and
# the heap-env driver that tests/suites/heap.sh feeds to the real
# cassandra-env.sh of every release line.
#
# ENTRY_HEAP_SRCS is for the cass-entry program (and its <name>_SRCS for the
# static build): these three files need nothing but libc.
ENTRY_HEAP_SRCS := entrypoint/limits.c entrypoint/version.c entrypoint/heap.c entrypoint/error.c
ENTRY_HEAP_OBJS := $(ENTRY_HEAP_SRCS:%.c=$(B)/obj/%.o)

$(B)/tests/test_limits: $(B)/obj/tests/unit/test_limits.o $(B)/obj/entrypoint/limits.o $(B)/obj/entrypoint/error.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(B)/tests/test_version: $(B)/obj/tests/unit/test_version.o $(B)/obj/entrypoint/version.o $(B)/obj/entrypoint/error.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(B)/tests/test_heap: $(B)/obj/tests/unit/test_heap.o $(ENTRY_HEAP_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# Not a cmocka test (the unit suite runs test_* only); listed with them so that
# `make all` and `make asan` build it where tests/suites/heap.sh looks for it.
$(B)/tests/heap-env: $(B)/obj/tests/drivers/heap_env.o $(ENTRY_HEAP_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

UNIT_TESTS += $(B)/tests/test_limits $(B)/tests/test_version $(B)/tests/test_heap \
              $(B)/tests/heap-env
