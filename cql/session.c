/* cql/session: see session.h.  Frame layouts: native_protocol_v4.spec,
 * sections 4.1.1 (STARTUP), 4.1.2 (AUTH_RESPONSE), 4.1.4 (QUERY), 4.2.5
 * (RESULT) and 6 (SASL PLAIN, as PasswordAuthenticator takes it). */
#include "cql/session.h"

#include "cql/net.h"
#include "cql/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Largest reply body accepted: far above what first-start statements get. */
enum { MAX_BODY = 64 * 1024 * 1024 };
enum { STREAM = 1 };

struct cql_session {
    cql_channel ch;           /* the socket, and its TLS session when there is one */
    bool authenticated;
    char addr[96];
};

cql_value cql_text_value(const char *s)
{
    return (cql_value){ (const unsigned char *)s, s ? (int32_t)strlen(s) : -1 };
}

/* ---- results ---- */

void cql_result_free(cql_result *r)
{
    if (!r) return;
    if (r->names)
        for (size_t i = 0; i < r->n_cols; i++) free(r->names[i]);
    free(r->names);
    free(r->types);
    free(r->cells);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* [option]: a type id and, for collections, UDTs and tuples, what they hold.
 * Only the outer id is kept. */
static bool skip_option(cql_reader *rd, uint16_t *id, int depth)
{
    const unsigned char *s;
    size_t len;
    uint16_t n, inner;
    if (depth > 16 || !cql_read_u16(rd, id)) return false;
    switch (*id) {
    case 0x0000: return cql_read_string(rd, &s, &len);                 /* custom: class name */
    case 0x0020: case 0x0022: return skip_option(rd, &inner, depth + 1); /* list, set */
    case 0x0021: return skip_option(rd, &inner, depth + 1) && skip_option(rd, &inner, depth + 1);
    case 0x0030:                                                        /* UDT */
        if (!cql_read_string(rd, &s, &len) || !cql_read_string(rd, &s, &len) || !cql_read_u16(rd, &n))
            return false;
        for (unsigned i = 0; i < n; i++)
            if (!cql_read_string(rd, &s, &len) || !skip_option(rd, &inner, depth + 1)) return false;
        return true;
    case 0x0031:                                                        /* tuple */
        if (!cql_read_u16(rd, &n)) return false;
        for (unsigned i = 0; i < n; i++)
            if (!skip_option(rd, &inner, depth + 1)) return false;
        return true;
    }
    return true;
}

static cql_status parse_rows(cql_reader *rd, cql_result *out, cql_error *err)
{
    uint32_t flags, ncols, nrows;
    const unsigned char *s;
    size_t len;
    if (!cql_read_u32(rd, &flags) || !cql_read_u32(rd, &ncols) || ncols > 4096)
        return cql_fail(err, CQL_ERR_PROTOCOL, "malformed rows metadata");
    if (flags & 0x0002) { /* has_more_pages: a paging state we do not use */
        int32_t n;
        if (!cql_read_bytes(rd, &s, &n)) return cql_fail(err, CQL_ERR_PROTOCOL, "malformed paging state");
    }
    bool global = flags & 0x0001, no_metadata = flags & 0x0004;
    if (!no_metadata && global &&
        (!cql_read_string(rd, &s, &len) || !cql_read_string(rd, &s, &len)))
        return cql_fail(err, CQL_ERR_PROTOCOL, "malformed table spec");
    out->n_cols = ncols;
    out->names = calloc(ncols ? ncols : 1, sizeof *out->names);
    out->types = calloc(ncols ? ncols : 1, sizeof *out->types);
    if (!out->names || !out->types) return cql_fail(err, CQL_ERR_NOMEM, "out of memory");
    for (uint32_t c = 0; c < ncols && !no_metadata; c++) {
        if (!global && (!cql_read_string(rd, &s, &len) || !cql_read_string(rd, &s, &len)))
            return cql_fail(err, CQL_ERR_PROTOCOL, "malformed column %u spec", c + 1);
        if (!cql_read_string(rd, &s, &len) || !skip_option(rd, &out->types[c], 0))
            return cql_fail(err, CQL_ERR_PROTOCOL, "malformed column %u spec", c + 1);
        out->names[c] = strndup((const char *)s, len);
        if (!out->names[c]) return cql_fail(err, CQL_ERR_NOMEM, "out of memory");
    }
    if (!cql_read_u32(rd, &nrows) || nrows > (uint32_t)(rd->end - rd->p) / 4 + 1)
        return cql_fail(err, CQL_ERR_PROTOCOL, "malformed row count");
    out->n_rows = nrows;
    size_t cells = (size_t)nrows * ncols;
    out->cells = calloc(cells ? cells : 1, sizeof *out->cells);
    if (!out->cells) return cql_fail(err, CQL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < cells; i++)
        if (!cql_read_bytes(rd, &out->cells[i].data, &out->cells[i].len))
            return cql_fail(err, CQL_ERR_PROTOCOL, "rows end inside cell %zu of %zu", i + 1, cells);
    return CQL_OK;
}

/* PREPARED: [short bytes] id, then the statement's metadata: [int] flags,
 * [int] columns (its '?' markers), [int] pk_count and as many [short]; the
 * column specs and the result metadata follow (not needed here). */
static cql_status parse_prepared(cql_reader *rd, cql_result *out, cql_error *err)
{
    const unsigned char *id;
    size_t id_len;
    uint32_t flags, cols, pks;
    if (!cql_read_short_bytes(rd, &id, &id_len) || id_len == 0 || id_len > sizeof ((cql_prepared *)0)->id ||
        !cql_read_u32(rd, &flags) || !cql_read_u32(rd, &cols) || cols > 65535 || !cql_read_u32(rd, &pks) ||
        pks > cols || !cql_read_skip(rd, (size_t)pks * 2))
        return cql_fail(err, CQL_ERR_PROTOCOL, "malformed PREPARED result");
    out->prepared_id = id;
    out->prepared_id_len = id_len;
    out->n_params = cols;
    return CQL_OK;
}

cql_status cql_parse_result(unsigned char *body, size_t len, cql_result *out, cql_error *err)
{
    memset(out, 0, sizeof *out);
    out->body = body;
    out->body_len = len;
    cql_reader rd = { body, body + len };
    uint32_t kind;
    if (!cql_read_u32(&rd, &kind)) {
        cql_result_free(out);
        return cql_fail(err, CQL_ERR_PROTOCOL, "RESULT body too short for its kind");
    }
    out->kind = (int)kind;
    cql_status st = CQL_OK;
    if (kind == CQL_RESULT_ROWS) st = parse_rows(&rd, out, err);
    else if (kind == CQL_RESULT_PREPARED) st = parse_prepared(&rd, out, err);
    else if (kind < CQL_RESULT_VOID || kind > CQL_RESULT_SCHEMA_CHANGE)
        st = cql_fail(err, CQL_ERR_PROTOCOL, "RESULT of unknown kind %u", (unsigned)kind);
    if (st != CQL_OK) cql_result_free(out);
    return st;
}

const cql_value *cql_cell(const cql_result *r, size_t row, size_t col)
{
    if (row >= r->n_rows || col >= r->n_cols) return NULL;
    return &r->cells[row * r->n_cols + col];
}

int cql_column(const cql_result *r, const char *name)
{
    for (size_t c = 0; c < r->n_cols; c++)
        if (r->names[c] && strcmp(r->names[c], name) == 0) return (int)c;
    return -1;
}

char *cql_value_text(const cql_value *v)
{
    if (!v || v->len < 0) return NULL;
    return strndup((const char *)v->data, (size_t)v->len);
}

bool cql_value_bool(const cql_value *v)
{
    return v && v->len == 1 && v->data[0] != 0;
}

void cql_value_uuid(const cql_value *v, char out[37])
{
    out[0] = '\0';
    if (!v || v->len != 16) return;
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        p += sprintf(p, "%02x", v->data[i]);
    }
}

