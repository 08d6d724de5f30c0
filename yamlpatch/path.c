/*
 * path.c: parse and resolve paths such as  seed_provider[0].parameters[0].seeds,
 * a[-1], a."b.c" and servers[name=cass1].
 */
#include "yamlpatch/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void yp_path_free(yp_path *path)
{
    for (size_t i = 0; i < path->n; i++) {
        free(path->segs[i].key);
        free(path->segs[i].match);
    }
    free(path->segs);
    path->segs = NULL;
    path->n = 0;
}

static yp_status path_error(yp_error *err, const char *text, size_t at, const char *what)
{
    return yp_fail(err, YP_ERR_PATH, 0, 0, "%s: %s at character %zu", text, what, at + 1);
}

/* A key, bare (ends at one of `stops`) or "quoted" with \" and \\ escapes. */
static yp_status read_key(const char *text, size_t *pos, const char *stops, char **out,
                          yp_error *err)
{
    size_t i = *pos;
    if (text[i] == '"') {
        size_t cap = strlen(text) + 1, n = 0;
        char *key = malloc(cap);
        if (!key) return yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
        for (i++; text[i] && text[i] != '"'; i++) {
            if (text[i] == '\\' && (text[i + 1] == '"' || text[i + 1] == '\\')) i++;
            key[n++] = text[i];
        }
        key[n] = '\0';
        if (text[i] != '"') {
            free(key);
            return path_error(err, text, *pos, "unterminated quoted key");
        }
        *pos = i + 1;
        *out = key;
        return YP_OK;
    }
    while (text[i] && !strchr(stops, text[i])) i++;
    if (i == *pos) return path_error(err, text, *pos, "empty key");
    *out = yp_strndup(text + *pos, i - *pos);
    if (!*out) return yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
    *pos = i;
    return YP_OK;
}

static yp_status push(yp_path *p, yp_segment seg, yp_error *err)
{
    yp_segment *s = realloc(p->segs, (p->n + 1) * sizeof *s);
    if (!s) {
        free(seg.key);
        free(seg.match);
        return yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
    }
    p->segs = s;
    p->segs[p->n++] = seg;
    return YP_OK;
}

static yp_status read_bracket(const char *text, size_t *pos, yp_segment *seg, yp_error *err)
{
    size_t i = *pos + 1; /* past '[' */
    const char *p = text + i;
    if (*p == '-' || (*p >= '0' && *p <= '9')) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || *end != ']') return path_error(err, text, i, "bad index");
        *seg = (yp_segment){ .kind = YPP_INDEX, .index = v };
        *pos = (size_t)(end - text) + 1;
        return YP_OK;
    }
    char *key = NULL, *value = NULL;
    yp_status st = read_key(text, &i, "=]", &key, err);
    if (st != YP_OK) return st;
    if (text[i] != '=') {
        free(key);
        return path_error(err, text, i, "expected '=' or an index in [...]");
    }
    i++;
    st = read_key(text, &i, "]", &value, err);
    if (st != YP_OK) {
        free(key);
        return st;
    }
    if (text[i] != ']') {
        free(key);
        free(value);
        return path_error(err, text, i, "expected ']'");
    }
    *seg = (yp_segment){ .kind = YPP_MATCH, .key = key, .match = value };
    *pos = i + 1;
    return YP_OK;
}

yp_status yp_path_parse(const char *text, yp_path *out, yp_error *err)
{
    yp_path p = { 0 };
    size_t i = 0;
    yp_status st = YP_OK;
    if (strcmp(text, ".") == 0) i = 1; /* the root */
    while (text[i] && st == YP_OK) {
        yp_segment seg = { 0 };
        if (text[i] == '[') {
            st = read_bracket(text, &i, &seg, err);
        } else {
            if (text[i] == '.') {
                if (i == 0 || text[i + 1] == '\0' || text[i + 1] == '.' || text[i + 1] == '[') {
                    st = path_error(err, text, i, "empty key");
                    break;
                }
                i++;
            } else if (i > 0) {
                st = path_error(err, text, i, "expected '.' or '['");
                break;
            }
            seg.kind = YPP_KEY;
            st = read_key(text, &i, ".[", &seg.key, err);
        }
        if (st == YP_OK) st = push(&p, seg, err);
    }
    if (st != YP_OK) {
        yp_path_free(&p);
        return st;
    }
    *out = p;
    return YP_OK;
}

static bool needs_quotes(const char *key)
{
    return *key == '\0' || strpbrk(key, ".[]=\"") != NULL;
}

