/*
 * doc.c: load bytes into an index of nodes with byte spans.
 *
 * libyaml reports positions as character indices (code points; a BOM is
 * consumed before index 0).  Edits splice bytes, so every mark is converted
 * with a forward UTF-8 cursor; for pure ASCII input the conversion is a shift.
 */
#include "yamlpatch/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

yp_status yp_fail(yp_error *err, yp_status code, unsigned long line, unsigned long col,
                  const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        err->line = line;
        err->column = col;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

char *yp_strndup(const char *s, size_t n)
{
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

const char *yp_status_name(yp_status status)
{
    switch (status) {
    case YP_OK: return "ok";
    case YP_ERR_NOMEM: return "out of memory";
    case YP_ERR_PARSE: return "invalid YAML";
    case YP_ERR_PATH: return "bad path";
    case YP_ERR_NOT_FOUND: return "not found";
    case YP_ERR_TYPE: return "wrong node type";
    case YP_ERR_VALUE: return "bad value";
    case YP_ERR_ALIAS: return "aliased node";
    case YP_ERR_DUPLICATE: return "duplicate key";
    case YP_ERR_VERIFY: return "verification failed";
    case YP_ERR_IO: return "I/O error";
    }
    return "unknown error";
}

/* ---- character index -> byte offset ---------------------------------- */

typedef struct {
    const unsigned char *bytes;
    size_t len;
    size_t base;          /* bytes before character 0 (a BOM) */
    bool ascii;
    size_t char_pos, byte_pos;
} char_cursor;

static size_t utf8_width(unsigned char lead)
{
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1; /* invalid lead byte: libyaml would have refused the input */
}

static size_t cursor_byte(char_cursor *c, size_t char_index)
{
    if (c->ascii) {
        size_t b = c->base + char_index;
        return b > c->len ? c->len : b;
    }
    if (char_index < c->char_pos) { /* marks are nearly monotonic; restart rarely */
        c->char_pos = 0;
        c->byte_pos = c->base;
    }
    while (c->char_pos < char_index && c->byte_pos < c->len) {
        c->byte_pos += utf8_width(c->bytes[c->byte_pos]);
        c->char_pos++;
    }
    return c->byte_pos > c->len ? c->len : c->byte_pos;
}

/* ---- building the index ---------------------------------------------- */

typedef struct {
    size_t node;
    size_t *kids;
    size_t n, cap;
} open_collection;

typedef struct {
    yp_doc *doc;
    size_t cap_nodes;
    open_collection *stack;
    size_t depth, cap_stack;
    size_t cap_docs;
    char_cursor cursor;
} builder;

static bool grow(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need) n *= 2;
    void *p = realloc(*array, n * elem);
    if (!p) return false;
    *array = p;
    *cap = n;
    return true;
}

/* Deeper documents are refused: it bounds the recursion of the verification and
 * libyaml's time, which grows with the square of the depth. */
#define YP_MAX_DEPTH 1000

static size_t add_node(builder *b, yp_kind kind, const yaml_mark_t *start)
{
    yp_doc *doc = b->doc;
    if (!grow((void **)&doc->nodes, &b->cap_nodes, doc->n_nodes + 1, sizeof(yp_node)))
        return YP_NONE;
    size_t id = doc->n_nodes++;
    yp_node *n = &doc->nodes[id];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->start = n->prop_start = cursor_byte(&b->cursor, start->index);
    n->line = start->line;
    n->col = start->column;
    n->parent = b->depth ? b->stack[b->depth - 1].node : YP_NONE;
    n->document = doc->n_docs - 1;
    if (b->depth) {
        open_collection *top = &b->stack[b->depth - 1];
        if (!grow((void **)&top->kids, &top->cap, top->n + 1, sizeof(size_t))) return YP_NONE;
        doc->nodes[id].slot = top->n;
        top->kids[top->n++] = id;
    } else if (doc->roots[doc->n_docs - 1] == YP_NONE) {
        doc->roots[doc->n_docs - 1] = id;
    }
    return id;
}

/* The value of a scalar starts after its anchor and tag, so that replacing the
 * value keeps them.  An empty value starts right after the last property (not
 * past the blanks, where a comment may begin). */
static size_t skip_properties(const yp_doc *doc, size_t pos, size_t end, unsigned long *col)
{
    while (pos < doc->len && (doc->bytes[pos] == '&' || doc->bytes[pos] == '!')) {
        while (pos < doc->len && !strchr(" \t\r\n", doc->bytes[pos])) pos++, (*col)++;
        size_t after = pos;
        unsigned long after_col = *col;
        while (pos < doc->len && doc->bytes[pos] == ' ') pos++, (*col)++;
        if (pos >= end) { /* nothing but properties */
            *col = after_col;
            return after;
        }
    }
    return pos;
}

/* Block scalars' end marks swallow trailing blank lines: end at the content. */
static size_t trim_trailing_space(const yp_doc *doc, size_t start, size_t end)
{
    while (end > start && strchr(" \t\r\n", doc->bytes[end - 1])) end--;
    return end;
}

/* Where the comment that offset `at` is in begins: a '#' at the line's start
 * or after a blank, before `at` on its line; YP_NONE when there is none.  A
 * '#' inside a quoted scalar counts too: callers use this to stay out of
 * comments, and that mistake only keeps them further away. */
static size_t comment_before(const yp_doc *doc, size_t at)
{
    size_t first = yp_line_start(doc, at);
    for (size_t i = first; i < at; i++)
        if (doc->bytes[i] == '#' &&
            (i == first || doc->bytes[i - 1] == ' ' || doc->bytes[i - 1] == '\t'))
            return i;
    return YP_NONE;
}

size_t yp_content_end(const yp_doc *doc, size_t floor, size_t end)
{
    for (;;) {
        size_t at = trim_trailing_space(doc, floor, end);
        size_t hash = comment_before(doc, at);
        if (hash == YP_NONE || hash < floor) return at;
        end = hash;
    }
}

/* Scalar keys of one mapping, sorted by text then position: equal keys end
 * up side by side, so a mapping of n keys is checked in O(n log n) (a
 * generated file with 200,000 keys loads in a fraction of a second). */
typedef struct {
    const yp_node *node;
    size_t pos;
} key_ref;

static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    size_t n = x->node->value_len < y->node->value_len ? x->node->value_len : y->node->value_len;
    int c = memcmp(x->node->value, y->node->value, n);
    if (c == 0 && x->node->value_len != y->node->value_len)
        c = x->node->value_len < y->node->value_len ? -1 : 1;
    if (c == 0) c = x->pos < y->pos ? -1 : x->pos > y->pos;
    return c;
}

