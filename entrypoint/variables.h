/*
 * variables: the table of every environment variable cass-entry reads, and
 * the CASSANDRA_CFG_YAML_<KEY> names.
 *
 * One table drives the parsing (settings.c), --help and the README's table
 * (help.h) and the typo hints (hints.h), so they cannot disagree.  enum
 * var_id indexes it, in the order --help and the README show it.  Every
 * variable NAME also has a NAME_FILE form (envfile.h).
 * CASSANDRA_CFG_YAML_<KEY>: KEY lowercased is a cassandra.yaml key; "__"
 * separates nested keys and a part made of digits is a sequence index:
 * CASSANDRA_CFG_YAML_SEED_PROVIDER__0__CLASS_NAME -> seed_provider[0].class_name.
 * Pure: no I/O.
 */
#ifndef ENTRYPOINT_VARIABLES_H
#define ENTRYPOINT_VARIABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "entrypoint/error.h"

#define VARIABLES_CFG_PREFIX "CASSANDRA_CFG_YAML_"
#define VARIABLES_SEEDS_PATH "seed_provider[0].parameters[0].seeds"

/* One row of the variable table. */
typedef struct {
    const char *name;          /* "CASSANDRA_LISTEN_ADDRESS" */
    const char *default_value; /* the default the parser uses, NULL when none */
    const char *default_doc;   /* how the default is described when it is not a
                                  plain value ("the broadcast address"), or NULL */
    const char *yaml_path;     /* the cassandra.yaml path it drives, NULL if none */
    bool secret;               /* its value is never shown */
    const char *help;          /* one sentence */
} settings_variable;

/* The table, in the order --help and the README show it. */
const settings_variable *settings_variables(size_t *count);

enum var_id {
    V_LISTEN_ADDRESS,
    V_BROADCAST_ADDRESS,
    V_RPC_ADDRESS,
    V_BROADCAST_RPC_ADDRESS,
    V_LISTEN_SUBNET,
    V_SEEDS,
    V_SEED_WAIT,
    V_CLUSTER_NAME,
    V_NUM_TOKENS,
    V_ENDPOINT_SNITCH,
    V_AUTHENTICATOR,
    V_AUTHORIZER,
    V_DC,
    V_RACK,
    V_START_RPC,
    V_CQL_PORT,
    V_TRANSPORT_PORT,
    V_MAX_HEAP_SIZE,
    V_HEAP_NEWSIZE,
    V_CONF,
    V_USER,
    V_PASSWORD,
    V_ALLOW_DEFAULT_SUPERUSER,
    V_KEYSPACE,
    V_ROLES,
    V_TLS_CERT,
    V_TLS_KEY,
    V_TLS_KEY_PASSWORD,
    V_TLS_CA,
    V_CLIENT_ENCRYPTION,
    V_CLIENT_AUTH,
    V_INTERNODE_ENCRYPTION,
    V_INTERNODE_VERIFY,
    V_TLS_STORE,
    V_COUNT
};

/* The table, in the order --help and the README show it; indexed by var_id. */
extern const settings_variable variables_table[V_COUNT];

/* The same, with its length (for help.c and main.c). */
const settings_variable *settings_variables(size_t *count);

/* CASSANDRA_CFG_YAML_SEED_PROVIDER__0__CLASS_NAME -> "seed_provider[0].class_name"
 * (malloc'd).  False with a message naming the variable when the name is not
 * of that form. */
bool settings_cfg_yaml_path(const char *name, char **path, entry_error *err);

/* True when a yaml path's keys look like they hold a secret (password, secret,
 * credential, a *_token other than initial_token): its value is shown as ***. */
bool settings_path_looks_secret(const char *path);

#endif