char *yp_path_format(const yp_path *path, size_t n)
{
    yp_buf b = { 0 };
    for (size_t i = 0; i < n && i < path->n; i++) {
        const yp_segment *s = &path->segs[i];
        if (s->kind == YPP_KEY) {
            if (i > 0) yp_buf_char(&b, '.');
            if (needs_quotes(s->key)) {
                yp_buf_char(&b, '"');
                for (const char *c = s->key; *c; c++) {
                    if (*c == '"' || *c == '\\') yp_buf_char(&b, '\\');
                    yp_buf_char(&b, *c);
                }
                yp_buf_char(&b, '"');
            } else {
                yp_buf_str(&b, s->key);
            }
        } else if (s->kind == YPP_INDEX) {
            char num[32];
            snprintf(num, sizeof num, "[%ld]", s->index);
            yp_buf_str(&b, num);
        } else {
            yp_buf_char(&b, '[');
            yp_buf_str(&b, s->key);
            yp_buf_char(&b, '=');
            yp_buf_str(&b, s->match);
            yp_buf_char(&b, ']');
        }
    }
    if (b.len == 0) yp_buf_char(&b, '.');
    return yp_buf_take(&b);
}

size_t yp_map_lookup(const yp_doc *doc, size_t map, const char *key)
{
    const yp_node *m = &doc->nodes[map];
    size_t found = YP_NONE;
    /* With duplicates allowed, the last one wins, as SnakeYAML reads it. */
    for (size_t i = 0; i + 1 < m->n_kids; i += 2) {
        const yp_node *k = &doc->nodes[m->kids[i]];
        if (k->kind == YPN_SCALAR && strcmp(k->value, key) == 0) found = m->kids[i + 1];
    }
    return found;
}

static const char *kind_name(yp_kind k)
{
    switch (k) {
    case YPN_MAP: return "a mapping";
    case YPN_SEQ: return "a sequence";
    case YPN_ALIAS: return "an alias";
    default: return "a scalar";
    }
}

yp_status yp_path_walk(const yp_doc *doc, const yp_path *path, size_t *found, size_t *depth,
                       yp_error *err)
{
    size_t cur = doc->n_docs ? doc->roots[doc->current] : YP_NONE;
    *found = cur;
    *depth = 0;
    if (cur == YP_NONE)
        return path->n == 0 ? yp_fail(err, YP_ERR_NOT_FOUND, 0, 0, "the document is empty")
                            : YP_ERR_NOT_FOUND;
    for (size_t i = 0; i < path->n; i++) {
        const yp_segment *s = &path->segs[i];
        const yp_node *n = &doc->nodes[cur];
        size_t next = YP_NONE;
        if (n->kind == YPN_ALIAS) {
            char *where = yp_path_format(path, i);
            yp_fail(err, YP_ERR_ALIAS, n->line + 1, n->col + 1,
                    "%s: is an alias (*%s); edit the anchored node instead",
                    where ? where : "?", n->anchor);
            free(where);
            return YP_ERR_ALIAS;
        }
        if (s->kind == YPP_KEY && n->kind == YPN_MAP) {
            next = yp_map_lookup(doc, cur, s->key);
        } else if (s->kind == YPP_INDEX && n->kind == YPN_SEQ) {
            long idx = s->index < 0 ? (long)n->n_kids + s->index : s->index;
            if (idx >= 0 && (size_t)idx < n->n_kids) next = n->kids[idx];
        } else if (s->kind == YPP_MATCH && n->kind == YPN_SEQ) {
            for (size_t k = 0; k < n->n_kids && next == YP_NONE; k++) {
                size_t item = n->kids[k];
                if (doc->nodes[item].kind != YPN_MAP) continue;
                size_t v = yp_map_lookup(doc, item, s->key);
                if (v != YP_NONE && doc->nodes[v].kind == YPN_SCALAR &&
                    strcmp(doc->nodes[v].value, s->match) == 0)
                    next = item;
            }
        } else if (s->kind == YPP_KEY && n->kind == YPN_SCALAR) {
            /* a missing mapping: the caller may create it in place of a null */
            return YP_ERR_NOT_FOUND;
        } else {
            char *where = yp_path_format(path, i + 1);
            yp_fail(err, YP_ERR_TYPE, n->line + 1, n->col + 1, "%s: cannot %s %s",
                    where ? where : "?",
                    s->kind == YPP_KEY ? "look up a key in" : "index", kind_name(n->kind));
            free(where);
            return YP_ERR_TYPE;
        }
        if (next == YP_NONE) return YP_ERR_NOT_FOUND;
        cur = next;
        *found = cur;
        *depth = i + 1;
    }
    return YP_OK;
}
