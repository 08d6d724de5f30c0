/*
 * edit.c: get, set, delete and set-or-uncomment as splices of the original
 * bytes.  Each edit computes one splice, parses the result again, checks that
 * nothing but the target changed (verify.c) and that the target now reads as
 * intended, and only then replaces the document.
 */
#include "yamlpatch/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

/* ---- small helpers ---------------------------------------------------- */

static yp_status nomem(yp_error *err)
{
    return yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
}

/* Position just past the ':' that follows a mapping key (cassandra.yaml has
 * `class_name : value`, so spaces may come first). */
static size_t colon_end(const yp_doc *doc, const yp_node *key)
{
    size_t i = key->end;
    while (i < doc->len && (doc->bytes[i] == ' ' || doc->bytes[i] == '\t')) i++;
    return (i < doc->len && doc->bytes[i] == ':') ? i + 1 : key->end;
}

/* Whether the byte before `pos`, past blanks, is a value indicator ':'. */
static bool follows_indicator(const yp_doc *doc, size_t pos)
{
    while (pos > 0 && (doc->bytes[pos - 1] == ' ' || doc->bytes[pos - 1] == '\t')) pos--;
    return pos > 0 && doc->bytes[pos - 1] == ':';
}

/* The key node whose value is `id`, or YP_NONE. */
static size_t key_of(const yp_doc *doc, size_t id)
{
    const yp_node *n = &doc->nodes[id];
    if (n->parent == YP_NONE) return YP_NONE;
    const yp_node *p = &doc->nodes[n->parent];
    if (p->kind != YPN_MAP) return YP_NONE;
    for (size_t i = 1; i < p->n_kids; i += 2)
        if (p->kids[i] == id) return p->kids[i - 1];
    return YP_NONE;
}

static bool in_flow(const yp_doc *doc, size_t id)
{
    for (size_t p = doc->nodes[id].parent; p != YP_NONE; p = doc->nodes[p].parent)
        if (doc->nodes[p].flow) return true;
    return false;
}

/* Refuse to touch bytes that belong to a node some alias refers to: the alias
 * would silently change too. */
static yp_status check_aliases(const yp_doc *doc, size_t a, size_t b, yp_error *err)
{
    for (size_t i = 0; i < doc->n_nodes; i++) {
        const yp_node *n = &doc->nodes[i];
        if (n->aliased && n->start <= b && n->end >= a && !(n->end == a && a != b))
            return yp_fail(err, YP_ERR_ALIAS, n->line + 1, n->col + 1,
                           "the edit touches the anchored node &%s, which an alias refers to",
                           n->anchor);
    }
    return YP_OK;
}

static bool plain_key_ok(const char *key)
{
    yp_type t11 = yp_resolve_yaml11(key), t12 = yp_resolve_yaml12(key);
    return yp_plain_safe(key, false) && t11 == YPT_STR && t12 == YPT_STR;
}

static void write_key(yp_buf *b, const char *key)
{
    if (plain_key_ok(key)) {
        yp_buf_str(b, key);
        return;
    }
    yp_buf_char(b, '"');
    for (const char *c = key; *c; c++) {
        if (*c == '"' || *c == '\\') yp_buf_char(b, '\\');
        yp_buf_char(b, *c);
    }
    yp_buf_char(b, '"');
}

/* ---- rendering a raw YAML value --------------------------------------- */

/* Scalars of a raw value keep the text the user wrote (quotes included) when
 * it fits on one line; block scalars are re-written double-quoted. */
static void write_raw_scalar(const yp_doc *v, const yp_node *n, yp_buf *b)
{
    const char *src = v->bytes + n->start;
    size_t len = n->end - n->start;
    if (n->style != YPS_LITERAL && n->style != YPS_FOLDED && !memchr(src, '\n', len)) {
        if (len == 0) yp_buf_str(b, "null");
        else yp_buf_add(b, src, len);
        return;
    }
    yp_buf_char(b, '"');
    for (const char *c = n->value; *c; c++) {
        if (*c == '"' || *c == '\\') yp_buf_char(b, '\\');
        if (*c == '\n') yp_buf_str(b, "\\n");
        else yp_buf_char(b, *c);
    }
    yp_buf_char(b, '"');
}

static void render_flow(const yp_doc *v, size_t id, yp_buf *b)
{
    const yp_node *n = &v->nodes[id];
    if (n->kind == YPN_SCALAR) {
        write_raw_scalar(v, n, b);
        return;
    }
    if (n->kind == YPN_ALIAS) {
        yp_buf_char(b, '*');
        yp_buf_str(b, n->anchor);
        return;
    }
    bool map = n->kind == YPN_MAP;
    yp_buf_char(b, map ? '{' : '[');
    for (size_t i = 0; i < n->n_kids; i++) {
        if (i) yp_buf_str(b, map && i % 2 ? ": " : ", ");
        render_flow(v, n->kids[i], b);
    }
    yp_buf_char(b, map ? '}' : ']');
}

static bool is_block_collection(const yp_node *n)
{
    return (n->kind == YPN_MAP || n->kind == YPN_SEQ) && n->n_kids > 0;
}

static void render_block(const yp_doc *doc, const yp_doc *v, size_t id, unsigned indent,
                         yp_buf *b);

/* What follows "key:" or "-": " scalar" + EOL, or EOL + an indented block. */
static void render_after_indicator(const yp_doc *doc, const yp_doc *v, size_t id,
                                   unsigned col, bool seq_item, yp_buf *b)
{
    const yp_node *n = &v->nodes[id];
    if (!is_block_collection(n)) {
        yp_buf_char(b, ' ');
        render_flow(v, id, b);
        yp_buf_str(b, doc->eol);
        return;
    }
    if (seq_item) {
        /* "- a: 1" then the next keys under "a": the first line shares the dash's */
        yp_buf inner = { 0 };
        render_block(doc, v, id, col + 2, &inner);
        char *text = yp_buf_take(&inner);
        if (!text) {
            b->failed = true;
            return;
        }
        yp_buf_char(b, ' ');
        yp_buf_str(b, text + col + 2);
        free(text);
        return;
    }
    unsigned child = n->kind == YPN_MAP ? col + doc->map_indent
                                        : (unsigned)((int)col + doc->seq_indent);
    yp_buf_str(b, doc->eol);
    render_block(doc, v, id, child, b);
}

