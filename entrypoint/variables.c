/* variables: the table of variables and the CASSANDRA_CFG_YAML_ names.  See variables.h. */
#include "entrypoint/variables.h"

#include "entrypoint/redact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const settings_variable variables_table[V_COUNT] = {
    [V_LISTEN_ADDRESS] = {"CASSANDRA_LISTEN_ADDRESS", "auto", NULL, "listen_address", false,
        "Address (or interface name, or host name) other nodes reach this node at; "
        "auto picks this container's address."},
    [V_BROADCAST_ADDRESS] = {"CASSANDRA_BROADCAST_ADDRESS", NULL, "the listen address",
        "broadcast_address", false,
        "Address announced to other nodes (auto, an address, a host name or an interface)."},
    [V_RPC_ADDRESS] = {"CASSANDRA_RPC_ADDRESS", "0.0.0.0", NULL, "rpc_address", false,
        "Address the CQL server binds to (or an interface name)."},
    [V_BROADCAST_RPC_ADDRESS] = {"CASSANDRA_BROADCAST_RPC_ADDRESS", NULL,
        "the broadcast address", "broadcast_rpc_address", false,
        "Address announced to clients; never a wildcard."},
    [V_LISTEN_SUBNET] = {"CASSANDRA_LISTEN_SUBNET", NULL, NULL, NULL, false,
        "Network (CIDR, IPv4 or IPv6) in which auto picks the address, for containers "
        "on several networks."},
    [V_SEEDS] = {"CASSANDRA_SEEDS", NULL, "the broadcast address", VARIABLES_SEEDS_PATH, false,
        "Comma-separated seeds: host, host:port, [v6]:port, v6.  A seed list given as "
        "arguments wins."},
    [V_SEED_WAIT] = {"CASSANDRA_SEED_WAIT", "60", NULL, NULL, false,
        "Seconds to wait, before starting, for each seed's name to resolve (0: no wait)."},
    [V_CLUSTER_NAME] = {"CASSANDRA_CLUSTER_NAME", NULL, NULL, "cluster_name", false,
        "Name of the cluster; every node must have the same."},
    [V_NUM_TOKENS] = {"CASSANDRA_NUM_TOKENS", NULL, NULL, "num_tokens", false,
        "Number of tokens of this node (1 to 1536)."},
    [V_ENDPOINT_SNITCH] = {"CASSANDRA_ENDPOINT_SNITCH", NULL, NULL, "endpoint_snitch", false,
        "Snitch class, e.g. GossipingPropertyFileSnitch."},
    [V_AUTHENTICATOR] = {"CASSANDRA_AUTHENTICATOR", NULL, NULL, "authenticator", false,
        "Authenticator class, e.g. PasswordAuthenticator (set as authenticator.class_name "
        "where the file has that form, 5.0+)."},
    [V_AUTHORIZER] = {"CASSANDRA_AUTHORIZER", NULL, NULL, "authorizer", false,
        "Authorizer class, e.g. CassandraAuthorizer (authorizer.class_name where the file "
        "has that form)."},
    [V_DC] = {"CASSANDRA_DC", NULL, NULL, NULL, false,
        "Data center, written as dc= in cassandra-rackdc.properties."},
    [V_RACK] = {"CASSANDRA_RACK", NULL, NULL, NULL, false,
        "Rack, written as rack= in cassandra-rackdc.properties."},
    [V_START_RPC] = {"CASSANDRA_START_RPC", NULL, NULL, "start_rpc", false,
        "true/false: start the Thrift server (only versions before 4.0 have it)."},
    [V_CQL_PORT] = {"CASSANDRA_CQL_PORT_NUMBER", NULL, NULL, "native_transport_port", false,
        "CQL (native transport) port."},
    [V_TRANSPORT_PORT] = {"CASSANDRA_TRANSPORT_PORT_NUMBER", NULL, NULL, "storage_port", false,
        "Inter-node (storage) port."},
    [V_MAX_HEAP_SIZE] = {"MAX_HEAP_SIZE", NULL, "from the container's memory limit",
        NULL, false, "Java heap size (e.g. 2G), passed to cassandra-env.sh."},
    [V_HEAP_NEWSIZE] = {"HEAP_NEWSIZE", NULL, "from the container's limits (CMS only)",
        NULL, false, "Young generation size (e.g. 200M), passed to cassandra-env.sh."},
    [V_CONF] = {"CASSANDRA_CONF", "/etc/cassandra", NULL, NULL, false,
        "Configuration directory (as in the official image); --conf wins."},
    [V_USER] = {"CASSANDRA_USER", "cassandra", NULL, NULL, false,
        "Superuser that CASSANDRA_PASSWORD sets on a new cluster's first start, once per "
        "cluster; any other name replaces the default cassandra role, which loses its login."},
    [V_PASSWORD] = {"CASSANDRA_PASSWORD", NULL, NULL, NULL, true,
        "Password of CASSANDRA_USER (better: CASSANDRA_PASSWORD_FILE).  Switches on "
        "PasswordAuthenticator and CassandraAuthorizer unless CASSANDRA_AUTHENTICATOR says otherwise."},
    [V_ALLOW_DEFAULT_SUPERUSER] = {"CASSANDRA_ALLOW_DEFAULT_SUPERUSER", "no", NULL, NULL, false,
        "yes: a new node with PasswordAuthenticator may start without CASSANDRA_PASSWORD, "
        "keeping the well-known cassandra/cassandra (otherwise that is exit 78)."},
    [V_KEYSPACE] = {"CASSANDRA_KEYSPACE", NULL, NULL, NULL, false,
        "Keyspace created once per cluster on first start (SimpleStrategy, as many "
        "replicas as nodes, up to 3)."},
    [V_ROLES] = {"CASSANDRA_ROLES", NULL, NULL, NULL, true,
        "Login roles created once per cluster on first start: name:password pairs separated by "
        "commas; each gets all permissions on CASSANDRA_KEYSPACE when that is set."},
    [V_TLS_CERT] = {"CASSANDRA_TLS_CERT", NULL, NULL, NULL, false,
        "PEM certificate chain of this node (this node's certificate first), for client and "
        "internode TLS (better: CASSANDRA_TLS_CERT_FILE)."},
    [V_TLS_KEY] = {"CASSANDRA_TLS_KEY", NULL, NULL, NULL, true,
        "PEM private key of that certificate, PKCS#8 (BEGIN PRIVATE KEY, or BEGIN ENCRYPTED "
        "PRIVATE KEY with CASSANDRA_TLS_KEY_PASSWORD); better: CASSANDRA_TLS_KEY_FILE."},
    [V_TLS_KEY_PASSWORD] = {"CASSANDRA_TLS_KEY_PASSWORD", NULL, NULL, NULL, true,
        "Password of an encrypted CASSANDRA_TLS_KEY (better: CASSANDRA_TLS_KEY_PASSWORD_FILE)."},
    [V_TLS_CA] = {"CASSANDRA_TLS_CA", NULL, NULL, NULL, false,
        "PEM bundle of the CA certificates that clients' and other nodes' certificates must "
        "chain to; this node's certificate must chain to it too (better: CASSANDRA_TLS_CA_FILE)."},
    [V_CLIENT_ENCRYPTION] = {"CASSANDRA_CLIENT_ENCRYPTION", "off", NULL, NULL, false,
        "off, optional (TLS and plain CQL on the native port) or required (TLS only): "
        "client_encryption_options with the PEM files (4.1+) or PKCS#12 stores (before; CASSANDRA_TLS_STORE)."},
    [V_CLIENT_AUTH] = {"CASSANDRA_CLIENT_AUTH", "false", NULL, NULL, false,
        "true: clients must present a certificate that chains to CASSANDRA_TLS_CA (mTLS); "
        "needs CASSANDRA_CLIENT_ENCRYPTION."},
    [V_INTERNODE_ENCRYPTION] = {"CASSANDRA_INTERNODE_ENCRYPTION", "none", NULL, NULL, false,
        "none, dc, rack or all: which connections to other nodes use TLS "
        "(server_encryption_options; both sides present a certificate that chains to CASSANDRA_TLS_CA)."},
    [V_INTERNODE_VERIFY] = {"CASSANDRA_INTERNODE_ENDPOINT_VERIFICATION", "false", NULL, NULL,
        false,
        "true: a node checks that the certificate of the node it connects to names that node's "
        "address (require_endpoint_verification, Cassandra 3.6+); needs CASSANDRA_INTERNODE_ENCRYPTION."},
    [V_TLS_STORE] = {"CASSANDRA_TLS_STORE", "auto", NULL, NULL, false,
        "How Cassandra gets the TLS material: pem (the PEM files and PEMBasedSslContextFactory, "
        "4.1+), pkcs12 (PKCS#12 keystore and truststore written by cass-entry, mode 0600, with a "
        "password of their own), or auto: pem on 4.1 and later, pkcs12 before."},
};

