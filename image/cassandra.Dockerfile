# Cassandra laid out like the official Docker image (docker-library/cassandra),
# minus its shell entrypoint: cass-entry's Dockerfile adds the entrypoint on top.
# Built by image/build-cassandra.sh from a generated context holding:
#   dist/   the distribution, laid out like the release tarball (bin conf lib ...)
# Versions and checksums live in build-cassandra.sh, not here.
FROM cass-entry/base:bookworm

# Fixed ids, as in the official image, so a data volume keeps its owner when it
# moves between this image and the official one.
RUN groupadd -r cassandra --gid=999 && useradd -r -g cassandra --uid=999 cassandra

ENV CASSANDRA_HOME=/opt/cassandra
ENV CASSANDRA_CONF=/etc/cassandra
ENV PATH=$CASSANDRA_HOME/bin:$PATH
ARG CASSANDRA_VERSION
ENV CASSANDRA_VERSION=$CASSANDRA_VERSION

COPY dist/ $CASSANDRA_HOME/

# The official image's directory contract: conf moved to $CASSANDRA_CONF with a
# symlink back; data and logs under /var with symlinks from the tarball's
# default places (bin/cassandra defaults to $CASSANDRA_HOME/data and /logs);
# all three writable by any uid (docker run --user) and owned by cassandra.
# Ends with a smoke test: the JVM starts, finds the jars and reports the version.
RUN set -eux; \
    mkdir -p "$CASSANDRA_CONF" /var/lib/cassandra /var/log/cassandra; \
    mv "$CASSANDRA_HOME/conf"/* "$CASSANDRA_CONF"/; \
    rmdir "$CASSANDRA_HOME/conf"; \
    ln -sT "$CASSANDRA_CONF" "$CASSANDRA_HOME/conf"; \
    ln -sT /var/lib/cassandra "$CASSANDRA_HOME/data"; \
    ln -sT /var/log/cassandra "$CASSANDRA_HOME/logs"; \
    chown -R cassandra:cassandra "$CASSANDRA_CONF" /var/lib/cassandra /var/log/cassandra; \
    chmod 1777 "$CASSANDRA_CONF" /var/lib/cassandra /var/log/cassandra; \
    chmod -R a+rwX "$CASSANDRA_CONF"; \
    if [ -d "$CASSANDRA_HOME/pylib" ]; then python3 -m compileall -q "$CASSANDRA_HOME/pylib"; fi; \
    test "$(cassandra -v)" = "$CASSANDRA_VERSION"

# Class-data sharing (AppCDS) for Cassandra's own classes: the classes a start
# loads, archived once here and mapped by every start (bench/results-appcds.md:
# 0.83 x the time to CQL and 0.79 x its CPU, median of 3 rounds).  The JVM
# archives a class path only when no non-empty directory comes before its jars,
# and Cassandra puts its conf directory first: CASSANDRA_INCLUDE sources
# Cassandra's own include, moves the conf directory to the end (no jar holds a
# resource of that directory's names, so every lookup finds the same file) and
# asks for the archive with -Xshare:auto (a JVM that cannot map it, e.g. after
# a user changed the class path, starts without it).  The archive: a training
# start here as root (-R), loopback only, with -XX:DumpLoadedClassList until
# CQL answers, then java -Xshare:dump from that list on the same class path,
# without its lambda-proxy lines (this JDK crashes archiving them); the
# training's data and logs are removed (Cassandra's include runs without
# set -eu, as bin/cassandra runs it).  The build fails if the archive does
# not map and serve Cassandra's classes (-Xshare:on).
ENV CASSANDRA_INCLUDE=$CASSANDRA_HOME/cds/cassandra.in.sh
RUN set -eux; \
    cds="$CASSANDRA_HOME/cds"; mkdir -p "$cds"; \
    printf '%s\n' \
        '# image/cassandra.Dockerfile: Cassandra'"'"'s include, with class-data sharing' \
        '. "$CASSANDRA_HOME/bin/cassandra.in.sh"' \
        'CLASSPATH="${CLASSPATH#"$CASSANDRA_CONF":}:$CASSANDRA_CONF"' \
        'JVM_OPTS="$JVM_OPTS -XX:SharedArchiveFile=$CASSANDRA_HOME/cds/cassandra.jsa -Xshare:auto"' \
        >"$CASSANDRA_INCLUDE"; \
    MAX_HEAP_SIZE=512M HEAP_NEWSIZE=128M \
    JVM_EXTRA_OPTS="-XX:DumpLoadedClassList=$cds/classes.lst -Dcassandra.ring_delay_ms=1000 -Dcassandra.skip_wait_for_gossip_to_settle=0" \
        cassandra -R -f >"$cds/training.log" 2>&1 & pid=$!; \
    for _ in $(seq 1 300); do \
        grep -q 'Starting listening for CQL clients' "$cds/training.log" && break; \
        kill -0 "$pid" 2>/dev/null || break; \
        sleep 1; \
    done; \
    grep -q 'Starting listening for CQL clients' "$cds/training.log" || { tail -n 40 "$cds/training.log"; exit 1; }; \
    kill -TERM "$pid"; wait "$pid" || true; \
    rm -rf /var/lib/cassandra/* /var/log/cassandra/* "$cds/training.log"; \
    grep -v '^@lambda-proxy' "$cds/classes.lst" >"$cds/classes-archived.lst"; \
    ( set +eux; . "$CASSANDRA_INCLUDE"; \
      exec java -Xshare:dump -XX:+UseG1GC -XX:SharedClassListFile="$cds/classes-archived.lst" \
           -XX:SharedArchiveFile="$cds/cassandra.jsa" -cp "$CLASSPATH" ) >"$cds/dump.log" 2>&1 \
        || { grep -v -i warning "$cds/dump.log" | tail -n 30; exit 1; }; \
    rm -f "$cds/classes.lst" "$cds/classes-archived.lst" "$cds/dump.log"; \
    chmod 0644 "$cds/cassandra.jsa" "$CASSANDRA_INCLUDE"; \
    ( set +eux; . "$CASSANDRA_INCLUDE"; \
      exec java -Xshare:on -XX:SharedArchiveFile="$cds/cassandra.jsa" -Xlog:class+load=info -cp "$CLASSPATH" \
           org.apache.cassandra.tools.GetVersion ) \
        | grep -q 'org.apache.cassandra.utils.FBUtilities source: shared objects file'

VOLUME /var/lib/cassandra

# 7000 intra-node, 7001 TLS intra-node, 7199 JMX, 9042 CQL, 9160 Thrift (gone
# since 4.0; still exposed by the official image, kept for drop-in parity).
EXPOSE 7000 7001 7199 9042 9160

# No ENTRYPOINT: the product image supplies cass-entry.  Without it, note that
# Cassandra refuses to run as root (use --user cassandra, or add -R).
CMD ["cassandra", "-f"]