static yp_status check_duplicates(const yp_doc *doc, const open_collection *map, yp_error *err)
{
    size_t n = 0;
    key_ref *keys = malloc((map->n / 2 + 1) * sizeof *keys);
    if (!keys) return yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
    for (size_t i = 0; i < map->n; i += 2) {
        const yp_node *k = &doc->nodes[map->kids[i]];
        if (k->kind == YPN_SCALAR) keys[n++] = (key_ref){ k, i };
    }
    qsort(keys, n, sizeof *keys, key_ref_cmp);
    /* Of all repeated keys, report the one that comes first in the file, at
     * its second place. */
    const key_ref *first = NULL, *second = NULL;
    for (size_t i = 1; i < n; i++) {
        const yp_node *a = keys[i - 1].node, *b = keys[i].node;
        bool same = a->value_len == b->value_len && memcmp(a->value, b->value, a->value_len) == 0;
        bool group_start = i == 1 || !(keys[i - 2].node->value_len == a->value_len &&
                                       memcmp(keys[i - 2].node->value, a->value, a->value_len) == 0);
        if (same && group_start && (!first || keys[i - 1].pos < first->pos)) {
            first = &keys[i - 1];
            second = &keys[i];
        }
    }
    yp_status st = YP_OK;
    if (first)
        st = yp_fail(err, YP_ERR_DUPLICATE, second->node->line + 1, second->node->col + 1,
                     "duplicate key '%s' (first at line %lu)", first->node->value,
                     first->node->line + 1);
    free(keys);
    return st;
}