const settings_variable *settings_variables(size_t *count)
{
    *count = V_COUNT;
    return variables_table;
}

bool settings_cfg_yaml_path(const char *name, char **path, entry_error *err)
{
    *path = NULL;
    size_t plen = strlen(VARIABLES_CFG_PREFIX);
    if (strncmp(name, VARIABLES_CFG_PREFIX, plen) != 0 || name[plen] == '\0')
        return entry_reject(err, EX_CONFIG, "%s: expected %s<KEY>", name, VARIABLES_CFG_PREFIX);
    const char *rest = name + plen;
    size_t cap = strlen(rest) * 2 + 8; /* "__" -> "." or "[" + "]": never longer than this */
    char *out = malloc(cap), *o = out;
    if (!out)
        return entry_no_memory(err);
    bool first = true;
    for (const char *part = rest;; first = false) {
        const char *end = strstr(part, "__");
        size_t len = end ? (size_t)(end - part) : strlen(part);
        bool digits = len > 0;
        for (size_t k = 0; k < len; k++) {
            if (!isalnum((unsigned char)part[k]) && part[k] != '_') {
                free(out);
                return entry_reject(err, EX_CONFIG,
                            "%s: only letters, digits and _ can name a yaml key", name);
            }
            digits = digits && isdigit((unsigned char)part[k]);
        }
        if (len == 0 || (digits && first)) {
            free(out);
            return entry_reject(err, EX_CONFIG,
                        "%s: %s; write %sKEY__SUBKEY__0__KEY", name,
                        len == 0 ? "empty key between '__' separators"
                                 : "the first part must be a key, not an index",
                        VARIABLES_CFG_PREFIX);
        }
        if (digits) {
            *o++ = '[';
        } else if (!first) {
            *o++ = '.';
        }
        for (size_t k = 0; k < len; k++)
            *o++ = (char)tolower((unsigned char)part[k]);
        if (digits)
            *o++ = ']';
        if (!end)
            break;
        part = end + 2;
    }
    *o = '\0';
    *path = out;
    return true;
}

bool settings_path_looks_secret(const char *path)
{
    return redact_key_looks_secret(path);
}