static void render_block(const yp_doc *doc, const yp_doc *v, size_t id, unsigned indent,
                         yp_buf *b)
{
    const yp_node *n = &v->nodes[id];
    if (n->kind == YPN_MAP) {
        for (size_t i = 0; i + 1 < n->n_kids; i += 2) {
            yp_buf_indent(b, indent);
            render_flow(v, n->kids[i], b);
            yp_buf_char(b, ':');
            render_after_indicator(doc, v, n->kids[i + 1], indent, false, b);
        }
    } else if (n->kind == YPN_SEQ) {
        for (size_t i = 0; i < n->n_kids; i++) {
            yp_buf_indent(b, indent);
            yp_buf_char(b, '-');
            render_after_indicator(doc, v, n->kids[i], indent, true, b);
        }
    } else {
        yp_buf_indent(b, indent);
        render_flow(v, id, b);
        yp_buf_str(b, doc->eol);
    }
}

/* ---- the value of an edit --------------------------------------------- */

typedef struct {
    const char *text;     /* as given */
    yp_value_type type;
    yp_doc *raw;          /* parsed value when type is YP_VALUE_YAML */
    size_t raw_root;
} new_value;

/* Text for the spot of node `old` (a scalar or collection, or NULL for a new
 * key at column `col`).  *block is set when the text is an indented block that
 * must start on its own line. */
static yp_status render_value(const yp_doc *doc, const yp_node *old, bool flow, unsigned col,
                              const new_value *v, char **out, bool *block, yp_error *err)
{
    *block = false;
    if (!v->raw) {
        unsigned indent = col + doc->map_indent;
        if (old && (old->style == YPS_LITERAL || old->style == YPS_FOLDED)) {
            /* keep the block's own content indentation */
            size_t p = yp_line_end(doc, old->start), q = p;
            while (q < doc->len && doc->bytes[q] == ' ') q++;
            if (q > p && q < doc->len && doc->bytes[q] != '\n') indent = (unsigned)(q - p);
        }
        const yp_node *style_from = old && old->kind == YPN_SCALAR ? old : NULL;
        return yp_render_scalar(doc, style_from, v->text, v->type, flow, indent, out, err);
    }
    yp_buf b = { 0 };
    const yp_node *r = v->raw_root == YP_NONE ? NULL : &v->raw->nodes[v->raw_root];
    if (!r) {
        yp_buf_str(&b, "null");
    } else if (flow || (old && old->flow) || !is_block_collection(r)) {
        render_flow(v->raw, v->raw_root, &b);
    } else {
        unsigned indent;
        if (old && old->kind == r->kind && !old->flow && old->kind != YPN_SCALAR)
            indent = (unsigned)old->col; /* keep the existing collection's indentation */
        else if (r->kind == YPN_MAP)
            indent = col + doc->map_indent;
        else
            indent = (unsigned)((int)col + doc->seq_indent);
        render_block(doc, v->raw, v->raw_root, indent, &b);
        *block = true;
        if (!b.failed && b.len >= strlen(doc->eol)) b.len -= strlen(doc->eol); /* no final EOL */
        if (!b.failed) b.data[b.len] = '\0';
    }
    *out = yp_buf_take(&b);
    return *out ? YP_OK : nomem(err);
}

/* ---- applying a splice ------------------------------------------------ */

/* Move `next` into `doc` so that the caller's pointer stays valid. */
static void replace_doc(yp_doc *doc, yp_doc *next)
{
    yp_doc old = *doc;
    *doc = *next;
    *next = old;
    yp_doc_free(next);
}

/* ---- checking the edited node ----------------------------------------- */

static bool same_tree(const yp_doc *a, size_t ia, const yp_doc *b, size_t ib)
{
    const yp_node *x = &a->nodes[ia], *y = &b->nodes[ib];
    if (x->kind != y->kind || x->n_kids != y->n_kids) return false;
    if (x->kind == YPN_SCALAR) { /* "", "~" and "null" are one null; "" is not */
        yp_type tx = yp_node_type(x), ty = yp_node_type(y);
        return tx == ty && (tx == YPT_NULL || strcmp(x->value, y->value) == 0);
    }
    if (x->kind == YPN_ALIAS) return strcmp(x->anchor, y->anchor) == 0;
    for (size_t i = 0; i < x->n_kids; i++)
        if (!same_tree(a, x->kids[i], b, y->kids[i])) return false;
    return true;
}

static bool scalar_reads_as(const yp_node *n, const new_value *v)
{
    if (n->kind != YPN_SCALAR) return false;
    switch (v->type) {
    case YP_VALUE_BOOL: {
        static const char *yes[] = { "true", "yes", "on", "y", "1" };
        static const char *no[] = { "false", "no", "off", "n", "0" };
        int want = -1; /* the text's truth, or -1: not a boolean at all */
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
            if (strcasecmp(v->text, yes[i]) == 0) want = 1;
            if (strcasecmp(v->text, no[i]) == 0) want = 0;
        }
        bool t = strcmp(n->value, "true") == 0;
        return want >= 0 && (t || strcmp(n->value, "false") == 0) &&
               yp_node_type(n) == YPT_BOOL && want == (int)t;
    }
    case YP_VALUE_NULL:
        return yp_node_type(n) == YPT_NULL;
    case YP_VALUE_INT:
        return yp_node_type(n) == YPT_INT && strcmp(n->value, v->text) == 0;
    case YP_VALUE_STRING:
        return strcmp(n->value, v->text) == 0 && yp_node_is_string_everywhere(n);
    default:
        return strcmp(n->value, v->text) == 0;
    }
}

static yp_status check_result(const yp_doc *next, const yp_path *path, const new_value *v,
                              yp_error *err)
{
    size_t node, depth;
    yp_error ignored;
    if (yp_path_walk(next, path, &node, &depth, &ignored) == YP_OK) {
        bool ok;
        if (v->raw)
            ok = v->raw_root == YP_NONE ? yp_node_type(&next->nodes[node]) == YPT_NULL
                                        : same_tree(v->raw, v->raw_root, next, node);
        else
            ok = scalar_reads_as(&next->nodes[node], v);
        if (ok) return YP_OK;
    }
    char *where = yp_path_format(path, path->n);
    yp_fail(err, YP_ERR_VERIFY, 0, 0, "%s: the edited document would not hold the new value; "
            "refusing", where ? where : "?");
    free(where);
    return YP_ERR_VERIFY;
}