/* ---- the connection ---- */

/* Send a finished frame, read the reply to it.  *body is the reply body
 * (owned by the caller), past any warnings, tracing id or custom payload. */
static cql_status exchange(cql_session *s, cql_writer *w, int64_t deadline, cql_frame_header *h,
                           unsigned char **body, size_t *body_len, cql_error *err)
{
    *body = NULL;
    if (!cql_write_finish(w)) {
        cql_writer_free(w);
        return cql_fail(err, CQL_ERR_NOMEM, "out of memory (or a statement too long)");
    }
    cql_status st = cql_channel_send(&s->ch, w->data, w->len, deadline, s->addr, err);
    cql_writer_free(w);
    for (; st == CQL_OK;) {
        unsigned char hdr[CQL_HEADER_LEN];
        if ((st = cql_channel_recv(&s->ch, hdr, sizeof hdr, deadline, s->addr, err)) != CQL_OK) break;
        cql_header_decode(hdr, h);
        if (!(h->version & CQL_RESPONSE_BIT) || (h->version & 0x7f) != 4)
            return cql_fail(err, CQL_ERR_PROTOCOL, "%s: not a v4 reply (version byte 0x%02x)",
                            s->addr, h->version);
        if (h->length > MAX_BODY)
            return cql_fail(err, CQL_ERR_PROTOCOL, "%s: a %lu-byte reply body", s->addr,
                            (unsigned long)h->length);
        unsigned char *b = malloc(h->length ? h->length : 1);
        if (!b) return cql_fail(err, CQL_ERR_NOMEM, "out of memory");
        if ((st = cql_channel_recv(&s->ch, b, h->length, deadline, s->addr, err)) != CQL_OK) {
            free(b);
            break;
        }
        if (h->stream != STREAM) { /* an event or a stray reply: not ours */
            free(b);
            continue;
        }
        cql_reader rd = { b, b + h->length };
        const unsigned char *x;
        size_t n;
        int32_t bn;
        uint16_t count;
        bool ok = true;
        if (h->flags & 0x02) ok = cql_read_skip(&rd, 16); /* tracing id */
        if (ok && (h->flags & 0x08)) {                    /* warnings: [string list] */
            ok = cql_read_u16(&rd, &count);
            for (unsigned i = 0; ok && i < count; i++) ok = cql_read_string(&rd, &x, &n);
        }
        if (ok && (h->flags & 0x04)) {                    /* custom payload: [bytes map] */
            ok = cql_read_u16(&rd, &count);
            for (unsigned i = 0; ok && i < count; i++)
                ok = cql_read_string(&rd, &x, &n) && cql_read_bytes(&rd, &x, &bn);
        }
        if (!ok || (h->flags & 0x01)) {
            free(b);
            return cql_fail(err, CQL_ERR_PROTOCOL, "%s: reply flags 0x%02x not understood", s->addr,
                            h->flags);
        }
        size_t skip = (size_t)(rd.p - b);
        memmove(b, b + skip, h->length - skip);
        *body_len = h->length - skip;
        *body = b;
        if (h->opcode == CQL_OP_ERROR) {
            cql_reader er = { b, b + *body_len };
            st = cql_error_body(&er, err);
            if (err) {
                char msg[sizeof err->message];
                snprintf(msg, sizeof msg, "%.95s: %.158s", s->addr, err->message);
                memcpy(err->message, msg, sizeof msg);
            }
            free(b);
            *body = NULL;
        }
        return st;
    }
    return st;
}

