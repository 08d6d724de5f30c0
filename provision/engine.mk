# provision/engine.mk: the Docker Engine API client of the provisioner, as a
# static library for cass-provision (provision/*.mk of the cluster logic) and
# for the engine test driver.
#   engine   transport: DOCKER_* settings, libcurl, version negotiation, auth
#   credhelper  registry credentials from docker-credential-* helpers
#   stream   JSON-lines progress streams, exec/log frames
#   buildctx the build context as a tar (libarchive), .dockerignore
#   docker   the typed operations (images, containers, exec, networks, swarm)
# Programs link $(PROVISION_ENGINE_LIB) $(PROVISION_ENGINE_LIBS).
PROVISION_ENGINE_SRCS := provision/engine_error.c provision/engine.c provision/credhelper.c provision/stream.c \
                         provision/buildctx.c provision/docker.c
PROVISION_ENGINE_OBJS := $(PROVISION_ENGINE_SRCS:%.c=$(B)/obj/%.o)
PROVISION_ENGINE_LIB  := $(B)/libprovision-engine.a
PROVISION_ENGINE_LIBS := -lcurl -ljansson -larchive


$(PROVISION_ENGINE_LIB): $(PROVISION_ENGINE_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# The integration suite's drivers (tests/suites/engine.sh): engine-cli over
# the library, and engine-child, the static program of its FROM-scratch test
# image (built without the sanitizers, which can't link statically).  Not
# cmocka tests (the unit suite runs test_* only); listed with them so that
# `make all` and `make asan` build them where the suite looks.
$(B)/tests/engine-cli: $(B)/obj/tests/drivers/engine_cli.o $(PROVISION_ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PROVISION_ENGINE_LIBS)

$(B)/tests/engine-child: tests/drivers/engine_child.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(filter-out $(SAN),$(CFLAGS)) -static -o $@ $<

UNIT_TESTS += $(B)/tests/engine-cli $(B)/tests/engine-child

$(B)/tests/test_stream: $(B)/obj/tests/unit/test_stream.o $(PROVISION_ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(PROVISION_ENGINE_LIBS)

# The test runs a fake daemon in a thread.
$(B)/tests/test_engine: $(B)/obj/tests/unit/test_engine.o $(PROVISION_ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(PROVISION_ENGINE_LIBS) -pthread

$(B)/tests/test_buildctx: $(B)/obj/tests/unit/test_buildctx.o $(PROVISION_ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(PROVISION_ENGINE_LIBS)

UNIT_TESTS += $(B)/tests/test_stream $(B)/tests/test_engine $(B)/tests/test_buildctx