/* ---- set -------------------------------------------------------------- */

/* Replace an existing node. */
static yp_status plan_replace(const yp_doc *doc, size_t target, const new_value *v,
                              yp_splice *sp, char **text, yp_error *err)
{
    const yp_node *t = &doc->nodes[target];
    if (t->kind == YPN_ALIAS)
        return yp_fail(err, YP_ERR_ALIAS, t->line + 1, t->col + 1,
                       "the node is an alias (*%s); edit the anchored node instead", t->anchor);
    size_t key = key_of(doc, target);
    bool flow = in_flow(doc, target);
    unsigned col = key != YP_NONE ? (unsigned)doc->nodes[key].col : (unsigned)t->col;
    bool block;
    yp_status st = render_value(doc, t, flow, col, v, text, &block, err);
    if (st != YP_OK) return st;
    /* raw YAML replaces the whole node, its tag included (an anchor is kept); a
     * typed value keeps both */
    size_t start = v->raw ? t->prop_start : t->start, end = t->end;
    if (v->raw && t->anchor) {
        char *anchored = malloc(strlen(t->anchor) + strlen(*text) + 3);
        if (!anchored) return nomem(err);
        sprintf(anchored, "&%s %s", t->anchor, *text);
        free(*text);
        *text = anchored;
    }
    bool t_is_block = !t->flow && (t->kind == YPN_MAP || t->kind == YPN_SEQ);
    if (key != YP_NONE && (block || t_is_block)) {
        /* the value moves between "key: x" and an indented block below "key:" */
        start = colon_end(doc, &doc->nodes[key]);
        const char *lead = block ? doc->eol : " ";
        char *joined = malloc(strlen(lead) + strlen(*text) + 1);
        if (!joined) return nomem(err);
        strcpy(joined, lead);
        strcat(joined, *text);
        free(*text);
        *text = joined;
    } else if (key != YP_NONE && t->start == t->end) {
        /* an empty value sits right after the ':' */
        char *joined = malloc(strlen(*text) + 2);
        if (!joined) return nomem(err);
        joined[0] = ' ';
        strcpy(joined + 1, *text);
        free(*text);
        *text = joined;
    } else if (block) {
        /* a sequence item or the root: the block's first line starts at the node */
        size_t skip = 0;
        while ((*text)[skip] == ' ') skip++;
        memmove(*text, *text + skip, strlen(*text + skip) + 1);
    }
    if (key != YP_NONE && t->start == t->end && !follows_indicator(doc, t->prop_start)) {
        /* An entry with no ':' ("? key" alone, "{key}") holds an empty value
         * with no place of its own: the new value brings its ':', on a line
         * of its own in a block mapping, or it would join the key. */
        const yp_node *map = &doc->nodes[t->parent];
        size_t lead = flow ? 0 : strlen(doc->eol) + map->col;
        char *joined = malloc(lead + strlen(*text) + 2);
        if (!joined) return nomem(err);
        if (!flow) {
            strcpy(joined, doc->eol);
            memset(joined + strlen(doc->eol), ' ', map->col);
        }
        joined[lead] = ':';
        strcpy(joined + lead + 1, *text);
        free(*text);
        *text = joined;
    }
    *sp = (yp_splice){ start, end, *text, strlen(*text) };
    return YP_OK;
}

/* The commented-out template line for `key` inside mapping `map`, as
 * cassandra.yaml ships `# broadcast_address: 1.2.3.4`.  Returns its line start
 * or YP_NONE. */
static bool looks_like_template_value(const char *v, const char *eol)
{
    while (*v == ' ' || *v == '\t') v++;
    if (v >= eol || *v == '"' || *v == '\'' || *v == '[' || *v == '{') return true;
    /* a value followed by a comment: look at the value alone */
    const char *end = eol;
    for (const char *c = v; c < eol; c++)
        if (*c == '#' && c > v && (c[-1] == ' ' || c[-1] == '\t')) { end = c; break; }
    while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
    /* prose has spaces between words; a template value only after commas
     * ("system, system_schema") */
    for (const char *c = v; c < end; c++)
        if (*c == ' ' && c[-1] != ',') return false;
    return true;
}

static size_t next_outside(const yp_doc *doc, size_t id)
{
    /* nodes are stored in document order: the first node after the subtree */
    size_t last = id;
    for (size_t i = id + 1; i < doc->n_nodes; i++) {
        size_t p = doc->nodes[i].parent;
        while (p != YP_NONE && p != id) p = doc->nodes[p].parent;
        if (p != id) break;
        last = i;
    }
    return last + 1 < doc->n_nodes ? last + 1 : YP_NONE;
}

static bool inside_node(const yp_doc *doc, size_t map, size_t pos)
{
    for (size_t i = map + 1; i < doc->n_nodes; i++) {
        const yp_node *n = &doc->nodes[i];
        if (n->start > pos) break;
        if (n->kind == YPN_SCALAR && n->start < pos && pos < n->end) return true;
        if ((n->kind == YPN_MAP || n->kind == YPN_SEQ) && n->parent == map && n->start < pos &&
            pos < n->end)
            return true;
    }
    return false;
}