static cql_status authenticate(cql_session *s, const char *authenticator, const char *user,
                               const char *password, int64_t deadline, cql_error *err)
{
    if (!user || !password) {
        cql_fail(err, CQL_ERR_SERVER, "%s: the node asks for authentication (%s) and no "
                 "credentials were given", s->addr, authenticator);
        if (err) err->server_code = 0x0100; /* as a refused login */
        return CQL_ERR_SERVER;
    }
    size_t ul = strlen(user), pl = strlen(password);
    if (ul + pl + 2 > INT32_MAX) return cql_fail(err, CQL_ERR_NOMEM, "credentials too long");
    unsigned char *token = malloc(ul + pl + 2);
    if (!token) return cql_fail(err, CQL_ERR_NOMEM, "out of memory");
    token[0] = 0; /* SASL PLAIN: authzid NUL authcid NUL password */
    memcpy(token + 1, user, ul);
    token[1 + ul] = 0;
    memcpy(token + 2 + ul, password, pl);
    cql_writer w;
    cql_write_begin(&w, STREAM, CQL_OP_AUTH_RESPONSE);
    cql_write_bytes(&w, token, (int32_t)(ul + pl + 2));
    explicit_bzero(token, ul + pl + 2);
    free(token);
    cql_frame_header h;
    unsigned char *body;
    size_t len;
    /* the frame holds the password: cql_writer_free wipes it */
    cql_status st = exchange(s, &w, deadline, &h, &body, &len, err);
    if (st == CQL_ERR_SERVER && err && err->server_code == 0x0100) {
        cql_fail(err, CQL_ERR_SERVER, "%s: login as '%s' refused (bad credentials)", s->addr, user);
        err->server_code = 0x0100;
    }
    if (st != CQL_OK) return st;
    free(body);
    if (h.opcode != CQL_OP_AUTH_SUCCESS)
        return cql_fail(err, CQL_ERR_PROTOCOL, "%s: %s after the credentials, expected AUTH_SUCCESS",
                        s->addr, cql_opcode_name(h.opcode));
    return CQL_OK;
}