static yp_status close_collection(builder *b, const yaml_event_t *ev, yp_error *err)
{
    yp_doc *doc = b->doc;
    open_collection *top = &b->stack[--b->depth];
    yp_node *n = &doc->nodes[top->node];
    n->kids = top->kids;
    n->n_kids = top->n;
    top->kids = NULL;
    if (n->flow) {
        n->end = cursor_byte(&b->cursor, ev->end_mark.index);
    } else {
        n->end = n->start;
        for (size_t i = 0; i < n->n_kids; i++)
            if (doc->nodes[n->kids[i]].end > n->end) n->end = doc->nodes[n->kids[i]].end;
    }
    if (n->kind == YPN_MAP && !doc->allow_duplicates) {
        open_collection view = { top->node, n->kids, n->n_kids, 0 };
        return check_duplicates(doc, &view, err);
    }
    return YP_OK;
}

static yp_status open_collection_node(builder *b, yp_kind kind, const yaml_event_t *ev,
                                      bool flow, const yaml_char_t *anchor, bool tagged)
{
    size_t id = add_node(b, kind, &ev->start_mark);
    if (id == YP_NONE ||
        !grow((void **)&b->stack, &b->cap_stack, b->depth + 1, sizeof(open_collection)))
        return YP_ERR_NOMEM;
    if (b->depth >= YP_MAX_DEPTH) return YP_ERR_PARSE; /* reported by the caller */
    yp_node *n = &b->doc->nodes[id];
    n->flow = flow;
    n->has_tag = tagged;
    if (anchor && !(n->anchor = strdup((const char *)anchor))) return YP_ERR_NOMEM;
    b->stack[b->depth++] = (open_collection){ id, NULL, 0, 0 };
    return YP_OK;
}

static yp_status add_scalar(builder *b, const yaml_event_t *ev)
{
    size_t id = add_node(b, YPN_SCALAR, &ev->start_mark);
    if (id == YP_NONE) return YP_ERR_NOMEM;
    yp_doc *doc = b->doc;
    yp_node *n = &doc->nodes[id];
    const yaml_char_t *anchor = ev->data.scalar.anchor;
    n->has_tag = ev->data.scalar.tag != NULL;
    n->prop_start = n->start;
    n->end = cursor_byte(&b->cursor, ev->end_mark.index);
    /* an empty value is marked at the next token, which may be the next key's
     * properties: only a node that has properties skips them */
    if (anchor || n->has_tag) n->start = skip_properties(doc, n->start, n->end, &n->col);
    if (n->end < n->start) n->end = n->start; /* empty value after properties */
    switch (ev->data.scalar.style) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->style = YPS_SINGLE; break;
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = YPS_DOUBLE; break;
    case YAML_LITERAL_SCALAR_STYLE: n->style = YPS_LITERAL; break;
    case YAML_FOLDED_SCALAR_STYLE: n->style = YPS_FOLDED; break;
    default: n->style = YPS_PLAIN; break;
    }
    if (n->style == YPS_LITERAL || n->style == YPS_FOLDED)
        n->end = trim_trailing_space(doc, n->start, n->end);
    /* libyaml marks an empty value (`key:`) at the next token, which may be on a
     * later line: put it right after the key's ':' so a new value lands there. */
    if (ev->data.scalar.length == 0 && n->style == YPS_PLAIN && !anchor && !n->has_tag &&
        b->depth && doc->nodes[b->stack[b->depth - 1].node].kind == YPN_MAP &&
        b->stack[b->depth - 1].n % 2 == 0) {
        const open_collection *map = &b->stack[b->depth - 1];
        const yp_node *key = &doc->nodes[map->kids[map->n - 2]];
        size_t i = key->end;
        while (i < doc->len && (doc->bytes[i] == ' ' || doc->bytes[i] == '\t')) i++;
        if (i < doc->len && doc->bytes[i] == ':') {
            n->line = key->line; /* the ':' is on the key's line */
            n->col = key->col;
            for (size_t c = key->start; c <= i; c++)
                if (((unsigned char)doc->bytes[c] & 0xC0) != 0x80) n->col++;
            n->start = n->end = i + 1;
        }
    }
    /* Other empty values (an explicit key's "?", a bare "-", an anchor alone)
     * are marked at the next token too, past the line break: end them after
     * the last byte that precedes them (their properties, the indicator), so
     * that what follows the node never counts as its own. */
    if (ev->data.scalar.length == 0 && n->style == YPS_PLAIN && b->depth) {
        size_t floor = n->start;
        if (n->start == n->end) {
            const open_collection *up = &b->stack[b->depth - 1];
            floor = doc->nodes[up->node].start;
            if (up->n > 1 && doc->nodes[up->kids[up->n - 2]].end > floor) /* [n - 1] is n */
                floor = doc->nodes[up->kids[up->n - 2]].end;
        }
        size_t at = floor <= n->end ? yp_content_end(doc, floor, n->end) : n->end;
        if (at < n->end) {
            if (n->start == n->end) {
                bool bare = n->prop_start == n->start;
                n->start = at;
                if (bare || n->prop_start > n->start) n->prop_start = n->start;
            }
            n->end = at;
        }
    }
    n->value = yp_strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
    n->value_len = ev->data.scalar.length;
    if (!n->value) return YP_ERR_NOMEM;
    if (anchor && !(n->anchor = strdup((const char *)anchor))) return YP_ERR_NOMEM;
    return YP_OK;
}

