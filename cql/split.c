/* cql/split: see split.h. */
#include "cql/split.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *text;
    size_t len, i;
    unsigned line, column;
} cursor;

static void advance(cursor *c, size_t n)
{
    for (size_t k = 0; k < n && c->i < c->len; k++, c->i++) {
        if (c->text[c->i] == '\n') {
            c->line++;
            c->column = 1;
        } else {
            c->column++;
        }
    }
}

static bool starts(const cursor *c, const char *s)
{
    size_t n = strlen(s);
    return c->len - c->i >= n && memcmp(c->text + c->i, s, n) == 0;
}

static bool fail(cql_split_error *err, unsigned line, unsigned column, const char *what)
{
    err->line = line;
    err->column = column;
    snprintf(err->message, sizeof err->message, "%s", what);
    return false;
}

/* Fail after freeing what was split so far. */
static bool give_up(cql_script *out, cql_split_error *err, unsigned line, unsigned column,
                    const char *what)
{
    cql_script_free(out);
    return fail(err, line, column, what);
}

static void trim(const char *text, size_t *from, size_t *to)
{
    while (*from < *to && isspace((unsigned char)text[*from])) (*from)++;
    while (*to > *from && isspace((unsigned char)text[*to - 1])) (*to)--;
}

static bool push(cql_script *out, const char *text, size_t from, size_t to, unsigned line,
                 unsigned column)
{
    cql_statement *items = realloc(out->items, (out->n + 1) * sizeof *items);
    if (!items) return false;
    out->items = items;
    char *t = strndup(text + from, to - from);
    if (!t) return false;
    items[out->n++] = (cql_statement){ t, line, column };
    return true;
}

/* Words of the statement so far, for BEGIN ... BATCH / APPLY BATCH. */
typedef struct {
    unsigned count;   /* words seen in this statement */
    bool begins;      /* its first word is BEGIN */
    bool in_batch;
    bool after_apply; /* the previous word was APPLY */
    unsigned line, column; /* where the batch began */
} words;

static void word(words *w, const char *s, size_t n, unsigned line, unsigned column)
{
    bool is_batch = n == 5 && strncasecmp(s, "BATCH", 5) == 0;
    if (w->count == 0) {
        w->begins = n == 5 && strncasecmp(s, "BEGIN", 5) == 0;
        w->line = line;
        w->column = column;
    }
    if (w->begins && !w->in_batch && w->count <= 2 && is_batch) w->in_batch = true;
    else if (w->in_batch && w->after_apply && is_batch) w->in_batch = false;
    w->after_apply = n == 5 && strncasecmp(s, "APPLY", 5) == 0;
    w->count++;
}

bool cql_split(const char *text, size_t len, cql_script *out, cql_split_error *err)
{
    memset(out, 0, sizeof *out);
    cursor c = { text, len, 0, 1, 1 };
    size_t start = 0;
    unsigned sline = 1, scol = 1;
    bool content = false; /* the statement holds more than blanks and comments */
    words w = { 0 };
    while (c.i < c.len) {
        char ch = text[c.i];
        unsigned line = c.line, column = c.column;
        if (starts(&c, "--") || starts(&c, "//")) {
            while (c.i < c.len && text[c.i] != '\n') advance(&c, 1);
        } else if (starts(&c, "/*")) {
            advance(&c, 2);
            while (c.i < c.len && !starts(&c, "*/")) advance(&c, 1);
            if (c.i >= c.len) return give_up(out, err, line, column, "unterminated /* comment");
            advance(&c, 2);
        } else if (ch == '\'' || ch == '"') {
            if (!content) { sline = line; scol = column; start = c.i; }
            content = true;
            advance(&c, 1);
            for (;;) {
                if (c.i >= c.len)
                    return give_up(out, err, line, column,
                                   ch == '\'' ? "unterminated string" : "unterminated quoted identifier");
                if (text[c.i] == ch) {
                    if (c.i + 1 < c.len && text[c.i + 1] == ch) { advance(&c, 2); continue; }
                    advance(&c, 1);
                    break;
                }
                advance(&c, 1);
            }
            w.after_apply = false;
            w.count++;
        } else if (starts(&c, "$$")) {
            if (!content) { sline = line; scol = column; start = c.i; }
            content = true;
            advance(&c, 2);
            while (c.i < c.len && !starts(&c, "$$")) advance(&c, 1);
            if (c.i >= c.len) return give_up(out, err, line, column, "unterminated $$ string");
            advance(&c, 2);
            w.after_apply = false;
            w.count++;
        } else if (ch == ';' && !w.in_batch) {
            if (content) {
                size_t from = start, to = c.i;
                trim(text, &from, &to);
                if (!push(out, text, from, to, sline, scol)) return give_up(out, err, 0, 0, "out of memory");
            }
            advance(&c, 1);
            content = false;
            w = (words){ 0 };
        } else if (isspace((unsigned char)ch)) {
            advance(&c, 1);
        } else {
            if (!content) { sline = line; scol = column; start = c.i; }
            content = true;
            if (isalnum((unsigned char)ch) || ch == '_') {
                size_t from = c.i;
                while (c.i < c.len && (isalnum((unsigned char)text[c.i]) || text[c.i] == '_')) advance(&c, 1);
                word(&w, text + from, c.i - from, line, column);
            } else {
                advance(&c, 1);
                w.after_apply = false;
            }
        }
    }
    if (w.in_batch) return give_up(out, err, w.line, w.column, "BEGIN BATCH without APPLY BATCH");
    if (content) {
        size_t from = start, to = c.len;
        trim(text, &from, &to);
        if (!push(out, text, from, to, sline, scol)) return give_up(out, err, 0, 0, "out of memory");
    }
    return true;
}

void cql_script_free(cql_script *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->items[i].text);
    free(s->items);
    s->items = NULL;
    s->n = 0;
}
