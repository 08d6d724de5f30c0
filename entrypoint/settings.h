/*
 * settings: the command line and the environment -> what cass-entry must do.
 *
 * Pure: the only I/O goes through the callbacks in settings_input (reading a
 * _FILE, asking whether a word is a command on PATH, resolving a host name),
 * and the facts about this node's addresses come in as an addrs_facts struct.
 * Tests fake all of them.  Nothing is written anywhere: the result is a
 * description (the mode, the command line, the ordered cassandra.yaml edits,
 * the rack/DC and heap values) that other modules carry out.
 *
 * ---- Precedence (most explicit first) ----
 *   1. --set PATH=VALUE (command-line order; a later one wins), then
 *      CASSANDRA_CFG_YAML_<KEY> variables (in name order);
 *   2. the named variables (CASSANDRA_LISTEN_ADDRESS ...), except that a seed
 *      list given as arguments beats CASSANDRA_SEEDS;
 *   3. the defaults and the default chain.
 * An override whose path is one a named variable drives (listen_address,
 * seed_provider[0].parameters[0].seeds, num_tokens ...; also listen_interface
 * and rpc_interface) takes that variable's place, so it is validated the same
 * way and feeds the default chain (broadcast_address = the overriding
 * listen_address).  An override of a parent path (seed_provider) replaces the
 * edits below it.
 *
 * ---- Environment ----
 * The variables are those of variables.h's table, each also in its NAME_FILE
 * form (envfile.h), plus CASSANDRA_CFG_YAML_<KEY> (variables.h); a CASSANDRA_*
 * variable nothing reads gets a warning note with the closest known name
 * (hints.h).
 *
 * ---- Addresses and the default chain ----
 * listen_address (default auto) -> broadcast_address = listen ->
 * broadcast_rpc_address = broadcast -> seeds = broadcast; rpc_address 0.0.0.0.
 * Each address variable takes:
 *   - "auto": the address addrs_choose() picks (CASSANDRA_LISTEN_SUBNET first,
 *     then /etc/hosts, then the first IPv4, then a global IPv6);
 *   - a numeric IPv4/IPv6 address;
 *   - the name of one of this node's interfaces (eth0): listen and rpc then use
 *     Cassandra's listen_interface / rpc_interface and the _address key is
 *     cleared; broadcast and broadcast_rpc (which have no _interface form) get
 *     that interface's address;
 *   - a host name: listen and rpc must resolve (resolve callback) to one of
 *     this node's addresses and are written as given; the chain continues
 *     with the resolved address.  broadcast and broadcast_rpc are written as
 *     given (they may be a NAT address other nodes reach).
 * When an _address is written its _interface twin is cleared and vice versa
 * (SETTINGS_VALUE_NULL edits, applied only where the file has the key), so a
 * node never ends up with both.
 *
 * ---- Validation (settings_resolve fails; nothing has been written yet) ----
 * wildcard listen/broadcast address; a wildcard broadcast_rpc (always needed a
 * real one here: rpc_address defaults to the wildcard); X_address and
 * X_interface both given; a listen (or rpc) address that is not one of this
 * node's; an interface name that is not this node's; an empty seed list or a
 * malformed seed; a non-numeric or out-of-range port, token count, seed wait,
 * heap size; a malformed CIDR or CASSANDRA_CFG_YAML_ name; NAME and NAME_FILE
 * both set or an unreadable _FILE.  The message names the variable (or
 * option) and never shows a secret value.  Usage errors exit 64 (EX_USAGE),
 * configuration errors 78 (EX_CONFIG), out of memory 71 (EX_OSERR): the code
 * is in the entry_error (entrypoint/error.h).
 */
#ifndef ENTRYPOINT_SETTINGS_H
#define ENTRYPOINT_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "entrypoint/addrs.h"
#include "entrypoint/error.h"
#include "entrypoint/redact.h"
#include "entrypoint/seeds.h"
#include "entrypoint/variables.h"

/* --help and the README's table: entrypoint/help.h. */

typedef enum {
    SETTINGS_RUN = 0,     /* configure cassandra.yaml etc., then exec argv */
    SETTINGS_PASSTHROUGH, /* exec argv untouched, no configuration */
    SETTINGS_PROBE,       /* the CQL readiness probe on conf_dir's native port */
    SETTINGS_HELP,
    SETTINGS_VERSION
} settings_mode;

/* How an edit's value is to be written (maps 1:1 onto yamlpatch's types). */
typedef enum {
    SETTINGS_VALUE_STRING = 0, /* a YAML string: YP_VALUE_STRING */
    SETTINGS_VALUE_INT,        /* YP_VALUE_INT */
    SETTINGS_VALUE_BOOL,       /* "true"/"false": YP_VALUE_BOOL */
    SETTINGS_VALUE_RAW,        /* YAML text as the user typed it (--set,
                                  CASSANDRA_CFG_YAML_*): YP_VALUE_YAML, so 16 is an
                                  int, [a, b] a list, 'x: y' a quoted string */
    SETTINGS_VALUE_NULL        /* clear the key (null); value is NULL.  Only with
                                  if_present: clearing a key the file lacks is moot */
} settings_value_type;

/* One change to cassandra.yaml.  path uses yamlpatch's syntax
 * (seed_provider[0].parameters[0].seeds). */