static yp_status add_alias(builder *b, const yaml_event_t *ev)
{
    size_t id = add_node(b, YPN_ALIAS, &ev->start_mark);
    if (id == YP_NONE) return YP_ERR_NOMEM;
    yp_node *n = &b->doc->nodes[id];
    n->end = cursor_byte(&b->cursor, ev->end_mark.index);
    n->anchor = strdup((const char *)ev->data.alias.anchor);
    if (!n->anchor) return YP_ERR_NOMEM;
    /* The alias refers to the latest earlier node with that anchor. */
    for (size_t i = id; i-- > 0;) {
        yp_node *t = &b->doc->nodes[i];
        if (t->kind != YPN_ALIAS && t->anchor && strcmp(t->anchor, n->anchor) == 0) {
            t->aliased = true;
            break;
        }
    }
    return YP_OK;
}

static yp_status start_document(builder *b)
{
    yp_doc *doc = b->doc;
    if (!grow((void **)&doc->roots, &b->cap_docs, doc->n_docs + 1, sizeof(size_t)))
        return YP_ERR_NOMEM;
    size_t cap = b->cap_docs;
    void *ends = realloc(doc->doc_ends, cap * sizeof(size_t));
    if (!ends) return YP_ERR_NOMEM;
    doc->doc_ends = ends;
    doc->roots[doc->n_docs] = YP_NONE;
    doc->doc_ends[doc->n_docs] = doc->len;
    doc->n_docs++;
    return YP_OK;
}

static yp_status handle_event(builder *b, const yaml_event_t *ev, yp_error *err)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        return start_document(b);
    case YAML_DOCUMENT_END_EVENT:
        b->doc->doc_ends[b->doc->n_docs - 1] = cursor_byte(&b->cursor, ev->start_mark.index);
        return YP_OK;
    case YAML_SCALAR_EVENT:
        return add_scalar(b, ev);
    case YAML_ALIAS_EVENT:
        return add_alias(b, ev);
    case YAML_MAPPING_START_EVENT:
        return open_collection_node(b, YPN_MAP, ev,
                                    ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE,
                                    ev->data.mapping_start.anchor,
                                    ev->data.mapping_start.tag != NULL);
    case YAML_SEQUENCE_START_EVENT:
        return open_collection_node(b, YPN_SEQ, ev,
                                    ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE,
                                    ev->data.sequence_start.anchor,
                                    ev->data.sequence_start.tag != NULL);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        return close_collection(b, ev, err);
    default:
        return YP_OK;
    }
}

