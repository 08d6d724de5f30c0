/*
 * cql/session: a small CQL client for cass-entry's first-start work - one
 * connection, one request at a time (stream 1), protocol v4.
 *
 * It opens a connection (STARTUP; SASL PLAIN when the node asks for
 * authentication, as PasswordAuthenticator does), runs QUERY with positional
 * values at a given consistency (a serial consistency for lightweight
 * transactions), and returns results whole: column names and types, and the
 * cells as byte ranges into the reply.  No paging, no compression, no
 * prepared statements: first-start statements are few and their results small.
 *
 * Every call is bounded by its timeout.  Nothing here prints; a password is
 * never part of an error message.
 */
#ifndef CQL_SESSION_H
#define CQL_SESSION_H

#include "cql/tls.h"
#include "cql/wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CQL_CL_ANY = 0x0000, CQL_CL_ONE = 0x0001, CQL_CL_TWO = 0x0002, CQL_CL_THREE = 0x0003,
    CQL_CL_QUORUM = 0x0004, CQL_CL_ALL = 0x0005, CQL_CL_LOCAL_QUORUM = 0x0006,
    CQL_CL_EACH_QUORUM = 0x0007, CQL_CL_SERIAL = 0x0008, CQL_CL_LOCAL_SERIAL = 0x0009,
    CQL_CL_LOCAL_ONE = 0x000A
} cql_consistency;

/* A value: bytes as the protocol carries them (len -1: null). */
typedef struct {
    const unsigned char *data;
    int32_t len;
} cql_value;

/* A text value (not NUL-terminated in the frame: the length says). */
cql_value cql_text_value(const char *s);

enum cql_result_kind {
    CQL_RESULT_VOID = 1, CQL_RESULT_ROWS = 2, CQL_RESULT_SET_KEYSPACE = 3,
    CQL_RESULT_PREPARED = 4, CQL_RESULT_SCHEMA_CHANGE = 5
};

typedef struct {
    int kind;            /* enum cql_result_kind */
    size_t n_cols, n_rows;
    char **names;        /* n_cols column names */
    uint16_t *types;     /* n_cols type ids (0x000D varchar, 0x0004 boolean, 0x000C uuid...) */
    cql_value *cells;    /* n_rows * n_cols, row-major, pointing into body */
    unsigned char *body; /* the reply body, owned */
    size_t body_len;
    /* CQL_RESULT_PREPARED: the statement's id (into body) and its '?' count */
    const unsigned char *prepared_id;
    size_t prepared_id_len;
    size_t n_params;
} cql_result;

/* Parse a RESULT body (what follows the header).  Takes ownership of body
 * (freed by cql_result_free, or here on failure). */
cql_status cql_parse_result(unsigned char *body, size_t len, cql_result *out, cql_error *err);
void cql_result_free(cql_result *r);

/* The cell at row, col (NULL when out of range). */
const cql_value *cql_cell(const cql_result *r, size_t row, size_t col);
/* A cell's column by name (-1: no such column). */
int cql_column(const cql_result *r, const char *name);
/* A text cell as a new NUL-terminated string (NULL: null cell or out of memory). */
char *cql_value_text(const cql_value *v);
/* A boolean cell (false when null). */
bool cql_value_bool(const cql_value *v);
/* A uuid cell as 36 characters and a NUL ("" when null or not 16 bytes). */
void cql_value_uuid(const cql_value *v, char out[37]);

typedef struct cql_session cql_session;

/* Connect and start a session.  user/password may be NULL when the node
 * needs no authentication; a node that asks for it then fails the open with
 * CQL_ERR_SERVER naming the authenticator.  A refused login is CQL_ERR_SERVER
 * with server_code 0x0100. */
cql_status cql_session_open(const char *host, unsigned port, const char *user,
                            const char *password, int timeout_ms, cql_session **out,
                            cql_error *err);
/* The same over TLS when tls is not NULL (cql/tls.h), the handshake within
 * the same timeout. */
cql_status cql_session_open_tls(const char *host, unsigned port, const cql_tls_config *tls,
                                const char *user, const char *password, int timeout_ms,
                                cql_session **out, cql_error *err);
void cql_session_close(cql_session *s);
/* Whether the node asked for (and took) credentials. */
bool cql_session_authenticated(const cql_session *s);

/* Run one statement.  values: n positional values bound to its '?' markers.
 * serial: the serial consistency for a conditional statement (0: the node's
 * default, SERIAL).  out may be NULL; else it is filled (free with
 * cql_result_free) on success. */
cql_status cql_query(cql_session *s, const char *query, cql_consistency consistency,
                     cql_consistency serial, const cql_value *values, size_t n,
                     int timeout_ms, cql_result *out, cql_error *err);

/* A prepared statement: the node's id for it and how many values it takes. */
typedef struct {
    unsigned char id[64];
    size_t id_len;
    size_t n_params;
} cql_prepared;

/* PREPARE the statement once, EXECUTE it with values as often as wanted:
 * the text is parsed once and the values never go into it.  An EXECUTE the
 * node no longer knows (UNPREPARED, 0x2500: the node restarted, or its cache
 * dropped it) is CQL_ERR_SERVER with that code; prepare again.  raw, when
 * not NULL, gets the whole PREPARED result (free it with cql_result_free). */
cql_status cql_prepare(cql_session *s, const char *query, int timeout_ms, cql_prepared *out,
                       cql_result *raw, cql_error *err);
cql_status cql_execute(cql_session *s, const cql_prepared *p, cql_consistency consistency,
                       cql_consistency serial, const cql_value *values, size_t n, int timeout_ms,
                       cql_result *out, cql_error *err);

/* Wait until every node this one knows (system.local and system.peers) shows
 * the same schema version, or timeout_ms passes (CQL_ERR_TIMEOUT naming the
 * versions seen). */
cql_status cql_schema_agreement(cql_session *s, int timeout_ms, cql_error *err);

#endif