static size_t find_template(const yp_doc *doc, size_t map, const char *key)
{
    const yp_node *m = &doc->nodes[map];
    size_t from = m->parent == YP_NONE ? 0 : yp_line_start(doc, m->start);
    size_t next = next_outside(doc, map);
    size_t to = next != YP_NONE ? yp_line_start(doc, doc->nodes[next].start) : doc->len;
    if (m->parent == YP_NONE && doc->n_docs > m->document + 1)
        to = doc->doc_ends[m->document];
    size_t klen = strlen(key), found = YP_NONE;
    for (size_t line = from; line < to; line = yp_line_end(doc, line)) {
        const char *s = doc->bytes + line, *eol = doc->bytes + yp_line_end(doc, line);
        const char *c = s;
        while (c < eol && (*c == ' ' || *c == '\t')) c++;
        if (c >= eol || *c != '#') continue;
        c++;
        while (c < eol && *c == ' ') c++;
        size_t col = (size_t)(c - s);
        if ((size_t)(eol - c) <= klen || memcmp(c, key, klen) != 0 || c[klen] != ':') continue;
        /* "# NOTE:", "# Default: true", "# SimpleSnitch:": a capitalised word is the
         * start of a sentence or a heading in a config file's comments, not a key */
        if (*c >= 'A' && *c <= 'Z') continue;
        const char *after = c + klen + 1;
        if (after < eol && *after != ' ' && *after != '\t' && *after != '\r' && *after != '\n')
            continue;
        if (col + 2 < m->col || col > m->col + 2) continue;
        if (!looks_like_template_value(after, eol)) continue;
        if (inside_node(doc, map, line)) continue;
        found = line;
    }
    return found;
}

/* Text that creates keys segs[from..] under a mapping whose keys sit at `col`. */
static yp_status render_new_keys(const yp_doc *doc, const yp_path *path, size_t from,
                                 unsigned col, const new_value *v, yp_buf *b, yp_error *err)
{
    for (size_t i = from; i < path->n; i++) {
        unsigned c = col + (unsigned)(i - from) * doc->map_indent;
        if (i > from) yp_buf_indent(b, c);
        write_key(b, path->segs[i].key);
        yp_buf_char(b, ':');
        if (i + 1 < path->n) {
            yp_buf_str(b, doc->eol);
            continue;
        }
        char *text;
        bool block;
        yp_status st = render_value(doc, NULL, false, c, v, &text, &block, err);
        if (st != YP_OK) return st;
        if (!block) yp_buf_char(b, ' ');
        else yp_buf_str(b, doc->eol);
        yp_buf_str(b, text);
        free(text);
    }
    return b->failed ? nomem(err) : YP_OK;
}

/* Comment lines indented deeper than a mapping's keys that follow its last
 * entry belong to that entry (commented-out options of a nested block): a new
 * key goes after them. */
static size_t after_nested_comments(const yp_doc *doc, size_t at, unsigned long col)
{
    while (at < doc->len) {
        size_t i = at;
        while (i < doc->len && doc->bytes[i] == ' ') i++;
        if (i >= doc->len || doc->bytes[i] != '#' || i - at <= col) break;
        at = yp_line_end(doc, at);
    }
    return at;
}

/* Where the lines of block mapping `map` end.  Its end is its last value's,
 * which for a block scalar stops at the content; but one whose header keeps
 * its trailing line breaks (|+, >+, |2+) owns the blank lines that follow it,
 * and a key put right after its content would take them from it. */
static size_t after_kept_lines(const yp_doc *doc, size_t map)
{
    size_t at = yp_line_end(doc, doc->nodes[map].end);
    const yp_node *last = &doc->nodes[map];
    while ((last->kind == YPN_MAP || last->kind == YPN_SEQ) && !last->flow && last->n_kids)
        last = &doc->nodes[last->kids[last->n_kids - 1]];
    if (last->kind != YPN_SCALAR || (last->style != YPS_LITERAL && last->style != YPS_FOLDED))
        return at;
    bool keep = false;
    for (size_t i = last->start + 1; i < doc->len && i <= last->start + 2 && !keep; i++) {
        if (doc->bytes[i] == '+') keep = true;
        else if (doc->bytes[i] < '1' || doc->bytes[i] > '9') break;
    }
    while (keep && at < doc->len) {
        size_t next = yp_line_end(doc, at), i = at;
        while (i < next && (doc->bytes[i] == ' ' || doc->bytes[i] == '\t' || doc->bytes[i] == '\r' ||
                            doc->bytes[i] == '\n'))
            i++;
        if (i < next) break; /* a line with content: the scalar ended before it */
        at = next;
    }
    return at;
}

