# provision/swarm.mk: the swarm half of cass-provision (provision/swarm.c:
# one service per Cassandra node, pinned to the host holding its data) and
# its unit test.  swarm.c uses cluster.c's labels, plan.c's plan and gate.c's
# readiness gate, so the test links them and the engine library.

$(B)/tests/test_swarm: $(B)/obj/tests/unit/test_swarm.o $(B)/obj/provision/swarm.o \
                       $(B)/obj/provision/cluster.o $(B)/obj/provision/plan.o $(B)/obj/provision/error.o $(B)/obj/provision/nodeexec.o $(B)/obj/provision/gate.o $(B)/obj/provision/replication.o $(B)/obj/provision/lifecycle.o $(B)/obj/provision/ring.o \
                       $(B)/obj/provision/tokens.o $(B)/obj/provision/pki.o $(PROVISION_ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(PROVISION_ENGINE_LIBS) -lcrypto

UNIT_TESTS += $(B)/tests/test_swarm