/* The file's habits, used when new lines are written. */
static void learn_format(yp_doc *doc)
{
    const char *nl = memchr(doc->bytes, '\n', doc->len);
    doc->eol = (nl && nl > doc->bytes && nl[-1] == '\r') ? "\r\n" : "\n";
    doc->format_from[0] = nl ? (size_t)(nl - doc->bytes) : YP_NONE;
    doc->format_from[1] = doc->format_from[2] = YP_NONE;
    doc->map_indent = 0;
    doc->seq_indent = -1;
    for (size_t i = 0; i < doc->n_nodes; i++) {
        const yp_node *n = &doc->nodes[i];
        if (n->parent == YP_NONE || (n->kind != YPN_MAP && n->kind != YPN_SEQ) || n->flow)
            continue;
        const yp_node *p = &doc->nodes[n->parent];
        if (p->kind != YPN_MAP || p->flow) continue;
        /* n is a block collection that is the value of a key: find that key */
        for (size_t k = 1; k < p->n_kids; k += 2) {
            if (p->kids[k] != i) continue;
            const yp_node *key = &doc->nodes[p->kids[k - 1]];
            if (n->line == key->line) break; /* not a nested block */
            if (n->kind == YPN_MAP && doc->map_indent == 0 && n->col > key->col) {
                doc->map_indent = (unsigned)(n->col - key->col);
                doc->format_from[1] = n->start;
            }
            if (n->kind == YPN_SEQ && doc->seq_indent < 0 && n->col >= key->col) {
                doc->seq_indent = (int)(n->col - key->col);
                doc->format_from[2] = n->start;
            }
        }
        if (doc->map_indent && doc->seq_indent >= 0) break;
    }
    if (doc->map_indent == 0) doc->map_indent = 2;
    if (doc->seq_indent < 0) doc->seq_indent = (int)doc->map_indent;
}

static void free_builder(builder *b)
{
    for (size_t i = 0; i < b->depth; i++) free(b->stack[i].kids);
    free(b->stack);
}

/* The first byte that makes a text mean one thing to libyaml and another to
 * the splicer (or to other readers), with why; YP_NONE when there is none.
 * One pass over the text:
 * - NUL: not text;
 * - a carriage return without a line feed: YAML reads it as a line break,
 *   while every edit here works on lines that end in LF (or CRLF) and would
 *   cut across such a line;
 * - NEL, LS and PS: line breaks to libyaml (YAML 1.1), text to YAML 1.2
 *   readers and to every line-based edit;
 * - a byte order mark starting a line other than the first: libyaml skips
 *   it, to the splicer it is text of that line. */
static size_t unsupported_byte(const char *bytes, size_t len, const char **why)
{
    for (size_t i = 0; i < len; i++) {
        const char *c = bytes + i;
        size_t left = len - i;
        if (*c == '\0') {
            *why = "NUL byte in input";
        } else if (*c == '\r' && (left < 2 || c[1] != '\n')) {
            *why = "a carriage return without a line feed (an old Mac line break) is not "
                   "supported; use LF or CRLF line breaks";
        } else if ((left >= 2 && c[0] == '\xC2' && c[1] == '\x85') ||
                   (left >= 3 && c[0] == '\xE2' && c[1] == '\x80' && (c[2] == '\xA8' || c[2] == '\xA9'))) {
            *why = "a Unicode line break (U+0085, U+2028 or U+2029) is not supported: YAML 1.1 "
                   "readers break the line there and YAML 1.2 readers do not; write it escaped "
                   "in double quotes";
        } else if (i > 0 && c[-1] == '\n' && left >= 3 && memcmp(c, "\xEF\xBB\xBF", 3) == 0) {
            *why = "a byte order mark (U+FEFF) starts this line; only the file's first bytes "
                   "may hold one";
        } else {
            continue;
        }
        return i;
    }
    return YP_NONE;
}

