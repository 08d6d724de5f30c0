# provision/build.mk: cass-provision, its Engine API library, their unit tests
# and test drivers.  Dynamic only (libcurl and libarchive have no musl builds
# here): not in STATIC_PROGRAMS.
#
# 1. The Engine API library ($(PROVISION_ENGINE_LIB), linked with
#    $(PROVISION_ENGINE_LIBS)): the transport and the typed operations.
#      engine_error  the library's error value
#      engine        transport: DOCKER_* settings, libcurl, version negotiation, auth
#      credhelper    registry credentials from docker-credential-* helpers
#      stream        JSON-lines progress streams, exec/log frames
#      buildctx      the build context as a tar (libarchive), .dockerignore
#      docker        the typed operations (images, containers, exec, networks, swarm)
# 2. The program, over the library.
#      error       the program's error value and exit codes
#      plan        what `up` is to do (pure: its test links no network library)
#      ring        `nodetool status` parsed, ring_ready, the ring table
#      tokens      evenly interleaved Murmur3 initial tokens
#      nodeexec    nodetool, the CQL probe and log excerpts inside a node (exec)
#      gate        the readiness gate, over either backend
#      replication keyspaces' replication factors (describecluster), for remove
#      lifecycle   status, restart, remove, down's drain: over the node backend
#      cluster     the one-engine backend: up, status, restart, remove, replace, down
#      swarm       the swarm backend (one service per node, pinned to its host)
#      secretfile  the password file of up --auth
#      pki         the CA and node certificates of up --tls (OpenSSL's libcrypto)
#      main        the command line

# ---- 1. the Engine API library ----
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

# ---- 2. the program ----
PROVISION_SRCS := provision/error.c provision/plan.c provision/ring.c provision/tokens.c \
                  provision/nodeexec.c provision/gate.c provision/replication.c \
                  provision/lifecycle.c provision/cluster.c provision/swarm.c \
                  provision/secretfile.c provision/pki.c provision/main.c
PROVISION_OBJS := $(PROVISION_SRCS:%.c=$(B)/obj/%.o)

# The Cassandra release the project builds lives in image/cassandra.version
# only; the C code gets it from this generated header (default image tags).
$(B)/gen/cassandra_version.h: image/cassandra.version
	@mkdir -p $(dir $@)
	@v=$$(cat $<); case $$v in *[!0-9A-Za-z.-]*|'') echo "$<: not a version: '$$v'" >&2; exit 1 ;; esac; \
	  printf '/* Generated from image/cassandra.version by provision/build.mk. */\n#define CASSANDRA_VERSION "%s"\n' "$$v" >$@
$(B)/obj/provision/main.o $(B)/obj/provision/plan.o: $(B)/gen/cassandra_version.h
$(B)/obj/provision/main.o $(B)/obj/provision/plan.o: CPPFLAGS += -I$(B)/gen

$(B)/cass-provision: $(PROVISION_OBJS) $(PROVISION_ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PROVISION_ENGINE_LIBS) -lcrypto

PROGRAMS += $(B)/cass-provision

$(B)/tests/test_ring: $(B)/obj/tests/unit/test_ring.o $(B)/obj/provision/ring.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(B)/tests/test_replication: $(B)/obj/tests/unit/test_replication.o $(B)/obj/provision/replication.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(B)/tests/test_pki: $(B)/obj/tests/unit/test_pki.o $(B)/obj/provision/pki.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lcrypto

$(B)/tests/test_tokens: $(B)/obj/tests/unit/test_tokens.o $(B)/obj/provision/tokens.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# The plan is pure: its test links no network library.
$(B)/tests/test_cluster_plan: $(B)/obj/tests/unit/test_cluster_plan.o $(B)/obj/provision/plan.o \
                              $(B)/obj/provision/error.o $(B)/obj/provision/tokens.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

UNIT_TESTS += $(B)/tests/test_ring $(B)/tests/test_replication $(B)/tests/test_pki $(B)/tests/test_tokens $(B)/tests/test_cluster_plan

# swarm.c uses cluster.c's labels, plan.c's plan and gate.c's readiness gate,
# and gate.c stands on the engine library (its probes are execs): their tests
# link every provisioner object but main's, and the engine library.
$(B)/tests/test_swarm $(B)/tests/test_gate: $(B)/tests/test_%: $(B)/obj/tests/unit/test_%.o \
        $(filter-out $(B)/obj/provision/main.o $(B)/obj/provision/secretfile.o,$(PROVISION_OBJS)) \
        $(PROVISION_ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(PROVISION_ENGINE_LIBS) -lcrypto

UNIT_TESTS += $(B)/tests/test_swarm $(B)/tests/test_gate
