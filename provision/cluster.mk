# provision/cluster.mk: cass-provision, the program, over the engine client
# library of provision/engine.mk.
#   ring     `nodetool status` parsed, ring_ready, the ring table
#   tokens   evenly interleaved Murmur3 initial tokens (up --fresh)
#   nodeexec nodetool, the CQL probe and log excerpts inside a node (exec)
#   gate     the readiness gate of `up`, over either backend (cluster, swarm)
#   replication  keyspaces' replication factors (describecluster), for remove
#   lifecycle  day-2 operations over the node backend (restart, remove)
#   cluster  the plan and its execution: up, status, down
#   swarm    the same on a swarm (one service per node, pinned to its host)
#   pki      the CA and node certificates of up --tls (OpenSSL's libcrypto)
#   main     the command line: build, push, up, status, down
# Dynamic only (libcurl and libarchive have no musl builds here): not in
# STATIC_PROGRAMS.
PROVISION_SRCS := provision/error.c provision/plan.c provision/ring.c provision/tokens.c provision/nodeexec.c provision/gate.c provision/replication.c provision/lifecycle.c provision/cluster.c \
                  provision/swarm.c provision/secretfile.c provision/pki.c provision/main.c
PROVISION_OBJS := $(PROVISION_SRCS:%.c=$(B)/obj/%.o)

# The Cassandra release the project builds lives in image/cassandra.version
# only; the C code gets it from this generated header (default image tags).
$(B)/gen/cassandra_version.h: image/cassandra.version
	@mkdir -p $(dir $@)
	@v=$$(cat $<); case $$v in *[!0-9A-Za-z.-]*|'') echo "$<: not a version: '$$v'" >&2; exit 1 ;; esac; \
	  printf '/* Generated from image/cassandra.version by provision/cluster.mk. */\n#define CASSANDRA_VERSION "%s"\n' "$$v" >$@
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

# The plan alone (cluster_plan_make is pure), but cluster.o carries the
# engine calls too, so the engine library links in.
# The plan is pure: its test links no network library.
$(B)/tests/test_cluster_plan: $(B)/obj/tests/unit/test_cluster_plan.o $(B)/obj/provision/plan.o \
                              $(B)/obj/provision/error.o $(B)/obj/provision/tokens.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

UNIT_TESTS += $(B)/tests/test_ring $(B)/tests/test_replication $(B)/tests/test_pki $(B)/tests/test_tokens $(B)/tests/test_cluster_plan
