# cql: the CQL native-protocol client: the OPTIONS/SUPPORTED readiness probe
# (cass-entry --probe, plain or over TLS with mbedTLS: cql/tls.c), the session and the statement splitter of the first
# start.
CQL_SRCS := cql/wire.c cql/net.c cql/tls.c cql/probe.c cql/session.c cql/split.c
CQL_OBJS := $(CQL_SRCS:%.c=$(B)/obj/%.o)


# The unit test runs little servers in threads on the loopback interface.
$(B)/tests/test_probe: $(B)/obj/tests/unit/test_probe.o $(CQL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -pthread $(MBEDTLS_LIBS)

UNIT_TESTS += $(B)/tests/test_probe

$(B)/tests/test_cql_split: $(B)/obj/tests/unit/test_cql_split.o $(B)/obj/cql/split.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka
UNIT_TESTS += $(B)/tests/test_cql_split

# The cql suite's driver (tests/suites/cql.sh).
$(B)/tests/cql-cli: $(B)/obj/tests/drivers/cql_cli.o $(CQL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(MBEDTLS_LIBS)
PROGRAMS += $(B)/tests/cql-cli

$(B)/tests/test_cql_session: $(B)/obj/tests/unit/test_cql_session.o $(CQL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(MBEDTLS_LIBS)
UNIT_TESTS += $(B)/tests/test_cql_session

# The probe over TLS against a small mbedTLS server in a thread (certificates
# made with the openssl command at test time).
$(B)/tests/test_probe_tls: $(B)/obj/tests/unit/test_probe_tls.o $(CQL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -pthread $(MBEDTLS_LIBS)
UNIT_TESTS += $(B)/tests/test_probe_tls