static yp_status plan_create(const yp_doc *doc, const yp_path *path, size_t parent,
                             size_t depth, const new_value *v, unsigned flags, yp_splice *sp,
                             char **text, yp_error *err)
{
    for (size_t i = depth; i < path->n; i++) {
        if (path->segs[i].kind != YPP_KEY) {
            char *where = yp_path_format(path, i + 1);
            yp_fail(err, YP_ERR_NOT_FOUND, 0, 0, "%s: not found", where ? where : "?");
            free(where);
            return YP_ERR_NOT_FOUND;
        }
    }
    yp_buf b = { 0 };
    yp_status st;
    const yp_node *p = parent != YP_NONE ? &doc->nodes[parent] : NULL;

    if ((flags & YP_SET_EXISTING) && !(p && p->kind == YPN_MAP && !p->flow)) {
        /* only a block mapping can hold a template line: never add a key elsewhere */
        char *where = yp_path_format(path, path->n);
        st = yp_fail(err, YP_ERR_NOT_FOUND, 0, 0, "%s: not found", where ? where : "?");
        free(where);
        return st;
    }
    if (!p) { /* an empty document */
        size_t at = doc->len;
        if (at > 0 && doc->bytes[at - 1] != '\n') yp_buf_str(&b, doc->eol);
        st = render_new_keys(doc, path, depth, 0, v, &b, err);
        if (st == YP_OK) yp_buf_str(&b, doc->eol);
        *sp = (yp_splice){ at, at, NULL, 0 };
    } else if (p->kind == YPN_SCALAR && yp_node_type(p) == YPT_NULL && key_of(doc, parent) != YP_NONE &&
               !in_flow(doc, parent)) {
        /* `key:` with no value becomes a mapping */
        const yp_node *key = &doc->nodes[key_of(doc, parent)];
        unsigned col = (unsigned)key->col + doc->map_indent;
        yp_buf_str(&b, doc->eol);
        yp_buf_indent(&b, col);
        st = render_new_keys(doc, path, depth, col, v, &b, err);
        *sp = (yp_splice){ colon_end(doc, key), p->end, NULL, 0 };
    } else if (p->kind != YPN_MAP) {
        char *where = yp_path_format(path, depth + 1);
        st = yp_fail(err, YP_ERR_TYPE, p->line + 1, p->col + 1,
                     "%s: cannot add a key to %s", where ? where : "?",
                     p->kind == YPN_SEQ ? "a sequence" : "a scalar");
        free(where);
    } else if (p->flow) {
        /* {a: 1} -> {a: 1, key: value} */
        size_t at = p->n_kids ? doc->nodes[p->kids[p->n_kids - 1]].end : p->start + 1;
        if (p->n_kids) yp_buf_str(&b, ", ");
        write_key(&b, path->segs[depth].key);
        yp_buf_str(&b, ": ");
        char *t;
        bool block;
        if (depth + 1 != path->n) {
            st = yp_fail(err, YP_ERR_NOT_FOUND, 0, 0, "%s: not found", path->segs[depth + 1].key);
        } else if ((st = render_value(doc, NULL, true, 0, v, &t, &block, err)) == YP_OK) {
            yp_buf_str(&b, t);
            free(t);
        }
        *sp = (yp_splice){ at, at, NULL, 0 };
    } else {
        size_t tmpl = YP_NONE;
        if (flags & YP_SET_UNCOMMENT) tmpl = find_template(doc, parent, path->segs[depth].key);
        if (tmpl == YP_NONE && (flags & YP_SET_EXISTING)) {
            char *where = yp_path_format(path, path->n);
            st = yp_fail(err, YP_ERR_NOT_FOUND, 0, 0, "%s: not found", where ? where : "?");
            free(where);
        } else if (tmpl != YP_NONE) {
            size_t end = yp_line_end(doc, tmpl);
            while (end > tmpl && (doc->bytes[end - 1] == '\n' || doc->bytes[end - 1] == '\r'))
                end--;
            yp_buf_indent(&b, (unsigned)p->col);
            st = render_new_keys(doc, path, depth, (unsigned)p->col, v, &b, err);
            *sp = (yp_splice){ tmpl, end, NULL, 0 };
        } else {
            size_t at = after_nested_comments(doc, after_kept_lines(doc, parent), p->col);
            if (at == doc->len && at > 0 && doc->bytes[at - 1] != '\n') yp_buf_str(&b, doc->eol);
            yp_buf_indent(&b, (unsigned)p->col);
            st = render_new_keys(doc, path, depth, (unsigned)p->col, v, &b, err);
            if (at < doc->len || (at > 0 && doc->bytes[at - 1] == '\n') || b.len)
                yp_buf_str(&b, doc->eol);
            *sp = (yp_splice){ at, at, NULL, 0 };
        }
    }
    *text = yp_buf_take(&b);
    if (st != YP_OK) {
        free(*text);
        *text = NULL;
        return st;
    }
    if (!*text) return nomem(err);
    sp->text = *text;
    sp->text_len = strlen(*text);
    return YP_OK;
}

static yp_status load_value(const char *text, yp_value_type type, new_value *v, yp_error *err)
{
    *v = (new_value){ .text = text, .type = type, .raw_root = YP_NONE };
    if (type != YP_VALUE_YAML) return YP_OK;
    yp_error perr;
    v->raw = yp_doc_load(text, strlen(text), false, &perr);
    if (!v->raw && perr.code == YP_ERR_NOMEM) return nomem(err);
    if (!v->raw)
        return yp_fail(err, YP_ERR_VALUE, 0, 0, "the value is not valid YAML: %lu:%lu: %s",
                       perr.line, perr.column, perr.message);
    if (v->raw->n_docs > 1) {
        yp_doc_free(v->raw);
        v->raw = NULL;
        return yp_fail(err, YP_ERR_VALUE, 0, 0, "the value holds several YAML documents");
    }
    v->raw_root = v->raw->n_docs ? v->raw->roots[0] : YP_NONE;
    for (size_t i = 0; i < v->raw->n_nodes; i++)
        if (v->raw->nodes[i].kind == YPN_ALIAS || v->raw->nodes[i].anchor ||
            v->raw->nodes[i].has_tag) {
            yp_doc_free(v->raw);
            v->raw = NULL;
            return yp_fail(err, YP_ERR_VALUE, 0, 0, "anchors, aliases and tags are not "
                           "supported in a value");
        }
    return YP_OK;
}

/* An edit that would write what is already there changes nothing. */
static bool already_holds(const yp_doc *doc, size_t target, const new_value *v)
{
    const yp_node *t = &doc->nodes[target];
    if (v->raw) return v->raw_root != YP_NONE && same_tree(v->raw, v->raw_root, doc, target) &&
                       t->kind != YPN_SCALAR;
    if (t->kind != YPN_SCALAR) return false;
    if (v->type == YP_VALUE_AUTO) return strcmp(t->value, v->text) == 0;
    return scalar_reads_as(t, v);
}

static yp_status not_found(const yp_path *path, yp_error *err)
{
    char *where = yp_path_format(path, path->n);
    yp_fail(err, YP_ERR_NOT_FOUND, 0, 0, "%s: not found", where ? where : "?");
    free(where);
    return YP_ERR_NOT_FOUND;
}

/* ---- get -------------------------------------------------------------- */

yp_status yp_get(const yp_doc *doc, const char *path_text, char **out, bool *is_scalar,
                 yp_error *err)
{
    yp_path path;
    yp_status st = yp_path_parse(path_text, &path, err);
    if (st != YP_OK) return st;
    size_t node, depth;
    st = yp_path_walk(doc, &path, &node, &depth, err);
    if (st == YP_ERR_NOT_FOUND) st = not_found(&path, err);
    if (st == YP_OK) {
        const yp_node *n = &doc->nodes[node];
        if (n->kind == YPN_SCALAR) {
            *out = strdup(n->value);
        } else {
            size_t start = n->kind == YPN_ALIAS ? n->start : yp_line_start(doc, n->start);
            if (n->flow || n->kind == YPN_ALIAS) start = n->start;
            *out = yp_strndup(doc->bytes + start, n->end - start);
        }
        if (is_scalar) *is_scalar = n->kind == YPN_SCALAR;
        if (!*out) st = nomem(err);
    }
    yp_path_free(&path);
    return st;
}

/* ---- delete ----------------------------------------------------------- */

