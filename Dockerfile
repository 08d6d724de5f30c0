# The product image: a Cassandra image with cass-entry as its ENTRYPOINT.
#
#   make static
#   docker build -t cass-entry:5.0 .                                  # on the official image
#   docker build --build-arg BASE_IMAGE=cass-entry/cassandra:5.0.1 \
#                -t cass-entry:5.0.1 .                                 # on the locally built base
#
# Both bases lay Cassandra out the same way (/opt/cassandra, CASSANDRA_CONF=
# /etc/cassandra, user cassandra 999).  The binaries
# are static: no shell or library is needed in the image for them to work.
ARG BASE_IMAGE=cassandra:5.0
FROM ${BASE_IMAGE}

COPY build/static/cass-entry build/static/yamlpatch /usr/local/bin/

# Setting ENTRYPOINT clears the CMD inherited from the base image, so it is
# stated again: `docker run IMAGE` runs `cass-entry cassandra -f`, and
# `docker run IMAGE cass1` replaces it with a seed list, as the original
# start.sh took it.
ENTRYPOINT ["/usr/local/bin/cass-entry"]
CMD ["cassandra", "-f"]

# Ready = the native transport answers a CQL OPTIONS request.  Give
# `docker stop` time to drain (e.g. -t 120): Docker's 10 s is not enough.
HEALTHCHECK --interval=10s --timeout=5s --start-period=180s --retries=3 \
    CMD ["/usr/local/bin/cass-entry", "--probe"]
