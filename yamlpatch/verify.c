/*
 * verify.c: the promise that an edit changed nothing but its target.
 *
 * Both documents are flattened into their scalars (keys, values, aliases) in
 * document order, each with a structural path.  The scalars that overlap the
 * splice are set aside on both sides; the rest must pair up one to one with the
 * same path, value, style and position (shifted by the splice's growth when they
 * come after it).
 */
#include "yamlpatch/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t node;
    char *path;
} leaf;

typedef struct {
    leaf *items;
    size_t n;
} leaf_list;

/* The structural path of a node: keys by value, sequence items as [], map keys
 * marked with '?' so that a key and its value are told apart. */
static void node_path(const yp_doc *doc, size_t id, yp_buf *b)
{
    const yp_node *n = &doc->nodes[id];
    if (n->parent == YP_NONE) {
        char d[24];
        snprintf(d, sizeof d, "%zu:", n->document);
        yp_buf_str(b, d);
        return;
    }
    node_path(doc, n->parent, b);
    const yp_node *p = &doc->nodes[n->parent];
    if (p->kind == YPN_SEQ) {
        yp_buf_str(b, "/[]");
        return;
    }
    size_t i = n->slot; /* known from the build: no scan of the parent's kids */
    if (i % 2 == 0) {
        yp_buf_str(b, "/?");
    } else {
        const yp_node *k = &doc->nodes[p->kids[i - 1]];
        yp_buf_str(b, "/");
        yp_buf_str(b, k->kind == YPN_SCALAR ? k->value : "<complex key>");
    }
}

static bool overlaps(const yp_node *n, size_t a, size_t b)
{
    if (n->start == n->end) return a <= n->start && n->start <= b;
    return n->start < b && n->end > a;
}

/* The splices in the coordinates of one side: [start, end) in `before`, or
 * [start', start' + text_len) in `after` where start' is shifted by the growth
 * of the splices before it. */
static bool overlaps_any(const yp_node *n, const yp_splice *sps, size_t count, bool after)
{
    long shift = 0;
    for (size_t i = 0; i < count; i++) {
        size_t a = (size_t)((long)sps[i].start + (after ? shift : 0));
        size_t b = after ? a + sps[i].text_len : sps[i].end;
        if (overlaps(n, a, b)) return true;
        shift += (long)sps[i].text_len - (long)(sps[i].end - sps[i].start);
    }
    return false;
}

/* Where a byte of `before` outside every splice is in `after`. */
static size_t shifted(size_t pos, const yp_splice *sps, size_t count)
{
    long shift = 0;
    for (size_t i = 0; i < count && sps[i].end <= pos; i++)
        shift += (long)sps[i].text_len - (long)(sps[i].end - sps[i].start);
    return (size_t)((long)pos + shift);
}

static void free_leaves(leaf_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->items[i].path);
    free(l->items);
}

static bool collect(const yp_doc *doc, const yp_splice *sps, size_t count, bool after,
                    leaf_list *out)
{
    out->items = calloc(doc->n_nodes ? doc->n_nodes : 1, sizeof(leaf));
    out->n = 0;
    if (!out->items) return false;
    for (size_t i = 0; i < doc->n_nodes; i++) {
        const yp_node *n = &doc->nodes[i];
        if (n->kind != YPN_SCALAR && n->kind != YPN_ALIAS) continue;
        if (overlaps_any(n, sps, count, after)) continue;
        yp_buf pb = { 0 };
        node_path(doc, i, &pb);
        char *path = yp_buf_take(&pb);
        if (!path) return false;
        out->items[out->n++] = (leaf){ i, path };
    }
    return true;
}

yp_status yp_verify_unchanged(const yp_doc *before, const yp_doc *after, const yp_splice *sps,
                              size_t count, yp_error *err)
{
    leaf_list old = { 0 }, new = { 0 };
    yp_status st = YP_OK;
    if (!collect(before, sps, count, false, &old) || !collect(after, sps, count, true, &new)) {
        st = yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    size_t pairs = old.n < new.n ? old.n : new.n;
    for (size_t i = 0; i < pairs; i++) {
        const yp_node *o = &before->nodes[old.items[i].node];
        const yp_node *n = &after->nodes[new.items[i].node];
        size_t expect = shifted(o->start, sps, count);
        bool same = o->kind == n->kind && o->style == n->style && n->start == expect &&
                    strcmp(old.items[i].path, new.items[i].path) == 0 &&
                    ((o->kind == YPN_ALIAS && strcmp(o->anchor, n->anchor) == 0) ||
                     (o->kind == YPN_SCALAR && o->value_len == n->value_len &&
                      memcmp(o->value, n->value, o->value_len) == 0));
        if (!same) {
            st = yp_fail(err, YP_ERR_VERIFY, o->line + 1, o->col + 1,
                         "the edit would change the node at %s (line %lu); refusing",
                         old.items[i].path, o->line + 1);
            goto done;
        }
    }
    if (old.n != new.n)
        st = yp_fail(err, YP_ERR_VERIFY, 0, 0,
                     "the edit would change the number of other nodes (%zu -> %zu); refusing",
                     old.n, new.n);
done:
    free_leaves(&old);
    free_leaves(&new);
    return st;
}