/* The whole lines from `first` (a node's start) to the end of `last`. */
static void whole_lines(const yp_doc *doc, size_t first, size_t last_end, yp_splice *sp)
{
    sp->start = yp_line_start(doc, first);
    sp->end = (last_end > 0 && doc->bytes[last_end - 1] == '\n') ? last_end
                                                                  : yp_line_end(doc, last_end);
}

static bool first_on_line(const yp_doc *doc, size_t pos)
{
    size_t s = yp_line_start(doc, pos);
    for (size_t i = s; i < pos; i++)
        if (doc->bytes[i] != ' ' && doc->bytes[i] != '\t') return false;
    return true;
}

/* Whether only blanks and block indicators ("- ", "? ", ": ") stand before
 * `pos` on its line: then a '?' at `pos` is an indicator too. */
static bool after_indicators_only(const yp_doc *doc, size_t pos)
{
    for (size_t i = yp_line_start(doc, pos); i < pos; i++) {
        char c = doc->bytes[i];
        if (c == ' ' || c == '\t') continue;
        if ((c != '-' && c != '?' && c != ':') || (doc->bytes[i + 1] != ' ' && doc->bytes[i + 1] != '\t'))
            return false;
    }
    return true;
}

/* Where a block sequence item's '-' is: before its properties, on its line or
 * on a line above ("-\n  value"), after the item before it (`bound`). */
static size_t dash_of(const yp_doc *doc, const yp_node *item, size_t bound)
{
    size_t i = item->prop_start;
    while (i > bound && strchr(" \t\r\n", doc->bytes[i - 1])) i--;
    return (i > bound && doc->bytes[i - 1] == '-') ? i - 1 : item->prop_start;
}

static yp_status plan_delete(const yp_doc *doc, size_t target, const yp_path *path,
                             yp_splice *sp, yp_error *err)
{
    const yp_node *t = &doc->nodes[target];
    if (t->parent == YP_NONE)
        return yp_fail(err, YP_ERR_TYPE, 0, 0, "cannot delete the document's root");
    const yp_node *p = &doc->nodes[t->parent];
    size_t idx = 0;
    while (p->kids[idx] != target) idx++;
    size_t step = p->kind == YPN_MAP ? 2 : 1;
    size_t first = p->kind == YPN_MAP ? idx - 1 : idx; /* the key, or the item */
    size_t entry_start = doc->nodes[p->kids[first]].prop_start; /* with its tag, anchor */
    if (p->kind == YPN_MAP && !p->flow) {
        /* an explicit key ("? key") begins at its indicator, maybe lines and
         * comments above the key, with only indicators before it on its line
         * (a '?' found otherwise is the end of a comment or value) */
        size_t bound = first ? doc->nodes[p->kids[first - 1]].end : p->start;
        size_t q = bound <= entry_start ? yp_content_end(doc, bound, entry_start) : entry_start;
        if (q > bound && doc->bytes[q - 1] == '?' && after_indicators_only(doc, q - 1))
            entry_start = q - 1;
    }
    if (p->kind == YPN_SEQ && !p->flow)
        entry_start = dash_of(doc, t, idx ? doc->nodes[p->kids[idx - 1]].end : yp_line_start(doc, p->start));
    size_t entry_end = t->end;
    bool sole = p->n_kids == step;
    sp->text = sole ? (p->kind == YPN_MAP ? "{}" : "[]") : "";
    if (sole) {
        /* an emptied collection stays a collection of the same kind */
        *sp = (yp_splice){ p->flow ? p->start : entry_start, p->flow ? p->end : entry_end,
                           sp->text, 2 };
    } else if (p->flow) {
        if (first + step < p->n_kids)
            *sp = (yp_splice){ entry_start, doc->nodes[p->kids[first + step]].start, "", 0 };
        else
            *sp = (yp_splice){ doc->nodes[p->kids[first - 1]].end, entry_end, "", 0 };
    } else if (first_on_line(doc, entry_start)) {
        whole_lines(doc, entry_start, entry_end, sp);
        sp->text = "";
        sp->text_len = 0;
    } else if (first + step < p->n_kids) {
        /* "- a: 1\n  b: 2": the next key moves up beside the dash */
        *sp = (yp_splice){ entry_start, doc->nodes[p->kids[first + step]].start, "", 0 };
    } else {
        /* the last entry of a mapping that starts beside a dash: cut from the end of
         * the previous entry */
        size_t prev_end = doc->nodes[p->kids[first - 1]].end;
        size_t cut = yp_line_end(doc, entry_end);
        if (doc->bytes[cut - 1] == '\n') {
            cut--;
            if (cut > 0 && doc->bytes[cut - 1] == '\r') cut--;
        }
        *sp = (yp_splice){ prev_end, cut, "", 0 };
        (void)path;
    }
    return YP_OK;
}

/* ---- applying edits --------------------------------------------------- */

/* One edit, planned against the current document. */
typedef struct {
    const yp_edit *edit;
    yp_path path;
    new_value value;
    char *text;           /* owns the splice text */
    yp_splice sp;
    bool noop;            /* already holds the value (or skipped): no splice */
    bool skipped;         /* a YP_SET_EXISTING edit of a key that is not there */
    size_t held_start;    /* noop: the span of the node that holds the value */
    size_t held_end;
    size_t parent_start;  /* a new key: the span of the mapping it goes into; a */
    size_t parent_end;    /* replaced value: its node; YP_NONE for a delete */
    size_t del_parent;    /* a delete: the collection it removes an entry from
                             (two such deletes could empty it between them) */
    size_t add_parent;    /* a new key: the node it goes into (where the second
                             goes depends on where the first went) */
    bool seq_delete;      /* removes a sequence item: later indices shift */
    bool after_kept;      /* a new key placed after a kept block scalar's blank
                             lines: where it goes depends on that scalar */
    size_t parent_count;  /* seq_delete: items before */
} planned;

static void planned_free(planned *p)
{
    free(p->text);
    yp_doc_free(p->value.raw);
    yp_path_free(&p->path);
    memset(p, 0, sizeof *p);
}

