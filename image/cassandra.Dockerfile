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

VOLUME /var/lib/cassandra

# 7000 intra-node, 7001 TLS intra-node, 7199 JMX, 9042 CQL, 9160 Thrift (gone
# since 4.0; still exposed by the official image, kept for drop-in parity).
EXPOSE 7000 7001 7199 9042 9160

# No ENTRYPOINT: the product image supplies cass-entry.  Without it, note that
# Cassandra refuses to run as root (use --user cassandra, or add -R).
CMD ["cassandra", "-f"]
