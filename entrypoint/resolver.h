/*
 * resolver: the state of settings_resolve (step 2 of settings.h) that its
 * parts share: the slots of the named variables, the overrides, and the
 * helpers that record a value, an edit or a note.  Internal to settings.c and
 * addrchain.c; nothing else includes it.
 */
#ifndef ENTRYPOINT_RESOLVER_H
#define ENTRYPOINT_RESOLVER_H

#include "entrypoint/addrs.h"
#include "entrypoint/error.h"
#include "entrypoint/settings.h"
#include "entrypoint/variables.h"

#include <stdbool.h>
#include <stddef.h>

/* Overrides of these two paths take the place of the listen/rpc variable in
 * its interface form; they get slots after the table's. */
enum { S_LISTEN_IFACE = V_COUNT, S_RPC_IFACE, S_COUNT };

typedef struct {
    char *value;   /* NULL: unset */
    char *origin;  /* the variable name, "--set" or "the seed list argument" */
    bool secret;
    bool override; /* came from --set or CASSANDRA_CFG_YAML_ */
} slot;

typedef struct {
    char *path, *value, *origin;
    bool secret;
} override;

typedef struct {
    const settings_input *in;
    settings *s;
    entry_error *err;
    slot slots[S_COUNT];
    override *ovr;
    size_t n_ovr;
    /* The "auto" address, chosen once for every variable that asks. */
    bool auto_done;
    addrs_ip auto_ip;
} resolver;

/* What a message may show of a value. */
static inline const char *resolver_shown(const char *value, bool secret)
{
    return secret ? "***" : value;
}

/* Set slot id; takes ownership of value, also when it fails (a secret one is
 * also registered for redaction).  false: out of memory, in r->err. */
bool resolver_slot_set(resolver *r, int id, char *value, const char *origin, bool secret,
                       bool is_override);

/* A note for the log ("auto address ...").  false: out of memory. */
bool resolver_note(resolver *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append an edit of cassandra.yaml; it replaces the earlier edits of path or
 * below it, so each path is written once. */
bool resolver_add_edit(resolver *r, const char *path, const char *value, settings_value_type type,
                       const char *origin, bool secret, bool if_present);

/* An edit of the named variable id's path, its origin the slot's (or
 * "NAME (default)" when unset). */
bool resolver_add_slot_edit(resolver *r, int id, const char *value, settings_value_type type,
                            bool if_present, bool secret);

#endif