static yp_status plan_edit(const yp_doc *doc, const yp_edit *e, planned *p, yp_error *err)
{
    memset(p, 0, sizeof *p);
    p->edit = e;
    p->value.raw_root = YP_NONE;
    p->parent_start = p->parent_end = p->del_parent = p->add_parent = YP_NONE;
    yp_status st = yp_path_parse(e->path, &p->path, err);
    if (st != YP_OK) return st;
    /* "." and "" name the whole document: get may read it, but an edit there
     * would throw away every comment and key in one stroke. */
    if (p->path.n == 0)
        return yp_fail(err, YP_ERR_PATH, 0, 0,
                       "'%s': the document root cannot be %s; name a key (e.g. cluster_name)",
                       e->path, e->remove ? "deleted" : "replaced");
    size_t node, depth;
    if (e->remove) {
        st = yp_path_walk(doc, &p->path, &node, &depth, err);
        if (st == YP_ERR_NOT_FOUND) return not_found(&p->path, err);
        if (st != YP_OK) return st;
        const yp_node *t = &doc->nodes[node];
        p->del_parent = t->parent;
        p->seq_delete = t->parent != YP_NONE && doc->nodes[t->parent].kind == YPN_SEQ;
        p->parent_count = t->parent != YP_NONE ? doc->nodes[t->parent].n_kids : 0;
        return plan_delete(doc, node, &p->path, &p->sp, err);
    }
    if ((st = load_value(e->value ? e->value : "", e->type, &p->value, err)) != YP_OK)
        return st;
    st = yp_path_walk(doc, &p->path, &node, &depth, err);
    if (st == YP_OK) {
        if (already_holds(doc, node, &p->value)) {
            p->noop = true;
            p->held_start = doc->nodes[node].prop_start;
            p->held_end = doc->nodes[node].end;
            return YP_OK;
        }
        /* An empty value (a bare "key:") is replaced by an insertion where the
         * entry ends: a delete of that entry in the same pass must see that it
         * swallows the node, which a zero-width splice does not tell it. */
        p->parent_start = doc->nodes[node].prop_start;
        p->parent_end = doc->nodes[node].end;
        return plan_replace(doc, node, &p->value, &p->sp, &p->text, err);
    }
    if (st != YP_ERR_NOT_FOUND || p->path.n == 0) return st == YP_ERR_NOT_FOUND ?
        not_found(&p->path, err) : st;
    if (depth + 1 < p->path.n && (e->flags & YP_SET_EXISTING)) {
        p->noop = p->skipped = true; /* never add a key: skipped */
        return YP_OK;
    }
    st = plan_create(doc, &p->path, node, depth, &p->value, e->flags, &p->sp, &p->text, err);
    if (st == YP_ERR_NOT_FOUND && (e->flags & YP_SET_EXISTING)) {
        p->noop = p->skipped = true;
        return YP_OK;
    }
    if (st == YP_OK) {
        p->add_parent = node;
        p->after_kept = node != YP_NONE && doc->nodes[node].kind == YPN_MAP && !doc->nodes[node].flow &&
                        after_kept_lines(doc, node) != yp_line_end(doc, doc->nodes[node].end);
        p->parent_start = node != YP_NONE ? doc->nodes[node].prop_start : 0;
        p->parent_end = node != YP_NONE ? doc->nodes[node].end : doc->len;
    }
    return st;
}

/* A path that picks a sequence item by a value it holds ([name=value]) or
 * by counting from the end ([-1]) may pick another item once other edits of
 * the same pass are made: such an edit gets a pass of its own. */
static bool depends_on_siblings(const yp_path *path)
{
    for (size_t i = 0; i < path->n; i++)
        if (path->segs[i].kind == YPP_MATCH ||
            (path->segs[i].kind == YPP_INDEX && path->segs[i].index < 0))
            return true;
    return false;
}

/* A splice over a place the document's format was learned from (the first
 * line break, the first nested mapping or sequence) may change how the
 * edits after it are written. */
static bool changes_format(const yp_doc *doc, const yp_splice *sp)
{
    for (size_t i = 0; i < sizeof doc->format_from / sizeof doc->format_from[0]; i++)
        if (doc->format_from[i] != YP_NONE && sp->start <= doc->format_from[i] &&
            doc->format_from[i] < sp->end)
            return true;
    return false;
}

/* Two splices can go into one pass when neither touches the other's bytes,
 * nor is an insertion at the end of the other. */
static bool conflict(const yp_splice *a, const yp_splice *b)
{
    if (a->start == b->start) return true;
    if (a->start < b->end && b->start < a->end) return true;
    /* an insertion inside another splice, or right after it: what it writes
     * (a line break first or not) depends on the bytes before it */
    if (a->start == a->end && b->start < a->start && a->start <= b->end) return true;
    if (b->start == b->end && a->start < b->start && b->start <= a->end) return true;
    return false;
}

/* A splice that replaces or removes the whole span [a, b] (a node a new key is
 * added to): the two edits must not share a pass. */
static bool encloses(const yp_splice *s, size_t a, size_t b)
{
    return a != YP_NONE && s->end > s->start && s->start <= a && s->end >= b;
}

/* Whether planned edit p may join the pass ps[0..m). */
static bool fits_pass(const planned *ps, size_t m, const planned *p)
{
    for (size_t j = 0; j < m; j++) {
        const planned *q = &ps[j];
        if (q->noop) continue;
        if (p->noop) {
            /* decided on the document before the pass: only valid when no splice
             * of the pass touches the node it looked at */
            if (p->skipped || (q->sp.start <= p->held_end && q->sp.end >= p->held_start))
                return false;
            continue;
        }
        /* two deletes from one collection, two keys into one, or a delete and
         * a new key in one (a delete of the last entry writes "{}" where the
         * new key would follow) go to separate passes */
        if (conflict(&q->sp, &p->sp) || (p->del_parent != YP_NONE && p->del_parent == q->del_parent) ||
            (p->add_parent != YP_NONE && p->add_parent == q->add_parent) ||
            (p->del_parent != YP_NONE && p->del_parent == q->add_parent) ||
            (p->add_parent != YP_NONE && p->add_parent == q->del_parent) ||
            encloses(&q->sp, p->parent_start, p->parent_end) || encloses(&p->sp, q->parent_start, q->parent_end))
            return false;
    }
    return true;
}