cql_status cql_session_open(const char *host, unsigned port, const char *user,
                            const char *password, int timeout_ms, cql_session **out,
                            cql_error *err)
{
    return cql_session_open_tls(host, port, NULL, user, password, timeout_ms, out, err);
}

cql_status cql_session_open_tls(const char *host, unsigned port, const cql_tls_config *tls,
                                const char *user, const char *password, int timeout_ms,
                                cql_session **out, cql_error *err)
{
    *out = NULL;
    cql_session *s = calloc(1, sizeof *s);
    if (!s) return cql_fail(err, CQL_ERR_NOMEM, "out of memory");
    int64_t deadline = cql_now_ms() + timeout_ms;
    cql_status st = cql_net_connect(host, port, deadline, &s->ch.fd, s->addr, sizeof s->addr, err);
    if (st != CQL_OK) {
        free(s);
        return st;
    }
    if (tls && (st = cql_tls_open(s->ch.fd, tls, deadline, s->addr, &s->ch.tls, err)) != CQL_OK) {
        cql_session_close(s);
        return st;
    }
    cql_writer w;
    cql_write_begin(&w, STREAM, CQL_OP_STARTUP);
    cql_write_u16(&w, 1); /* [string map] of one entry */
    cql_write_string(&w, "CQL_VERSION");
    cql_write_string(&w, "3.0.0");
    cql_frame_header h;
    unsigned char *body = NULL;
    size_t len;
    st = exchange(s, &w, deadline, &h, &body, &len, err);
    if (st == CQL_OK && h.opcode == CQL_OP_AUTHENTICATE) {
        cql_reader rd = { body, body + len };
        const unsigned char *name;
        size_t nl;
        char authenticator[128] = "an authenticator";
        if (cql_read_string(&rd, &name, &nl)) cql_copy_printable(authenticator, sizeof authenticator, name, nl);
        st = authenticate(s, authenticator, user, password, deadline, err);
        s->authenticated = st == CQL_OK;
    } else if (st == CQL_OK && h.opcode != CQL_OP_READY) {
        st = cql_fail(err, CQL_ERR_PROTOCOL, "%s: %s after STARTUP, expected READY or AUTHENTICATE",
                      s->addr, cql_opcode_name(h.opcode));
    }
    free(body);
    if (st != CQL_OK) {
        cql_session_close(s);
        return st;
    }
    *out = s;
    return CQL_OK;
}

bool cql_session_authenticated(const cql_session *s)
{
    return s->authenticated;
}

void cql_session_close(cql_session *s)
{
    if (!s) return;
    cql_tls_close(s->ch.tls);
    close(s->ch.fd);
    free(s);
}

/* The <query_parameters> of QUERY and EXECUTE. */
static void write_parameters(cql_writer *w, cql_consistency consistency, cql_consistency serial,
                             const cql_value *values, size_t n)
{
    cql_write_u16(w, (uint16_t)consistency);
    cql_write_u8(w, (uint8_t)((n ? 0x01 : 0) | (serial ? 0x10 : 0)));
    if (n) {
        cql_write_u16(w, (uint16_t)n);
        for (size_t i = 0; i < n; i++) cql_write_bytes(w, values[i].data, values[i].len);
    }
    if (serial) cql_write_u16(w, (uint16_t)serial);
}

/* Send a request, expect a RESULT, parse it into out (or drop it). */
static cql_status request_result(cql_session *s, cql_writer *w, const char *what, int timeout_ms,
                                 cql_result *out, cql_error *err)
{
    int64_t deadline = cql_now_ms() + timeout_ms;
    cql_frame_header h;
    unsigned char *body;
    size_t len;
    cql_status st = exchange(s, w, deadline, &h, &body, &len, err);
    if (st != CQL_OK) return st;
    if (h.opcode != CQL_OP_RESULT) {
        free(body);
        return cql_fail(err, CQL_ERR_PROTOCOL, "%s: %s for a %s, expected RESULT", s->addr,
                        cql_opcode_name(h.opcode), what);
    }
    cql_result r;
    st = cql_parse_result(body, len, &r, err);
    if (st != CQL_OK) return st;
    if (out) *out = r;
    else cql_result_free(&r);
    return CQL_OK;
}