typedef struct {
    char *path;
    char *value;               /* NULL for SETTINGS_VALUE_NULL */
    settings_value_type type;
    char *origin;              /* for messages: "CASSANDRA_SEEDS", "--set",
                                  "the seed list argument", "default" */
    bool secret;               /* show as *** */
    bool if_present;           /* apply only where the file has the key (set, or a
                                  commented-out template line); never add it.
                                  Used for version-specific keys (start_rpc) and
                                  for clearing an _interface/_address twin. */
    bool class_name_if_map;    /* a pluggable class (authenticator...): where the file
                                  holds it as a map (5.0+: `authenticator:` then
                                  `class_name: ...`), set path.class_name instead */
} settings_edit;

/* A value for another module (rack/DC file, heap), NULL value when unset. */
typedef struct {
    char *value;
    char *origin;
    bool secret;
} settings_value;

/* TLS (CASSANDRA_TLS_*, CASSANDRA_CLIENT_ENCRYPTION, CASSANDRA_CLIENT_AUTH,
 * CASSANDRA_INTERNODE_ENCRYPTION), checked for form only: the modes are
 * known words, and cert, key and CA are all given once any encryption is on
 * (tls.h checks what the PEM holds).  Unused (all NULL, off, none) otherwise. */
typedef enum { SETTINGS_CLIENT_TLS_OFF = 0, SETTINGS_CLIENT_TLS_OPTIONAL,
               SETTINGS_CLIENT_TLS_REQUIRED } settings_client_tls;

typedef struct {
    bool enabled;                     /* client or internode encryption is on */
    settings_client_tls client;
    bool client_auth;                 /* clients must present a certificate */
    char internode[8];                /* "none", "dc", "rack", "all" */
    bool verify_endpoints;            /* peers' certificates must name their addresses */
    char store[8];                    /* CASSANDRA_TLS_STORE: "auto", "pem", "pkcs12" */
    settings_value cert, key, key_password, ca; /* PEM text (key and password secret) */
} settings_tls;

/* The result.  settings_init, then settings_parse_command_line, then (mode
 * SETTINGS_RUN) settings_resolve; settings_free releases everything. */
typedef struct {
    settings_mode mode;
    bool dry_run;
    char *conf_dir;            /* --conf, else CASSANDRA_CONF, else /etc/cassandra
                                  (RUN and PROBE; NULL otherwise) */
    char **argv;               /* the command to exec, NULL-terminated */
    size_t argc;

    /* From settings_resolve: */
    settings_edit *edits;      /* in application order */
    size_t n_edits;
    settings_seed *seeds;      /* the final seed list, parsed */
    size_t n_seeds;
    settings_value dc, rack;   /* CASSANDRA_DC / CASSANDRA_RACK, trimmed */
    settings_value max_heap_size, heap_newsize; /* for cassandra-env.sh */
    settings_value user, password;  /* the superuser for the first start (user: default cassandra) */
    settings_value keyspace, roles; /* CASSANDRA_KEYSPACE, CASSANDRA_ROLES */
    bool allow_default_superuser;   /* CASSANDRA_ALLOW_DEFAULT_SUPERUSER=yes */
    unsigned seed_wait;        /* CASSANDRA_SEED_WAIT seconds (default 60) */
    settings_tls tls;          /* client and internode encryption */
    char **notes;              /* for the log, one line each: why each address was chosen;
                                  "warning: ..." for a CASSANDRA_* variable nothing reads */
    size_t n_notes;

    /* Kept between the two steps. */
    char *seed_arg;            /* the seed-list arguments joined by ',' */
    char **sets;               /* the --set PATH=VALUE words, in order */
    size_t n_sets;
    redact_list secrets;       /* every value never to show: from NAME_FILE, at a
                                  secret-looking key, inside a value at such a key;
                                  filled as they are read, so an error can be masked */
} settings;

/* What the parser may look at and the I/O it may do.  A NULL callback means the
 * real implementation named beside it. */
typedef struct {
    int argc;
    char *const *argv;         /* argv[0] is the program */
    char *const *envp;         /* "NAME=value" strings, NULL-terminated */
    const addrs_facts *facts;  /* this node's addresses; settings_resolve needs it */

    /* Is `name` (no '/') an executable on path_env (PATH's value, may be NULL)?
     * Real: settings_command_on_path (cmdline.h). */
    bool (*is_command)(void *ctx, const char *name, const char *path_env);
    /* Read a whole file into a malloc'd NUL-terminated buffer; false with a
     * reason in err (EX_OSERR: out of memory; EX_CONFIG: the file named
     * cannot be read).  Real: envfile_read_file (envfile.h). */
    bool (*read_file)(void *ctx, const char *path, char **out, entry_error *err);
    /* Resolve a host name; returns how many addresses it wrote.
     * Real: addrs_resolve. */
    size_t (*resolve)(void *ctx, const char *name, addrs_ip *out, size_t max);
    void *ctx;                 /* handed to every callback */
} settings_input;

void settings_init(settings *s);
void settings_free(settings *s);

/* Step 1, the command line: cmdline.h (settings_parse_command_line). */

/* Step 2 (SETTINGS_RUN): the environment, the overrides, the address choice,
 * the default chain and every validation; fills edits, seeds, dc/rack, heap,
 * seed_wait and notes.  On failure s still owns what it holds (settings_free). */
bool settings_resolve(const settings_input *in, settings *s, entry_error *err);

/* The pieces, each a module of its own: the variable table and the
 * CASSANDRA_CFG_YAML_ names (variables.h), NAME_FILE (envfile.h), seed lists
 * (seeds.h), the command line (cmdline.h), the typo hints (hints.h), --help
 * (help.h). */

#endif