static int by_start(const void *x, const void *y)
{
    const yp_splice *a = x, *b = y;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* The edits of one pass hold their values in `next`. */
static yp_status check_pass(const yp_doc *next, planned *ps, size_t n, yp_error *err)
{
    for (size_t i = 0; i < n; i++) {
        planned *p = &ps[i];
        if (p->noop) continue;
        if (!p->edit->remove) {
            yp_status st = check_result(next, &p->path, &p->value, err);
            if (st != YP_OK) return st;
            continue;
        }
        size_t node, depth;
        yp_error ignored;
        bool ok;
        if (p->seq_delete) {
            yp_path parent = { p->path.segs, p->path.n - 1 };
            ok = yp_path_walk(next, &parent, &node, &depth, &ignored) == YP_OK &&
                 next->nodes[node].n_kids + 1 == p->parent_count;
        } else {
            ok = yp_path_walk(next, &p->path, &node, &depth, &ignored) == YP_ERR_NOT_FOUND;
        }
        if (!ok)
            return yp_fail(err, YP_ERR_VERIFY, 0, 0, "%s: the delete did not verify; refusing",
                           p->edit->path);
    }
    return YP_OK;
}

/* Splice every planned edit into `doc` at once, parse the result, verify. */
static yp_status run_pass(const yp_doc *doc, planned *ps, size_t n, yp_doc **out,
                          yp_error *err)
{
    yp_splice *sps = malloc((n ? n : 1) * sizeof *sps);
    if (!sps) return nomem(err);
    size_t k = 0, len = doc->len;
    for (size_t i = 0; i < n; i++) {
        const yp_splice *s = &ps[i].sp;
        if (ps[i].noop ||
            (s->end - s->start == s->text_len &&
             memcmp(doc->bytes + s->start, s->text, s->text_len) == 0))
            continue; /* the same bytes: nothing to do */
        yp_status st = check_aliases(doc, s->start, s->end, err);
        if (st != YP_OK) {
            free(sps);
            return st;
        }
        sps[k++] = *s;
        len = len - (s->end - s->start) + s->text_len;
    }
    if (k == 0) {
        free(sps);
        *out = NULL; /* nothing changes */
        return YP_OK;
    }
    qsort(sps, k, sizeof *sps, by_start);
    char *bytes = malloc(len + 1), *w = bytes;
    if (!bytes) {
        free(sps);
        return nomem(err);
    }
    size_t from = 0;
    for (size_t i = 0; i < k; i++) {
        memcpy(w, doc->bytes + from, sps[i].start - from);
        w += sps[i].start - from;
        memcpy(w, sps[i].text, sps[i].text_len);
        w += sps[i].text_len;
        from = sps[i].end;
    }
    memcpy(w, doc->bytes + from, doc->len - from);
    bytes[len] = '\0';
    yp_error perr;
    yp_doc *next = yp_index_build(bytes, len, doc->allow_duplicates, &perr);
    yp_status st;
    if (!next) {
        st = perr.code == YP_ERR_NOMEM ? nomem(err)
           : yp_fail(err, YP_ERR_VERIFY, perr.line, perr.column,
                     "the edited document would not parse (%s); refusing", perr.message);
    } else {
        st = yp_verify_unchanged(doc, next, sps, k, err);
        if (st == YP_OK) st = yp_doc_select(next, doc->current, err);
        if (st == YP_OK) st = check_pass(next, ps, n, err);
    }
    free(sps);
    if (st != YP_OK) {
        yp_doc_free(next);
        return st;
    }
    *out = next;
    return YP_OK;
}

yp_status yp_apply(yp_doc *doc, const yp_edit *edits, size_t n, yp_error *err)
{
    planned *ps = calloc(n ? n : 1, sizeof *ps);
    if (!ps) return nomem(err);
    const yp_doc *cur = doc;
    yp_doc *owned = NULL; /* cur when it is a working copy, not the caller's doc */
    yp_status st = YP_OK;
    size_t i = 0;
    while (i < n && st == YP_OK) {
        /* a pass: the following edits whose splices touch disjoint bytes */
        size_t m = 0;
        while (i + m < n) {
            planned *p = &ps[m];
            yp_error perr;
            st = plan_edit(cur, &edits[i + m], p, m ? &perr : err);
            if (st != YP_OK) {
                planned_free(p);
                /* it may depend on an edit of this pass: plan it again after */
                if (m) st = YP_OK;
                break;
            }
            bool alone = p->seq_delete || p->after_kept || depends_on_siblings(&p->path);
            bool last = !p->noop && changes_format(cur, &p->sp);
            if (!fits_pass(ps, m, p) || (alone && m)) {
                planned_free(p);
                break;
            }
            m++;
            if (alone) break; /* what the others change may move its target */
            if (last) break;  /* the edits after it are written in the new format */
        }
        if (st != YP_OK) break;
        yp_doc *next = NULL;
        st = run_pass(cur, ps, m, &next, err);
        for (size_t j = 0; j < m; j++) planned_free(&ps[j]);
        if (st == YP_OK && next) {
            yp_doc_free(owned);
            owned = next;
            cur = next;
        }
        i += m;
    }
    free(ps);
    if (st == YP_OK && owned) replace_doc(doc, owned);
    else yp_doc_free(owned);
    return st;
}

yp_status yp_set(yp_doc *doc, const char *path, const char *value, yp_value_type type,
                 unsigned flags, yp_error *err)
{
    yp_edit e = { .path = path, .value = value, .type = type, .flags = flags };
    yp_status st = yp_apply(doc, &e, 1, err);
    if (st == YP_OK && (flags & YP_SET_EXISTING)) {
        /* a skipped edit: say so to the single-edit caller */
        yp_path parsed;
        size_t node, depth;
        yp_error ignored;
        if (yp_path_parse(path, &parsed, &ignored) == YP_OK) {
            if (yp_path_walk(doc, &parsed, &node, &depth, &ignored) == YP_ERR_NOT_FOUND)
                st = not_found(&parsed, err);
            yp_path_free(&parsed);
        }
    }
    return st;
}

yp_status yp_delete(yp_doc *doc, const char *path, yp_error *err)
{
    yp_edit e = { .path = path, .remove = true };
    return yp_apply(doc, &e, 1, err);
}