cql_status cql_query(cql_session *s, const char *query, cql_consistency consistency,
                     cql_consistency serial, const cql_value *values, size_t n,
                     int timeout_ms, cql_result *out, cql_error *err)
{
    if (n > UINT16_MAX) return cql_fail(err, CQL_ERR_PROTOCOL, "too many values (%zu)", n);
    cql_writer w;
    cql_write_begin(&w, STREAM, CQL_OP_QUERY);
    cql_write_long_string(&w, query);
    write_parameters(&w, consistency, serial, values, n);
    return request_result(s, &w, "QUERY", timeout_ms, out, err);
}

cql_status cql_prepare(cql_session *s, const char *query, int timeout_ms, cql_prepared *out,
                       cql_result *raw, cql_error *err)
{
    cql_writer w;
    cql_write_begin(&w, STREAM, CQL_OP_PREPARE);
    cql_write_long_string(&w, query);
    cql_result r;
    cql_status st = request_result(s, &w, "PREPARE", timeout_ms, &r, err);
    if (st != CQL_OK) return st;
    if (r.kind != CQL_RESULT_PREPARED) {
        cql_result_free(&r);
        return cql_fail(err, CQL_ERR_PROTOCOL, "%s: RESULT of kind %d for a PREPARE", s->addr, r.kind);
    }
    memcpy(out->id, r.prepared_id, r.prepared_id_len);
    out->id_len = r.prepared_id_len;
    out->n_params = r.n_params;
    if (raw) *raw = r;
    else cql_result_free(&r);
    return CQL_OK;
}

cql_status cql_execute(cql_session *s, const cql_prepared *p, cql_consistency consistency,
                       cql_consistency serial, const cql_value *values, size_t n, int timeout_ms,
                       cql_result *out, cql_error *err)
{
    if (n != p->n_params)
        return cql_fail(err, CQL_ERR_PROTOCOL, "%zu values for a statement that takes %zu", n, p->n_params);
    cql_writer w;
    cql_write_begin(&w, STREAM, CQL_OP_EXECUTE);
    cql_write_u16(&w, (uint16_t)p->id_len); /* [short bytes] */
    cql_write_raw(&w, p->id, p->id_len);
    write_parameters(&w, consistency, serial, values, n);
    return request_result(s, &w, "EXECUTE", timeout_ms, out, err);
}

/* The schema versions of system.local and system.peers: agreed when all the
 * same; `seen` lists them for the message. */
static cql_status versions_agree(cql_session *s, int64_t deadline, bool *agreed, char *seen,
                                 size_t cap, cql_error *err)
{
    static const char *const queries[] = { "SELECT schema_version FROM system.local",
                                           "SELECT schema_version FROM system.peers" };
    char first[37] = "";
    *agreed = true;
    seen[0] = '\0';
    for (size_t q = 0; q < 2; q++) {
        cql_result r;
        int left = (int)(deadline - cql_now_ms());
        cql_status st = cql_query(s, queries[q], CQL_CL_ONE, 0, NULL, 0, left > 0 ? left : 1, &r, err);
        if (st != CQL_OK) return st;
        for (size_t row = 0; row < r.n_rows; row++) {
            char v[37];
            cql_value_uuid(cql_cell(&r, row, 0), v);
            if (!v[0]) continue; /* a peer that has not said yet */
            if (!first[0]) memcpy(first, v, sizeof v);
            else if (strcmp(first, v) != 0) *agreed = false;
            size_t used = strlen(seen);
            if (!strstr(seen, v) && used + 40 < cap) snprintf(seen + used, cap - used, "%s%s", used ? " " : "", v);
        }
        cql_result_free(&r);
    }
    return CQL_OK;
}

cql_status cql_schema_agreement(cql_session *s, int timeout_ms, cql_error *err)
{
    int64_t deadline = cql_now_ms() + timeout_ms;
    char seen[160];
    for (;;) {
        bool agreed;
        cql_status st = versions_agree(s, deadline, &agreed, seen, sizeof seen, err);
        if (st != CQL_OK) return st;
        if (agreed) return CQL_OK;
        if (cql_now_ms() + 200 > deadline)
            return cql_fail(err, CQL_ERR_TIMEOUT, "%s: no schema agreement within %d ms (versions %s)",
                            s->addr, timeout_ms, seen);
        usleep(200 * 1000);
    }
}