yp_doc *yp_index_build(char *bytes, size_t len, bool allow_duplicates, yp_error *err)
{
    yp_doc *doc = calloc(1, sizeof *doc);
    if (!doc) {
        free(bytes);
        yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
        return NULL;
    }
    doc->bytes = bytes;
    doc->len = len;
    doc->allow_duplicates = allow_duplicates;

    if (len >= 2 && (((unsigned char)bytes[0] == 0xFE && (unsigned char)bytes[1] == 0xFF) ||
                     ((unsigned char)bytes[0] == 0xFF && (unsigned char)bytes[1] == 0xFE))) {
        yp_fail(err, YP_ERR_PARSE, 1, 1, "UTF-16 input is not supported; convert it to UTF-8");
        yp_doc_free(doc);
        return NULL;
    }
    const char *why;
    size_t bad = unsupported_byte(bytes, len, &why);
    if (bad != YP_NONE) {
        unsigned long line, col;
        yp_position(doc, bad, &line, &col);
        yp_fail(err, YP_ERR_PARSE, line + 1, col + 1, "%s", why);
        yp_doc_free(doc);
        return NULL;
    }

    builder b = { .doc = doc };
    b.cursor.bytes = (const unsigned char *)bytes;
    b.cursor.len = len;
    b.cursor.base = (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
    b.cursor.byte_pos = b.cursor.base;
    b.cursor.ascii = true;
    for (size_t i = b.cursor.base; i < len; i++)
        if ((unsigned char)bytes[i] >= 0x80) { b.cursor.ascii = false; break; }

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
        yp_doc_free(doc);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)bytes, len);
    yp_status st = YP_OK;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            const yaml_mark_t *m = parser.context ? &parser.context_mark : &parser.problem_mark;
            if (parser.error == YAML_MEMORY_ERROR)
                st = yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
            else if (parser.context)
                st = yp_fail(err, YP_ERR_PARSE, parser.problem_mark.line + 1,
                             parser.problem_mark.column + 1, "%s %s (line %lu)", parser.problem,
                             parser.context, (unsigned long)m->line + 1);
            else
                st = yp_fail(err, YP_ERR_PARSE, parser.problem_mark.line + 1,
                             parser.problem_mark.column + 1, "%s", parser.problem);
            break;
        }
        yaml_event_type_t type = ev.type;
        st = handle_event(&b, &ev, err);
        if (st == YP_ERR_PARSE && b.depth >= YP_MAX_DEPTH)
            yp_fail(err, st, ev.start_mark.line + 1, ev.start_mark.column + 1,
                    "nested deeper than %d levels", YP_MAX_DEPTH);
        yaml_event_delete(&ev);
        if (st == YP_ERR_NOMEM) yp_fail(err, st, 0, 0, "out of memory");
        if (st != YP_OK || type == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&parser);
    free_builder(&b);
    if (st != YP_OK) {
        yp_doc_free(doc);
        return NULL;
    }
    learn_format(doc);
    return doc;
}

yp_doc *yp_doc_load(const char *bytes, size_t len, bool allow_duplicates, yp_error *err)
{
    char *copy = malloc(len + 1);
    if (!copy) {
        yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
        return NULL;
    }
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    return yp_index_build(copy, len, allow_duplicates, err);
}

void yp_doc_free(yp_doc *doc)
{
    if (!doc) return;
    for (size_t i = 0; i < doc->n_nodes; i++) {
        free(doc->nodes[i].value);
        free(doc->nodes[i].anchor);
        free(doc->nodes[i].kids);
    }
    free(doc->nodes);
    free(doc->roots);
    free(doc->doc_ends);
    free(doc->bytes);
    free(doc);
}

const char *yp_doc_bytes(const yp_doc *doc, size_t *len)
{
    if (len) *len = doc->len;
    return doc->bytes;
}

size_t yp_doc_count(const yp_doc *doc)
{
    return doc->n_docs;
}

yp_status yp_doc_select(yp_doc *doc, size_t index, yp_error *err)
{
    if (index >= doc->n_docs)
        return yp_fail(err, YP_ERR_NOT_FOUND, 0, 0, "document %zu: the stream has %zu document%s",
                       index, doc->n_docs, doc->n_docs == 1 ? "" : "s");
    doc->current = index;
    return YP_OK;
}

void yp_position(const yp_doc *doc, size_t offset, unsigned long *line, unsigned long *col)
{
    unsigned long l = 0, c = 0;
    for (size_t i = 0; i < offset && i < doc->len; i++) {
        unsigned char ch = (unsigned char)doc->bytes[i];
        if (ch == '\n') {
            l++;
            c = 0;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

size_t yp_line_start(const yp_doc *doc, size_t offset)
{
    /* a byte order mark is no part of the first line: it stays where it is */
    size_t first = doc->len >= 3 && memcmp(doc->bytes, "\xEF\xBB\xBF", 3) == 0 && offset >= 3 ? 3 : 0;
    while (offset > first && doc->bytes[offset - 1] != '\n') offset--;
    return offset;
}

size_t yp_line_end(const yp_doc *doc, size_t offset)
{
    while (offset < doc->len && doc->bytes[offset] != '\n') offset++;
    return offset < doc->len ? offset + 1 : offset;
}
