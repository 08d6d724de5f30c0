/*
 * fuzz_yamlpatch.c: libFuzzer target for the yamlpatch library.
 *
 * Input layout.  When a NUL byte occurs in the first PROGRAM_MAX bytes, the
 * bytes before it are the "program" and the bytes after it the YAML document.
 * Otherwise the whole input is the document and the program is derived from a
 * hash of it, so that any plain YAML file (cassandra.yaml ...) is a useful seed.
 *
 * Program.  Byte 0: bit 0 allows duplicate keys, bit 1 selects batch mode, the
 * rest picks the document of a stream.  Then up to MAX_EDITS edits, each
 *   op      bits 0-1: 0,3 set  1 delete  2 set with YP_SET_UNCOMMENT
 *           bits 2-4: value type (AUTO STRING INT BOOL NULL YAML AUTO YAML)
 *           bit 6: YP_SET_EXISTING
 *   path    bits 0-1: 0 an existing path of the document (2 more bytes pick it)
 *                     1 a path from a dictionary (1 byte)
 *                     2 an existing path plus a new child key (3 bytes)
 *                     3 literal path text (length byte + bytes)
 *   value   bit 7 clear: a dictionary value; set: literal (length byte + bytes)
 * In single mode each edit is a yp_set / yp_delete on the result of the one
 * before.  In batch mode the edits go to one yp_apply, and the same edits made
 * one by one on a copy are the reference.
 *
 * What is checked, with the harness's own index of the document (built from
 * libyaml events here, not from yamlpatch's index), after every edit:
 *  - a failed edit leaves the bytes as they were and reports the status it returns;
 *  - a well-formed path (per the grammar in yamlpatch.h) is never YP_ERR_PATH,
 *    a malformed one always is;
 *  - a successful edit's result loads again with yp_doc_load;
 *  - the bytes outside the target's region are those of the original: for a set
 *    of a top-level key, outside "key: value" (its comment stays); for anything
 *    below a top-level entry, outside that entry and the gaps to its neighbours;
 *    for a new top-level key, a change that overlaps no existing entry;
 *  - every other top-level key reads the same through yp_get;
 *  - the edited path reads back the intended value (yp_get and the harness's
 *    index, in the edited and in the reloaded document), and setting it again
 *    changes nothing; YP_SET_EXISTING never adds a key;
 *  - a delete removed exactly one entry;
 *  - yp_udiff(old, new), applied by a patcher here, gives the new bytes;
 *  - yp_apply equals the edits one by one: the same bytes when all succeed, a
 *    failure and untouched bytes when one of them fails.
 * A violation prints what was done and aborts, so libFuzzer keeps the input.
 * Leaks are LeakSanitizer's job.
 *
 * Environment: YP_FUZZ_TRACE=1 prints every edit with the bytes before and
 * after (to read a reproducer); YP_FUZZ_IGNORE=name,... sets aside a class of
 * finding while it is being fixed, to look past it (yaml-tag: a raw YAML value
 * read back with another tag; bool-text: BOOL accepting a non-boolean;
 * existing: YP_SET_EXISTING adding a key; apply-noop: a batch edit judged a
 * no-op before earlier edits of the batch; apply-verify: yp_apply refusing
 * what works edit by edit).  The suite sets none.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "yamlpatch/udiff.h"
#include "yamlpatch/yamlpatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NONE ((size_t)-1)
#define PROGRAM_MAX 64
#define MAX_EDITS 4
#define MAX_PATHS 2048
#define MAX_PATH_DEPTH 8
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation that never fails (a harness has no use for NOMEM paths) -- */

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *c = xrealloc(NULL, n + 1);
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

static char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

/* ---- reporting ---------------------------------------------------------- */

/* The edit in progress, printed when an invariant breaks. */
typedef struct {
    const char *op;
    const char *path;
    const char *value;
    yp_value_type type;
    size_t doc_index;
    bool allow_dup;
    size_t edit_no;
    unsigned flags;
    const char *mode;     /* single, one-by-one (the reference of a batch), yp_apply */
} edit_desc;

static void dump(const char *label, const char *s, size_t n)
{
    fprintf(stderr, "  %s (%zu bytes): \"", label, n);
    for (size_t i = 0; i < n && i < 400; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') fputs("\\n", stderr);
        else if (c == '\r') fputs("\\r", stderr);
        else if (c == '\t') fputs("\\t", stderr);
        else if (c == '"' || c == '\\') fprintf(stderr, "\\%c", c);
        else if (c < 0x20 || c >= 0x7F) fprintf(stderr, "\\x%02X\"\"", c);
        else fputc(c, stderr);
    }
    fputs(n > 400 ? "\"...\n" : "\"\n", stderr);
}

static const char *type_name(yp_value_type t)
{
    static const char *names[] = { "AUTO", "STRING", "INT", "BOOL", "NULL", "YAML" };
    return (unsigned)t < COUNT(names) ? names[t] : "?";
}

static void violation(const edit_desc *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void violation(const edit_desc *e, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\nyamlpatch invariant violated: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (e) {
        fprintf(stderr, "  %s edit #%zu: %s, type %s, flags %u, document %zu, allow_duplicates %d\n",
                e->mode, e->edit_no, e->op, type_name(e->type), e->flags, e->doc_index,
                e->allow_dup);
        dump("path", e->path, strlen(e->path));
        if (e->value) dump("value", e->value, strlen(e->value));
    }
    abort();
}

/* A class of findings named in YP_FUZZ_IGNORE (comma-separated) is not
 * reported: to look past a known, reported bug.  Unset in the suite. */
static bool ignored(const char *check)
{
    const char *list = getenv("YP_FUZZ_IGNORE");
    size_t n = strlen(check);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, check, n) == 0) return true;
        p += len + (p[len] == ',');
    }
    return false;
}

/* ---- the harness's own index of a YAML stream ---------------------------- */

typedef enum { HK_SCALAR, HK_MAP, HK_SEQ, HK_ALIAS } hkind;

typedef struct {
    hkind kind;
    bool plain;           /* scalar written plain */
    bool multiline;       /* scalar text spans several lines in the source */
    char *tag;            /* as libyaml reports it, or NULL */
    char *value;          /* decoded scalar */
    size_t len;
    size_t start, end;    /* bytes; block collections end at their last content */
    size_t *kids;         /* map: key, value, ...; seq: items */
    size_t n_kids, cap_kids;
} hnode;

typedef struct {
    hnode *nodes;
    size_t n, cap;
    size_t *roots;        /* per document; NONE when it has no node */
    size_t *starts;       /* byte where each document starts */
    size_t n_docs;
} htree;

/* libyaml marks count characters (a leading BOM excluded); splices are bytes. */
typedef struct {
    size_t len, base;
    size_t *offs;         /* byte of each character, NULL for ASCII input */
    size_t n_offs;
} charmap;

static void charmap_init(charmap *m, const char *b, size_t len)
{
    m->len = len;
    m->base = (len >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
    m->offs = NULL;
    m->n_offs = 0;
    bool ascii = true;
    for (size_t i = m->base; i < len && ascii; i++) ascii = (unsigned char)b[i] < 0x80;
    if (ascii) return;
    m->offs = xrealloc(NULL, (len - m->base + 1) * sizeof(size_t));
    for (size_t i = m->base; i < len; i++)
        if (((unsigned char)b[i] & 0xC0) != 0x80) m->offs[m->n_offs++] = i;
    m->offs[m->n_offs++] = len;
}

static size_t charmap_byte(const charmap *m, size_t index)
{
    if (!m->offs) return m->base + index > m->len ? m->len : m->base + index;
    return index < m->n_offs ? m->offs[index] : m->len;
}

static void tree_free(htree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->nodes[i].tag);
        free(t->nodes[i].value);
        free(t->nodes[i].kids);
    }
    free(t->nodes);
    free(t->roots);
    free(t->starts);
    memset(t, 0, sizeof *t);
}

static size_t tree_add(htree *t, hkind kind, size_t start, size_t end, size_t parent,
                       const yaml_char_t *tag)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->nodes = xrealloc(t->nodes, t->cap * sizeof *t->nodes);
    }
    size_t id = t->n++;
    hnode *n = &t->nodes[id];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->start = start;
    n->end = end < start ? start : end;
    n->tag = tag ? xstrdup((const char *)tag) : NULL;
    if (parent != NONE) {
        hnode *p = &t->nodes[parent];
        if (p->n_kids == p->cap_kids) {
            p->cap_kids = p->cap_kids ? p->cap_kids * 2 : 4;
            p->kids = xrealloc(p->kids, p->cap_kids * sizeof(size_t));
        }
        p->kids[p->n_kids++] = id;
    } else if (t->n_docs && t->roots[t->n_docs - 1] == NONE) {
        t->roots[t->n_docs - 1] = id;
    }
    return id;
}

/* Parse `len` bytes; false when libyaml rejects them. */
static bool tree_build(const char *bytes, size_t len, htree *t)
{
    memset(t, 0, sizeof *t);
    charmap m;
    charmap_init(&m, bytes, len);
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) abort();
    yaml_parser_set_input_string(&p, (const unsigned char *)bytes, len);
    size_t *stack = NULL, depth = 0, cap = 0;
    bool ok = true;
    for (bool done = false; !done;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            ok = false;
            break;
        }
        size_t start = charmap_byte(&m, ev.start_mark.index);
        size_t end = charmap_byte(&m, ev.end_mark.index);
        size_t parent = depth ? stack[depth - 1] : NONE;
        size_t id;
        hnode *n;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            t->roots = xrealloc(t->roots, (t->n_docs + 1) * sizeof(size_t));
            t->starts = xrealloc(t->starts, (t->n_docs + 1) * sizeof(size_t));
            t->roots[t->n_docs] = NONE;
            t->starts[t->n_docs] = start;
            t->n_docs++;
            break;
        case YAML_SCALAR_EVENT: {
            yaml_scalar_style_t style = ev.data.scalar.style;
            bool block = style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE;
            /* a block scalar's end mark swallows trailing blank lines */
            while (block && end > start && strchr(" \t\r\n", bytes[end - 1])) end--;
            id = tree_add(t, HK_SCALAR, start, end, parent, ev.data.scalar.tag);
            n = &t->nodes[id];
            n->plain = style == YAML_PLAIN_SCALAR_STYLE;
            n->multiline = block || memchr(bytes + n->start, '\n', n->end - n->start) != NULL;
            n->value = xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            n->len = ev.data.scalar.length;
            break;
        }
        case YAML_ALIAS_EVENT:
            tree_add(t, HK_ALIAS, start, end, parent, NULL);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            bool map = ev.type == YAML_MAPPING_START_EVENT;
            id = tree_add(t, map ? HK_MAP : HK_SEQ, start, start, parent,
                          map ? ev.data.mapping_start.tag : ev.data.sequence_start.tag);
            bool flow = map ? ev.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                            : ev.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
            /* flow collections end at their closing bracket; block ones at their
             * last content, computed when they close (marked by end = NONE) */
            t->nodes[id].end = flow ? 0 : NONE;
            if (depth == cap) {
                cap = cap ? cap * 2 : 32;
                stack = xrealloc(stack, cap * sizeof(size_t));
            }
            stack[depth++] = id;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            n = &t->nodes[stack[--depth]];
            if (n->end == NONE) {
                n->end = n->start;
                for (size_t i = 0; i < n->n_kids; i++)
                    if (t->nodes[n->kids[i]].end > n->end) n->end = t->nodes[n->kids[i]].end;
            } else {
                n->end = end;
            }
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    free(stack);
    free(m.offs);
    if (!ok) tree_free(t);
    return ok;
}

/* ---- paths, as the header documents them --------------------------------- */

typedef enum { SEG_KEY, SEG_INDEX, SEG_MATCH } seg_kind;

typedef struct {
    seg_kind kind;
    char *key;            /* KEY, or the key of MATCH */
    char *match;
    long index;
} seg;

typedef struct {
    seg *s;
    size_t n, cap;
} hpath;

static void path_free(hpath *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->s[i].key);
        free(p->s[i].match);
    }
    free(p->s);
    memset(p, 0, sizeof *p);
}

static void path_push(hpath *p, seg s)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->s = xrealloc(p->s, p->cap * sizeof *p->s);
    }
    p->s[p->n++] = s;
}

static hpath path_copy(const hpath *p)
{
    hpath c = { 0 };
    for (size_t i = 0; i < p->n; i++)
        path_push(&c, (seg){ p->s[i].kind, p->s[i].key ? xstrdup(p->s[i].key) : NULL,
                             p->s[i].match ? xstrdup(p->s[i].match) : NULL, p->s[i].index });
    return c;
}

/* A key: "quoted" (with \" and \\) or bare up to one of `stops`. */
static bool parse_key(const char *t, size_t *i, const char *stops, char **out)
{
    size_t n = 0;
    char *k = xrealloc(NULL, strlen(t) + 1);
    if (t[*i] == '"') {
        size_t j = *i + 1;
        for (; t[j] && t[j] != '"'; j++) {
            if (t[j] == '\\' && (t[j + 1] == '"' || t[j + 1] == '\\')) j++;
            k[n++] = t[j];
        }
        if (t[j] != '"') {
            free(k);
            return false;
        }
        *i = j + 1;
    } else {
        while (t[*i] && !strchr(stops, t[*i])) k[n++] = t[(*i)++];
        if (n == 0) {
            free(k);
            return false;
        }
    }
    k[n] = '\0';
    *out = k;
    return true;
}

static bool parse_index(const char *t, size_t *i, long *out)
{
    size_t j = *i;
    bool neg = t[j] == '-';
    if (neg) j++;
    if (t[j] < '0' || t[j] > '9') return false;
    unsigned long v = 0, limit = neg ? (unsigned long)LONG_MAX + 1 : (unsigned long)LONG_MAX;
    for (; t[j] >= '0' && t[j] <= '9'; j++) {
        unsigned d = (unsigned)(t[j] - '0');
        if (v > (limit - d) / 10) return false;
        v = v * 10 + d;
    }
    if (t[j] != ']') return false;
    *out = neg ? (v == (unsigned long)LONG_MAX + 1 ? LONG_MIN : -(long)v) : (long)v;
    *i = j + 1;
    return true;
}

/* "" and "." are the root; a.b  a[0]  a[-1]  a."b.c"  seq[name=value]. */
static bool path_parse(const char *t, hpath *out)
{
    hpath p = { 0 };
    size_t i = strcmp(t, ".") == 0 ? 1 : 0;
    while (t[i]) {
        seg s = { 0 };
        bool ok;
        if (t[i] == '[') {
            i++;
            if (t[i] == '-' || (t[i] >= '0' && t[i] <= '9')) {
                s.kind = SEG_INDEX;
                ok = parse_index(t, &i, &s.index);
            } else {
                s.kind = SEG_MATCH;
                ok = parse_key(t, &i, "=]", &s.key) && t[i] == '=';
                if (ok) {
                    i++;
                    ok = parse_key(t, &i, "]", &s.match) && t[i] == ']';
                    if (ok) i++;
                }
            }
        } else {
            ok = true;
            if (t[i] == '.') {
                ok = i > 0;
                i++;
            } else if (i > 0) {
                ok = false;
            }
            s.kind = SEG_KEY;
            ok = ok && parse_key(t, &i, ".[", &s.key);
        }
        if (!ok) {
            free(s.key);
            free(s.match);
            path_free(&p);
            return false;
        }
        path_push(&p, s);
    }
    *out = p;
    return true;
}


/* A growable string. */
typedef struct {
    char *data;
    size_t len;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    b->data = xrealloc(b->data, b->len + n + 1);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* Keys with . [ ] = or " (and the empty key) are written "quoted". */
/* A key in a path; a match key in brackets that starts like an index
 * ("[-1]", "[0]") must be quoted too (bracket = true). */
static void sb_key_in(sbuf *b, const char *s, bool bracket)
{
    bool quote = *s == '\0' || strpbrk(s, ".[]=\"") != NULL ||
                 (bracket && (*s == '-' || (*s >= '0' && *s <= '9')));
    if (!quote) {
        sb_str(b, s);
        return;
    }
    sb_str(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') sb_str(b, "\\");
        sb_add(b, s, 1);
    }
    sb_str(b, "\"");
}

static void sb_key(sbuf *b, const char *s)
{
    sb_key_in(b, s, false);
}

static char *path_text(const hpath *p)
{
    sbuf b = { 0 };
    for (size_t i = 0; i < p->n; i++) {
        const seg *s = &p->s[i];
        char num[32];
        switch (s->kind) {
        case SEG_KEY:
            if (i > 0) sb_str(&b, ".");
            sb_key(&b, s->key);
            break;
        case SEG_INDEX:
            snprintf(num, sizeof num, "[%ld]", s->index);
            sb_str(&b, num);
            break;
        case SEG_MATCH:
            sb_str(&b, "[");
            sb_key_in(&b, s->key, true);
            sb_str(&b, "=");
            sb_key(&b, s->match);
            sb_str(&b, "]");
            break;
        }
    }
    if (!b.data) sb_str(&b, ".");
    return b.data;
}

/* ---- walking the harness's index ---------------------------------------- */

static bool scalar_is(const hnode *n, const char *s)
{
    return n->kind == HK_SCALAR && n->len == strlen(s) && memcmp(n->value, s, n->len) == 0;
}

/* With duplicates allowed the last key wins, as SnakeYAML reads it.  *entry
 * (optional) gets the pair's index. */
static size_t map_lookup(const htree *t, size_t map, const char *key, size_t *entry)
{
    const hnode *m = &t->nodes[map];
    size_t found = NONE;
    for (size_t i = 0; i + 1 < m->n_kids; i += 2)
        if (scalar_is(&t->nodes[m->kids[i]], key)) {
            found = m->kids[i + 1];
            if (entry) *entry = i / 2;
        }
    return found;
}

/* The child of `cur` that segment `s` names, or NONE; *entry gets its index. */
static size_t step(const htree *t, size_t cur, const seg *s, size_t *entry)
{
    const hnode *n = &t->nodes[cur];
    if (s->kind == SEG_KEY) return n->kind == HK_MAP ? map_lookup(t, cur, s->key, entry) : NONE;
    if (n->kind != HK_SEQ) return NONE;
    if (s->kind == SEG_INDEX) {
        long idx = s->index < 0 ? (long)n->n_kids + s->index : s->index;
        if (idx < 0 || (size_t)idx >= n->n_kids) return NONE;
        *entry = (size_t)idx;
        return n->kids[idx];
    }
    for (size_t k = 0; k < n->n_kids; k++) {
        size_t item = n->kids[k];
        if (t->nodes[item].kind != HK_MAP) continue;
        size_t v = map_lookup(t, item, s->key, NULL);
        if (v != NONE && scalar_is(&t->nodes[v], s->match)) {
            *entry = k;
            return item;
        }
    }
    return NONE;
}

/* The node at the first `n` segments of `p` in document `d`, or NONE (also when
 * the walk would go through an alias). */
static size_t walk(const htree *t, size_t d, const hpath *p, size_t n)
{
    size_t cur = d < t->n_docs ? t->roots[d] : NONE;
    for (size_t i = 0; i < n && cur != NONE; i++) {
        size_t entry;
        if (t->nodes[cur].kind == HK_ALIAS) return NONE;
        cur = step(t, cur, &p->s[i], &entry);
    }
    return cur;
}

/* Entries of a collection: a key with its value, or a sequence item. */
static size_t entry_count(const htree *t, size_t node)
{
    if (node == NONE) return 0;
    const hnode *n = &t->nodes[node];
    if (n->kind == HK_MAP) return n->n_kids / 2;
    return n->kind == HK_SEQ ? n->n_kids : 0;
}

typedef struct {
    size_t start, end;
} span;

static span entry_span(const htree *t, size_t node, size_t i)
{
    const hnode *n = &t->nodes[node];
    if (n->kind == HK_SEQ) {
        const hnode *it = &t->nodes[n->kids[i]];
        return (span){ it->start, it->end };
    }
    const hnode *k = &t->nodes[n->kids[2 * i]], *v = &t->nodes[n->kids[2 * i + 1]];
    return (span){ k->start < v->start ? k->start : v->start, k->end > v->end ? k->end : v->end };
}

/* Bytes of document `d`: from its start to the next document's start. */
static span doc_bounds(const htree *t, size_t d, size_t len)
{
    if (t->n_docs == 0) return (span){ 0, len };
    return (span){ d == 0 ? 0 : t->starts[d], d + 1 < t->n_docs ? t->starts[d + 1] : len };
}

/* ---- the existing paths of a document ------------------------------------ */

typedef struct {
    hpath *items;
    size_t n;
} path_list;

static void list_add(path_list *l, const hpath *p)
{
    if (l->n >= MAX_PATHS) return;
    l->items = xrealloc(l->items, (l->n + 1) * sizeof(hpath));
    l->items[l->n++] = path_copy(p);
}

static void list_free(path_list *l)
{
    for (size_t i = 0; i < l->n; i++) path_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static void path_pop(hpath *p)
{
    p->n--;
    free(p->s[p->n].key);
    free(p->s[p->n].match);
}

/* Depth-first, bounded in depth and count (aliases are not followed). */
static void collect(const htree *t, size_t node, hpath *prefix, path_list *out)
{
    list_add(out, prefix);
    const hnode *n = &t->nodes[node];
    if (prefix->n >= MAX_PATH_DEPTH || out->n >= MAX_PATHS) return;
    if (n->kind == HK_MAP) {
        for (size_t i = 0; i + 1 < n->n_kids; i += 2) {
            const hnode *k = &t->nodes[n->kids[i]];
            if (k->kind != HK_SCALAR || strlen(k->value) != k->len) continue;
            path_push(prefix, (seg){ SEG_KEY, xstrdup(k->value), NULL, 0 });
            collect(t, n->kids[i + 1], prefix, out);
            path_pop(prefix);
        }
    } else if (n->kind == HK_SEQ) {
        for (size_t i = 0; i < n->n_kids && i < 64; i++) {
            path_push(prefix, (seg){ SEG_INDEX, NULL, NULL, (long)i });
            collect(t, n->kids[i], prefix, out);
            path_pop(prefix);
            /* the same item by its first key's value: seq[name=value] */
            const hnode *item = &t->nodes[n->kids[i]];
            if (item->kind != HK_MAP || item->n_kids < 2) continue;
            const hnode *k = &t->nodes[item->kids[0]], *v = &t->nodes[item->kids[1]];
            if (k->kind != HK_SCALAR || v->kind != HK_SCALAR || strlen(k->value) != k->len ||
                strlen(v->value) != v->len)
                continue;
            path_push(prefix, (seg){ SEG_MATCH, xstrdup(k->value), xstrdup(v->value), 0 });
            list_add(out, prefix);
            path_pop(prefix);
        }
        if (n->n_kids) {
            path_push(prefix, (seg){ SEG_INDEX, NULL, NULL, -1 });
            list_add(out, prefix);
            path_pop(prefix);
        }
    }
}

/* ---- dictionaries --------------------------------------------------------- */

static const char *const dict_paths[] = {
    "a", "b", "a.b", "a.b.c", "list", "list[0]", "list[-1]", "list[9]", "[0]", "[-1]",
    "[1].a", ".", "", "\"a.b\"", "\"\"", "x.\"y[0]\"", "\"k\\\"q\"", "k\\", "a\"b",
    "seed_provider[0].parameters[0].seeds", "seed_provider[0].class_name",
    "seed_provider[class_name=org.apache.cassandra.locator.SimpleSeedProvider].parameters[0]",
    "authenticator", "authenticator.class_name", "authenticator.parameters.x",
    "broadcast_address", "broadcast_rpc_address", "listen_address", "listen_interface",
    "rpc_address", "rpc_interface", "num_tokens", "cluster_name", "data_file_directories",
    "data_file_directories[0]", "data_file_directories[-1]", "client_encryption_options.enabled",
    "server_encryption_options.internode_encryption", "servers[name=cass1]",
    "servers[name=cass1].port", "servers[0].name", "key with spaces", "\"#\"", "-", "\"a: b\"",
    "yes", "1", "null", "~", "<<", "a.b.c.d.e", "\xC3\xBC", "\"a]\"", "anchor", "alias",
    "alias.x", "k", "k.k", "flow", "flow.a", "flow[0]", "block", "multi", "[name=x]",
    "[name=x].v", "a[", "a..b", "a.", ".a", "a[x=]", "a[=x]", "[+1]", "[- 1]", "[1 ]",
    "[99999999999999999999]", "[-9223372036854775808]", "a[0]b", "\"unterminated", "a.[0]",
    "[\"\"=x]", "[\"a=b\"=\"c]\"]", "a[b=c=d]", "a[b=[c]", "concurrent_reads",
    "hinted_handoff_enabled", "commitlog_sync", "memtable_allocation_type",
};

static const char *const dict_keys[] = {
    "new", "x", "a.b", "", "k k", "#c", "-", "1", "true", "null", "\xC3\xBC", "[", "a:b", "a: b",
    "'s", "\"q\"", "\\", "x\ny", "seeds", "class_name", "enabled", "~", "<<", " lead",
    "trail ", "tab\tkey", "-x", "?x", "&a", "*a", "!t", "%p", "@", "|", ">", "key #c",
};

static const char *const dict_values[] = {
    "", "x", "1", "-1", "0", "123456789012345678901234567890", "0777", "0o17", "0x1F", "1_000",
    "12:30", "1.5", "1e3", ".inf", "-.inf", ".nan", "true", "false", "yes", "no", "on", "off",
    "y", "n", "Y", "null", "~", "Null", "2001-01-01", "2001-12-14t21:59:43.10-05:00", "a b",
    "a: b", "a #b", "#x", "x #", "- x", "-", "--- x", "...", "? x", "&a", "*a", "!tag x", "|",
    ">", "[a, b]", "{a: 1}", "[]", "{}", "'q'", "\"d\"", "it's", "back\\slash", "tab\there",
    "line1\nline2", "line1\nline2\n", "line\n\n", "\nlead", " lead", "trail ", "\r\n",
    "crlf\r\nx", "\x01" "ctrl", "\x7F", "\xC3\xBC", "\xC2\x85" "nel", "ls\xE2\x80\xA8", "\xEF\xBB\xBF" "bom",
    "\xF0\x9F\x98\x80", "\xFF", "%x", "@x", "`x", "<<", "=", "127.0.0.1:7000",
    "/var/lib/cassandra/data", "org.apache.cassandra.locator.SimpleSeedProvider", "a\tb",
    "k: v\nk2: v2", "- a\n- b", "a:\n  b: 1", "[1, [2, {x: y}]]", "{a: [1, 2], b: {c: d}}",
    "!!str 5", "!!int \"5\"", "&anc x", "*al", "--- a\n--- b", "|\n  lit\n",
    ">-\n  folded\n  text\n", "'multi\n  line'", "\"esc \\x41\"", "key: [unclosed", "\t",
    "- a: 1\n  b: [2]\n- c", "{a: }", "[a, ]", "!!set {a, b}", "!!omap [a: 1]", "? [k]\n: v",
    "# only a comment", "---", "a\n", "1\n 2", "[\"x\ny\"]",
};

/* ---- independent type reading of a plain scalar --------------------------- */

static bool all_in(const char *s, const char *set)
{
    return *s && strspn(s, set) == strlen(s);
}

/* Would a YAML 1.1 or 1.2 reader take this plain, untagged text for something
 * other than a string?  Conservative: clear cases only. */
static bool plain_not_string(const char *s)
{
    static const char *const words[] = {
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
        "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null",
        "NULL", "~", "<<", "=", ".inf", ".Inf", ".INF", "+.inf", "-.inf", "+.Inf", "-.Inf",
        "+.INF", "-.INF", ".nan", ".NaN", ".NAN",
    };
    if (*s == '\0') return true;
    for (size_t i = 0; i < COUNT(words); i++)
        if (strcmp(s, words[i]) == 0) return true;
    /* SnakeYAML tries its number patterns only on texts that start with one of
     * -+0123456789. ("_1" is a string; "+_1" a float) */
    if (!strchr("-+0123456789.", *s)) return false;
    const char *b = s + (*s == '-' || *s == '+');
    if ((b[0] == '0' && (b[1] == 'x' || b[1] == 'o' || b[1] == 'b')) && b[2] &&
        all_in(b + 2, "0123456789abcdefABCDEF_"))
        return true;
    /* decimal, octal, underscores, floats with an exponent, sexagesimal */
    const char *p = b;
    size_t digits = 0;
    while ((*p >= '0' && *p <= '9') || *p == '_' || *p == ':') digits += *p++ != ':';
    if (*p == '.') {
        p++;
        while ((*p >= '0' && *p <= '9') || *p == '_') digits += *p++ != '_';
    }
    if (digits && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1 + (p[1] == '-' || p[1] == '+');
        if (*q >= '0' && *q <= '9') {
            while (*q >= '0' && *q <= '9') q++;
            p = q;
        }
    }
    if (digits && *p == '\0' && (b[0] != ':' && b[strlen(b) - 1] != ':') && !strstr(b, "::"))
        return true;
    /* a timestamp: the regular expression of yaml.org/type/timestamp.html, as
     * PyYAML and SnakeYAML use it */
    static regex_t timestamp;
    static bool compiled;
    if (!compiled) {
        if (regcomp(&timestamp,
                    "^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)"
                    "[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)$",
                    REG_EXTENDED | REG_NOSUB) != 0)
            abort();
        compiled = true;
    }
    return regexec(&timestamp, s, 0, NULL, 0) == 0;
}

static int bool_word(const char *s) /* 1 true, 0 false, -1 neither */
{
    static const char *const yes[] = { "true", "yes", "on", "y", "1" };
    static const char *const no[] = { "false", "no", "off", "n", "0" };
    for (size_t i = 0; i < COUNT(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) return 1;
        if (strcasecmp(s, no[i]) == 0) return 0;
    }
    return -1;
}

static bool is_null_node(const hnode *n)
{
    return n->kind == HK_SCALAR && n->plain && !n->tag &&
           (n->len == 0 || scalar_is(n, "~") || scalar_is(n, "null") || scalar_is(n, "Null") ||
            scalar_is(n, "NULL"));
}

static bool same_tag(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Does node `ib` of the edited document hold raw value node `ia`?  Values,
 * kinds, tags, and plain vs quoted (that decides a scalar's type). */
static bool holds_raw(const htree *a, size_t ia, const htree *b, size_t ib, const char **why)
{
    const hnode *x = &a->nodes[ia], *y = &b->nodes[ib];
    if (x->kind == HK_ALIAS) return true; /* refused by the library anyway */
    if (x->kind != y->kind) return *why = "kind differs", false;
    if (!same_tag(x->tag, y->tag)) return *why = "tag differs", false;
    if (x->kind == HK_SCALAR) {
        if (is_null_node(x) && is_null_node(y)) return true; /* "" and null are one null */
        if (x->len != y->len || memcmp(x->value, y->value, x->len) != 0)
            return *why = "scalar value differs", false;
        if (!x->multiline && x->plain != y->plain && !(x->tag && y->tag))
            return *why = "plain/quoted differs", false;
        return true;
    }
    if (x->n_kids != y->n_kids) return *why = "number of entries differs", false;
    for (size_t i = 0; i < x->n_kids; i++)
        if (!holds_raw(a, x->kids[i], b, y->kids[i], why)) return false;
    return true;
}

/* ---- the program ---------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n, at;
} program;

static bool prog_more(const program *pr) { return pr->at < pr->n; }
static uint8_t prog_byte(program *pr) { return pr->at < pr->n ? pr->p[pr->at++] : 0; }

/* A length byte and that many bytes (they hold no NUL: the program ends at one). */
static char *prog_text(program *pr, size_t max)
{
    size_t len = prog_byte(pr) % (max + 1);
    if (len > pr->n - pr->at) len = pr->n - pr->at;
    char *s = xstrndup((const char *)pr->p + pr->at, len);
    pr->at += len;
    return s;
}

/* ---- before/after readings of the top-level keys -------------------------- */

typedef struct {
    char *key;            /* NULL: not readable by path (complex key, NUL) */
    char *path;
    yp_status st;
    char *out;
    bool is_scalar;
} reading;

static reading *read_top_keys(yp_doc *doc, const htree *t, size_t d, size_t *n,
                              const edit_desc *e)
{
    size_t root = d < t->n_docs ? t->roots[d] : NONE;
    *n = 0;
    if (root == NONE || t->nodes[root].kind != HK_MAP) return NULL;
    const hnode *m = &t->nodes[root];
    reading *r = xrealloc(NULL, (m->n_kids / 2 + 1) * sizeof *r);
    for (size_t i = 0; i + 1 < m->n_kids; i += 2) {
        const hnode *k = &t->nodes[m->kids[i]];
        reading *x = &r[(*n)++];
        memset(x, 0, sizeof *x);
        if (k->kind != HK_SCALAR || strlen(k->value) != k->len) continue;
        x->key = xstrdup(k->value);
        hpath p = { 0 };
        path_push(&p, (seg){ SEG_KEY, xstrdup(k->value), NULL, 0 });
        x->path = path_text(&p);
        path_free(&p);
        yp_error err;
        x->st = yp_get(doc, x->path, &x->out, &x->is_scalar, &err);
        if (x->st == YP_ERR_PATH) violation(e, "yp_get rejects the well-formed path %s", x->path);
        if (x->st != YP_OK) x->out = NULL;
    }
    return r;
}

static void free_readings(reading *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].key);
        free(r[i].path);
        free(r[i].out);
    }
    free(r);
}

/* Every top-level key but `skip` reads as before. */
static void check_other_keys(yp_doc *doc, const reading *r, size_t n, const char *skip,
                             const edit_desc *e)
{
    for (size_t i = 0; i < n; i++) {
        if (!r[i].key || (skip && strcmp(r[i].key, skip) == 0)) continue;
        char *out = NULL;
        bool is_scalar = false;
        yp_error err;
        yp_status st = yp_get(doc, r[i].path, &out, &is_scalar, &err);
        if (st != r[i].st || (st == YP_OK && (is_scalar != r[i].is_scalar ||
                                              strcmp(out, r[i].out) != 0)))
            violation(e, "top-level key %s changed: before %s \"%s\", after %s \"%s\"",
                      r[i].path, yp_status_name(r[i].st), r[i].out ? r[i].out : "",
                      yp_status_name(st), st == YP_OK ? out : "");
        free(out);
    }
}

/* ---- byte-level checks ---------------------------------------------------- */

/* new == old[0, a) + anything + old[b, len) */
static bool only_within(const char *o, size_t ol, const char *n, size_t nl, size_t a, size_t b)
{
    if (a > b || b > ol) return false;
    size_t tail = ol - b;
    return nl >= a + tail && memcmp(o, n, a) == 0 && memcmp(o + b, n + nl - tail, tail) == 0;
}

/* A window [a, b) of the old bytes that touches none of `spans` inside and stays
 * within `bounds`. */
static bool window_ok(size_t a, size_t b, span bounds, const span *spans, size_t n)
{
    if (a < bounds.start || b > bounds.end) return false;
    for (size_t i = 0; i < n; i++) {
        if (a < b ? (a < spans[i].end && b > spans[i].start)
                  : (spans[i].start < a && a < spans[i].end))
            return false;
    }
    return true;
}

/* The change from old to new is one window that overlaps no existing entry.
 * A pure insertion or deletion can sit at several equivalent places: any will do. */
static bool change_outside(const char *o, size_t ol, const char *n, size_t nl, span bounds,
                           const span *spans, size_t ns)
{
    size_t minl = ol < nl ? ol : nl, p = 0, s = 0;
    while (p < minl && o[p] == n[p]) p++;
    while (s < minl && o[ol - 1 - s] == n[nl - 1 - s]) s++;
    if (p + s < minl) return window_ok(p, ol - s, bounds, spans, ns);
    size_t removed = ol - minl;
    for (size_t at = minl - s; at <= p; at++)
        if (window_ok(at, at + removed, bounds, spans, ns)) return true;
    return false;
}

/* ---- the unified diff of an edit (udiff.h) ------------------------------- */

/* Length of the line at `p` (up to and including its '\n'). */
static size_t line_len(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);
}

/* yp_udiff(old, new) is what diff -u would print: applied to the old text by
 * this independent patcher it gives the new text, hunks in order with at most
 * 3 lines of context around changes (6 between two changes of one hunk). */
static void check_udiff(const char *o, size_t ol, const char *n, size_t nl, const edit_desc *e)
{
    char *diff = NULL;
    size_t dl = 0;
    FILE *f = open_memstream(&diff, &dl);
    if (!f) abort();
    int rc = yp_udiff(f, "a", o, ol, "b", n, nl);
    fclose(f);
    if (rc != 0) violation(e, "yp_udiff failed");
    if (ol == nl && memcmp(o, n, ol) == 0) {
        if (dl != 0) violation(e, "yp_udiff wrote a diff of equal texts");
        free(diff);
        return;
    }
    const char *d = diff, *dend = diff + dl, *op = o, *oend = o + ol;
    if (dl < 12 || memcmp(d, "--- a\n+++ b\n", 12) != 0) violation(e, "udiff: bad header");
    d += 12;
    sbuf out = { 0 };
    size_t oline = 0, nline = 0; /* lines of old consumed, of the result written */
    while (d < dend) {
        unsigned long as, ac, bs, bc;
        int used = 0;
        /* (a '\n' in a scanf format would also eat the next line's leading blank) */
        if (sscanf(d, "@@ -%lu,%lu +%lu,%lu @@%n", &as, &ac, &bs, &bc, &used) != 4 || !used ||
            d[used] != '\n')
            violation(e, "udiff: bad hunk header at offset %zu", (size_t)(d - diff));
        d += used + 1;
        /* a hunk of no old (new) lines names the line before it */
        size_t first = ac ? as - 1 : as, nfirst = bc ? bs - 1 : bs;
        if (first < oline) violation(e, "udiff: hunks overlap or are out of order");
        for (; oline < first; oline++) {
            if (op >= oend) violation(e, "udiff: hunk starts past the old text");
            size_t l = line_len(op, oend);
            sb_add(&out, op, l);
            op += l;
            nline++;
        }
        if (nline != nfirst) violation(e, "udiff: hunk +%lu, but the result is at line %zu", bs, nline + 1);
        unsigned long seen_a = 0, seen_b = 0, ctx_run = 0;
        bool changed = false;
        while (d < dend && (*d == ' ' || *d == '-' || *d == '+')) {
            char mark = *d++;
            size_t l = line_len(d, dend);
            size_t content = l;
            static const char no_eol[] = "\\ No newline at end of file\n";
            const char *next = d + l;
            if ((size_t)(dend - next) >= sizeof no_eol - 1 &&
                memcmp(next, no_eol, sizeof no_eol - 1) == 0) {
                content = l - 1; /* the line has no newline of its own */
                l += sizeof no_eol - 1;
            }
            if (mark != '+') {
                size_t ll = op < oend ? line_len(op, oend) : 0;
                if (ll != content || memcmp(op, d, content) != 0)
                    violation(e, "udiff: a context or removed line does not match old line %zu", oline + 1);
                op += ll;
                oline++;
                seen_a++;
            }
            if (mark != '-') {
                sb_add(&out, d, content);
                nline++;
                seen_b++;
            }
            if (mark == ' ') {
                ctx_run++;
                if (ctx_run > (changed ? 6u : 3u)) violation(e, "udiff: more context than diff -u");
            } else {
                changed = true;
                ctx_run = 0;
            }
            d += l;
        }
        if (!changed || ctx_run > 3) violation(e, "udiff: a hunk without a change or with long trailing context");
        if (seen_a != ac || seen_b != bc) violation(e, "udiff: hunk counts %lu,%lu but %lu,%lu lines", ac, bc, seen_a, seen_b);
    }
    if (op < oend) sb_add(&out, op, (size_t)(oend - op));
    if (out.len != nl || (nl && memcmp(out.data, n, nl) != 0))
        violation(e, "udiff: applying the diff does not give the new text");
    free(out.data);
    free(diff);
}

/* ---- one edit ------------------------------------------------------------- */

typedef struct {
    yp_doc *doc;
    htree tree;           /* of the document's current bytes */
    size_t d;             /* selected document */
    bool allow_dup;
} state;

typedef enum { OP_SET, OP_DELETE, OP_UNCOMMENT } op_kind;

/* After a successful set: the edited path holds the value, in the harness's
 * index of the result, through yp_get, and in the reloaded document. */
static void check_value(const state *s, yp_doc *reloaded, const hpath *path, const char *text,
                        yp_value_type type, const edit_desc *e)
{
    size_t node = walk(&s->tree, s->d, path, path->n);
    if (node == NONE) violation(e, "the edited path does not resolve in the result");
    const hnode *n = &s->tree.nodes[node];
    bool scalar_ok = n->kind == HK_SCALAR;
    size_t tlen = strlen(text);
    int b;
    switch (type) {
    case YP_VALUE_AUTO:
        if (!scalar_ok || n->len != tlen || memcmp(n->value, text, tlen) != 0)
            violation(e, "AUTO: the node does not read as the text");
        break;
    case YP_VALUE_STRING:
        if (!scalar_ok || n->len != tlen || memcmp(n->value, text, tlen) != 0)
            violation(e, "STRING: the node does not read as the text");
        if (n->plain && !n->tag && plain_not_string(text))
            violation(e, "STRING: written plain, but a YAML reader takes it for a non-string");
        break;
    case YP_VALUE_INT:
        if (!scalar_ok || !n->plain || n->tag || n->len != tlen || memcmp(n->value, text, tlen))
            violation(e, "INT: the node is not the plain, untagged text");
        break;
    case YP_VALUE_BOOL:
        b = bool_word(text);
        if (b < 0 && ignored("bool-text")) break;
        if (b < 0) violation(e, "BOOL: '%s' is not a boolean, yet the set succeeded", text);
        if (!scalar_ok || !n->plain || n->tag || !scalar_is(n, b ? "true" : "false"))
            violation(e, "BOOL: the node is not plain %s", b ? "true" : "false");
        break;
    case YP_VALUE_NULL:
        if (!is_null_node(n)) violation(e, "NULL: the node is not a plain null");
        break;
    case YP_VALUE_YAML: {
        htree raw;
        if (!tree_build(text, tlen, &raw)) violation(e, "YAML: accepted a value libyaml rejects");
        const char *why = "";
        if (raw.n_docs > 1) violation(e, "YAML: accepted a value of several documents");
        size_t root = raw.n_docs ? raw.roots[0] : NONE;
        if (root == NONE ? !is_null_node(n) : !holds_raw(&raw, root, &s->tree, node, &why)) {
            if (!(strcmp(why, "tag differs") == 0 && ignored("yaml-tag")))
                violation(e, "YAML: the node does not hold the value (%s)",
                          root == NONE ? "null" : why);
        }
        tree_free(&raw);
        break;
    }
    }
    /* yp_get agrees, in the edited and in the reloaded document */
    char *txt = path_text(path);
    yp_doc *docs[2] = { s->doc, reloaded };
    char *first = NULL;
    for (int i = 0; i < 2; i++) {
        char *out = NULL;
        bool is_scalar = false;
        yp_error err;
        yp_status st = yp_get(docs[i], txt, &out, &is_scalar, &err);
        if (st != YP_OK)
            violation(e, "yp_get of the edited path fails in the %s document: %s",
                      i ? "reloaded" : "edited", err.message);
        if (is_scalar != (n->kind == HK_SCALAR) || (type != YP_VALUE_YAML && !is_scalar))
            violation(e, "yp_get: is_scalar %d for a node of kind %d", is_scalar, (int)n->kind);
        if (is_scalar && strlen(n->value) == n->len && strcmp(out, n->value) != 0)
            violation(e, "yp_get reads \"%s\", the document holds \"%s\"", out, n->value);
        if (i == 0) first = out;
        else {
            if (strcmp(first, out) != 0) violation(e, "yp_get differs after reloading");
            free(out);
        }
    }
    free(first);
    free(txt);
}

/* After a successful delete: the parent lost exactly one entry, and a deleted
 * key is gone. */
static void check_deleted(const state *before, const state *after, const hpath *path,
                          const edit_desc *e)
{
    /* the parent by position: a [key=value] segment may match on the very key
     * that was deleted */
    hpath by_pos = { 0 };
    size_t op = before->d < before->tree.n_docs ? before->tree.roots[before->d] : NONE;
    for (size_t i = 0; i + 1 < path->n && op != NONE; i++) {
        size_t entry = 0;
        if (before->tree.nodes[op].kind == HK_ALIAS) op = NONE;
        else op = step(&before->tree, op, &path->s[i], &entry);
        if (path->s[i].kind == SEG_KEY)
            path_push(&by_pos, (seg){ SEG_KEY, xstrdup(path->s[i].key), NULL, 0 });
        else
            path_push(&by_pos, (seg){ SEG_INDEX, NULL, NULL, (long)entry });
    }
    size_t np = op == NONE ? NONE : walk(&after->tree, after->d, &by_pos, by_pos.n);
    path_free(&by_pos);
    if (op == NONE || np == NONE) violation(e, "delete: the parent does not resolve");
    if (entry_count(&after->tree, np) + 1 != entry_count(&before->tree, op))
        violation(e, "delete: the parent had %zu entries and has %zu",
                  entry_count(&before->tree, op), entry_count(&after->tree, np));
    const seg *last = &path->s[path->n - 1];
    if (last->kind == SEG_KEY && !before->allow_dup) {
        if (map_lookup(&after->tree, np, last->key, NULL) != NONE)
            violation(e, "delete: the key is still there");
        char *txt = path_text(path), *out = NULL;
        yp_error err;
        if (yp_get(after->doc, txt, &out, NULL, &err) != YP_ERR_NOT_FOUND)
            violation(e, "delete: yp_get still finds the path");
        free(txt);
    }
}

/* Which bytes the edit may change.  Returns false for "an insertion that
 * overlaps no entry" (a new top-level entry). */
static size_t past_blanks(const char *b, size_t len, size_t at)
{
    while (at < len && (b[at] == ' ' || b[at] == '\t')) at++;
    return at;
}

static bool target_region(const state *s, const char *b, size_t len, const hpath *path,
                          op_kind op, span *region)
{
    span bounds = doc_bounds(&s->tree, s->d, len);
    size_t root = s->d < s->tree.n_docs ? s->tree.roots[s->d] : NONE;
    if (path->n == 0) {
        *region = bounds;
        if (root != NONE)
            *region = (span){ s->tree.nodes[root].start,
                              past_blanks(b, len, s->tree.nodes[root].end) };
        return true;
    }
    size_t entry = NONE;
    if (root == NONE || step(&s->tree, root, &path->s[0], &entry) == NONE) return false;
    const hnode *r = &s->tree.nodes[root];
    size_t n = entry_count(&s->tree, root);
    if (op != OP_DELETE && path->n == 1) {
        /* "key: value" itself, so a comment after it stays */
        span e = entry_span(&s->tree, root, entry);
        if (r->kind == HK_MAP) e.start = s->tree.nodes[r->kids[2 * entry]].end;
        /* a value for an empty node after a tag or anchor goes into the blanks
         * that separate it from a comment: they are part of the region */
        e.end = past_blanks(b, len, e.end);
        *region = e;
        return true;
    }
    region->start = entry > 0 ? entry_span(&s->tree, root, entry - 1).end : bounds.start;
    /* libyaml marks an empty value at the next token: the indentation before
     * this entry may then look like part of the entry before it */
    while (region->start > bounds.start && (b[region->start - 1] == ' ' || b[region->start - 1] == '\t'))
        region->start--;
    region->end = entry + 1 < n ? entry_span(&s->tree, root, entry + 1).start : bounds.end;
    return true;
}

/* The end of the content in [start, end): before trailing blanks, line breaks
 * and comments (a '#' at a line's start or after a blank). */
static size_t content_end(const char *b, size_t start, size_t end)
{
    for (;;) {
        while (end > start && strchr(" \t\r\n", b[end - 1])) end--;
        size_t line = end;
        while (line > start && b[line - 1] != '\n') line--;
        size_t hash = end;
        for (size_t i = line; i < end; i++)
            if (b[i] == '#' && (i == line || b[i - 1] == ' ' || b[i - 1] == '\t')) {
                hash = i;
                break;
            }
        if (hash == end) return end;
        end = hash;
    }
}

static void check_region(const state *s, const char *o, size_t ol, const char *nb, size_t nl,
                         const hpath *path, op_kind op, const edit_desc *e)
{
    span region;
    if (target_region(s, o, ol, path, op, &region)) {
        if (!only_within(o, ol, nb, nl, region.start, region.end))
            violation(e, "bytes outside the target's region [%zu, %zu) changed", region.start,
                      region.end);
        return;
    }
    size_t root = s->d < s->tree.n_docs ? s->tree.roots[s->d] : NONE;
    size_t n = entry_count(&s->tree, root);
    span *spans = xrealloc(NULL, (n + 1) * sizeof *spans);
    for (size_t i = 0; i < n; i++) {
        spans[i] = entry_span(&s->tree, root, i);
        /* an entry ending in an empty value ends where libyaml marks it, at the
         * next token: the blanks, line breaks and comments before that are not
         * its own */
        spans[i].end = content_end(o, spans[i].start, spans[i].end);
    }
    bool ok = change_outside(o, ol, nb, nl, doc_bounds(&s->tree, s->d, ol), spans, n);
    free(spans);
    if (!ok) violation(e, "a new entry changed bytes of an existing entry or another document");
}

/* An edit decoded from the program. */
typedef struct {
    op_kind op;
    yp_value_type type;
    unsigned flags;
    char *text;           /* the path as given to yamlpatch */
    hpath path;           /* ... and as the harness reads it */
    bool parsed;          /* the path is well-formed (path is valid) */
    char *value;
} edit_spec;

static void spec_free(edit_spec *e)
{
    free(e->text);
    free(e->value);
    path_free(&e->path);
}

/* The next edit of the program, with paths picked from the document as it is
 * now (s->tree); false when the program is used up. */
static bool decode_edit(const state *s, program *pr, edit_spec *out)
{
    static const yp_value_type types[8] = { YP_VALUE_AUTO, YP_VALUE_STRING, YP_VALUE_INT,
                                            YP_VALUE_BOOL, YP_VALUE_NULL,   YP_VALUE_YAML,
                                            YP_VALUE_AUTO, YP_VALUE_YAML };
    if (!prog_more(pr)) return false;
    memset(out, 0, sizeof *out);
    uint8_t opb = prog_byte(pr);
    out->op = (opb & 3) == 1 ? OP_DELETE : (opb & 3) == 2 ? OP_UNCOMMENT : OP_SET;
    out->type = types[(opb >> 2) & 7];
    out->flags = (out->op == OP_UNCOMMENT ? YP_SET_UNCOMMENT : 0) |
                 ((opb & 0x40) ? YP_SET_EXISTING : 0);

    uint8_t pb = prog_byte(pr);
    path_list existing = { 0 };
    size_t root = s->d < s->tree.n_docs ? s->tree.roots[s->d] : NONE;
    if (root != NONE && (pb & 3) != 1 && (pb & 3) != 3) {
        hpath prefix = { 0 };
        collect(&s->tree, root, &prefix, &existing);
        path_free(&prefix);
    }
    bool built = false;
    if (existing.n && ((pb & 3) == 0 || (pb & 3) == 2)) {
        size_t k = (prog_byte(pr) | (size_t)prog_byte(pr) << 8) % existing.n;
        out->path = path_copy(&existing.items[k]);
        if ((pb & 3) == 2) /* a new child key under an existing node */
            path_push(&out->path, (seg){ SEG_KEY, xstrdup(dict_keys[prog_byte(pr) % COUNT(dict_keys)]),
                                         NULL, 0 });
        out->text = path_text(&out->path);
        built = true;
    } else if ((pb & 3) == 3) {
        out->text = prog_text(pr, 40);
    } else {
        out->text = xstrdup(dict_paths[prog_byte(pr) % COUNT(dict_paths)]);
    }
    list_free(&existing);
    if (built) { /* the harness's formatter and parser agree */
        hpath reparsed;
        if (!path_parse(out->text, &reparsed))
            violation(NULL, "the harness cannot parse its own path %s", out->text);
        path_free(&reparsed);
        out->parsed = true;
    } else {
        out->parsed = path_parse(out->text, &out->path);
    }
    uint8_t vb = prog_byte(pr);
    out->value = (vb & 0x80) ? prog_text(pr, 64)
                             : xstrdup(dict_values[(vb & 0x7F) % COUNT(dict_values)]);
    return true;
}

/* An edit that YP_SET_EXISTING skipped: yp_set says not found, yp_apply skips
 * it.  (The root, "", is not a missing key: not found there is an error.) */
static bool skipped(const edit_spec *sp, yp_status st)
{
    return st == YP_ERR_NOT_FOUND && sp->op != OP_DELETE && (sp->flags & YP_SET_EXISTING) &&
           sp->parsed && sp->path.n > 0;
}

/* Run one edit on s with yp_set / yp_delete and check everything about it.
 * Returns its status. */
static yp_status run_edit(state *s, const edit_spec *sp, size_t edit_no, const char *mode)
{
    edit_desc e = { sp->op == OP_DELETE ? "delete" : sp->op == OP_SET ? "set" : "set-uncomment",
                    sp->text, sp->op == OP_DELETE ? NULL : sp->value, sp->type, s->d,
                    s->allow_dup, edit_no, sp->flags, mode };
    const hpath *path = &sp->path;
    bool parsed = sp->parsed;
    size_t root = s->d < s->tree.n_docs ? s->tree.roots[s->d] : NONE;

    size_t ol;
    const char *cur = yp_doc_bytes(s->doc, &ol);
    char *old = xstrndup(cur, ol);
    size_t n_read = 0;
    reading *readings = read_top_keys(s->doc, &s->tree, s->d, &n_read, &e);

    yp_error err;
    memset(&err, 0, sizeof err);
    yp_status st = sp->op == OP_DELETE ? yp_delete(s->doc, sp->text, &err)
                                       : yp_set(s->doc, sp->text, sp->value, sp->type, sp->flags, &err);
    size_t nl;
    const char *nb = yp_doc_bytes(s->doc, &nl);
    if (getenv("YP_FUZZ_TRACE")) { /* to read a reproducer: each edit and its result */
        fprintf(stderr, "%s edit #%zu: %s, type %s, flags %u -> %s%s%s\n", mode, edit_no, e.op,
                type_name(sp->type), sp->flags, yp_status_name(st), st ? ": " : "",
                st ? err.message : "");
        dump("path", sp->text, strlen(sp->text));
        if (sp->op != OP_DELETE) dump("value", sp->value, strlen(sp->value));
        dump("before", old, ol);
        dump("after", nb, nl);
    }

    /* The root ("." or "") is well-formed but never an edit target. */
    if (parsed && sp->path.n == 0) {
        if (st != YP_ERR_PATH)
            violation(&e, "an edit of the document root was not refused (%s)", yp_status_name(st));
        if (nl != ol || memcmp(nb, old, ol) != 0)
            violation(&e, "a refused edit of the document root changed the document");
    } else if (st == YP_ERR_PATH && parsed)
        violation(&e, "a well-formed path was rejected: %s", err.message);
    if (st != YP_ERR_PATH && !parsed)
        violation(&e, "a malformed path was accepted (status %s)", yp_status_name(st));
    const char *first_key = parsed && path->n && path->s[0].kind == SEG_KEY ? path->s[0].key : NULL;

    if (st != YP_OK) {
        if (err.code != st) violation(&e, "returned %d but the error says %d", st, err.code);
        if (st == YP_ERR_NOMEM || st == YP_ERR_IO || st == YP_ERR_PARSE || st > YP_ERR_IO ||
            memchr(err.message, '\0', sizeof err.message) == NULL || err.message[0] == '\0')
            violation(&e, "unexpected failure %s: %s", yp_status_name(st), err.message);
        if (nl != ol || memcmp(old, nb, ol) != 0)
            violation(&e, "a failed edit (%s) changed the document", yp_status_name(st));
        check_other_keys(s->doc, readings, n_read, NULL, &e);
        free_readings(readings, n_read);
        free(old);
        return st;
    }

    /* success: the result loads, and changed only what it may */
    yp_error lerr;
    yp_doc *reloaded = yp_doc_load(nb, nl, s->allow_dup, &lerr);
    if (!reloaded) violation(&e, "the result does not load: %s", lerr.message);
    size_t docs_before = s->tree.n_docs;
    if (yp_doc_count(reloaded) != docs_before && !(docs_before == 0 && yp_doc_count(reloaded) == 1))
        violation(&e, "the stream had %zu documents and has %zu", docs_before,
                  yp_doc_count(reloaded));
    if (yp_doc_select(reloaded, s->d, &lerr) != YP_OK)
        violation(&e, "the reloaded document cannot select document %zu", s->d);

    htree after;
    if (!tree_build(nb, nl, &after)) violation(&e, "libyaml rejects the result");
    if (parsed) check_region(s, old, ol, nb, nl, path, sp->op, &e);
    check_udiff(old, ol, nb, nl, &e);
    if (!parsed || path->n > 0) /* a set of the root replaces everything */
        check_other_keys(s->doc, readings, n_read, first_key, &e);
    bool existed = parsed && walk(&s->tree, s->d, path, path->n) != NONE;
    if (parsed && sp->op != OP_DELETE && (sp->flags & YP_SET_EXISTING) &&
        !(sp->flags & YP_SET_UNCOMMENT) && !existed && !ignored("existing"))
        violation(&e, "YP_SET_EXISTING, yet the missing path was added");
    if (parsed && path->n == 1 && first_key && sp->op != OP_DELETE && !existed && root != NONE &&
        s->tree.nodes[root].kind == HK_MAP &&
        entry_count(&after, after.roots[s->d]) != entry_count(&s->tree, root) + 1)
        violation(&e, "a new top-level key did not add exactly one entry");

    state before = *s;
    s->tree = after;
    if (parsed && sp->op == OP_DELETE) check_deleted(&before, s, path, &e);
    tree_free(&before.tree);
    if (parsed && sp->op != OP_DELETE) {
        check_value(s, reloaded, path, sp->value, sp->type, &e);
        /* setting what is already there changes nothing */
        char *was = xstrndup(nb, nl);
        yp_status again = yp_set(s->doc, sp->text, sp->value, sp->type, sp->flags, &err);
        size_t al;
        const char *ab = yp_doc_bytes(s->doc, &al);
        if (again != YP_OK || al != nl || memcmp(ab, was, nl) != 0)
            violation(&e, "setting the same value again changed something (%s: %s)",
                      yp_status_name(again), again == YP_OK ? "bytes differ" : err.message);
        free(was);
    }
    yp_doc_free(reloaded);
    free_readings(readings, n_read);
    free(old);
    return YP_OK;
}

/* Is the edit, made alone on the original bytes, a no-op (or skipped)? */
static bool noop_alone(const char *orig, size_t ol, const state *s, const edit_spec *sp)
{
    yp_error err;
    yp_doc *x = yp_doc_load(orig, ol, s->allow_dup, &err);
    if (!x) return false;
    if (yp_doc_count(x)) yp_doc_select(x, s->d, &err);
    yp_status st = sp->op == OP_DELETE ? yp_delete(x, sp->text, &err)
                                       : yp_set(x, sp->text, sp->value, sp->type, sp->flags, &err);
    size_t l;
    const char *b = yp_doc_bytes(x, &l);
    bool noop = (st == YP_OK && l == ol && memcmp(b, orig, ol) == 0) || skipped(sp, st);
    yp_doc_free(x);
    return noop;
}

/* Batch mode: the program's edits as one yp_apply, against the same edits
 * made one by one (each checked as above) on a copy: yp_apply must give the
 * same bytes when they all succeed, and fail leaving the document as it was
 * when one of them fails. */
static void run_batch(state *s, program *pr)
{
    edit_spec specs[MAX_EDITS];
    yp_edit edits[MAX_EDITS];
    size_t n = 0;
    while (n < MAX_EDITS && decode_edit(s, pr, &specs[n])) {
        edits[n] = (yp_edit){ specs[n].text, specs[n].value, specs[n].type, specs[n].flags,
                              specs[n].op == OP_DELETE };
        n++;
    }
    if (n == 0) return;

    size_t ol;
    const char *cur = yp_doc_bytes(s->doc, &ol);
    char *old = xstrndup(cur, ol);
    yp_error err;
    state seq = { yp_doc_load(old, ol, s->allow_dup, &err), { 0 }, s->d, s->allow_dup };
    if (!seq.doc || !tree_build(old, ol, &seq.tree)) violation(NULL, "reloading the input failed");
    if (seq.tree.n_docs) yp_doc_select(seq.doc, s->d, &err);
    size_t failed_at = NONE;
    yp_status failed_st = YP_OK;
    char *states[MAX_EDITS + 1]; /* the bytes before each edit, one by one */
    size_t state_len[MAX_EDITS + 1], n_states = 0;
    for (size_t i = 0; i < n && failed_at == NONE; i++) {
        const char *b = yp_doc_bytes(seq.doc, &state_len[n_states]);
        states[n_states] = xstrndup(b, state_len[n_states]);
        n_states++;
        yp_status st = run_edit(&seq, &specs[i], i, "one-by-one");
        if (st != YP_OK && !skipped(&specs[i], st)) failed_at = i, failed_st = st;
    }

    /* a batch in which an edit is a no-op (or skipped) on the bytes before an
     * earlier edit may be planned as such: a reported bug (apply-noop), set
     * aside on request */
    bool set_aside = false;
    for (size_t i = 1; i < n && ignored("apply-noop") && !set_aside; i++)
        for (size_t k = 0; k < i && k < n_states && !set_aside; k++)
            set_aside = noop_alone(states[k], state_len[k], s, &specs[i]);
    for (size_t k = 0; k < n_states; k++) free(states[k]);
    if (set_aside) failed_at = NONE - 1;

    edit_desc e = { "batch", specs[n - 1].text, NULL, specs[n - 1].type, s->d, s->allow_dup,
                    n - 1, 0, "yp_apply" };
    memset(&err, 0, sizeof err);
    yp_status st = yp_apply(s->doc, edits, n, &err);
    size_t nl, sl;
    const char *nb = yp_doc_bytes(s->doc, &nl), *sb = yp_doc_bytes(seq.doc, &sl);
    if (getenv("YP_FUZZ_TRACE")) {
        fprintf(stderr, "yp_apply of %zu edits -> %s%s%s\n", n, yp_status_name(st),
                st ? ": " : "", st ? err.message : "");
        dump("after", nb, nl);
    }
    if (failed_at == NONE - 1) {
        /* set aside: only what holds whatever the order of planning */
        if (st != YP_OK && (nl != ol || memcmp(nb, old, ol) != 0))
            violation(&e, "a failed yp_apply (%s) changed the document", yp_status_name(st));
    } else if (failed_at == NONE) {
        if (st == YP_ERR_VERIFY && ignored("apply-verify") && nl == ol && !memcmp(nb, old, ol)) {
            /* a reported spurious refusal: set aside on request */
        } else if (st != YP_OK)
            violation(&e, "yp_apply failed (%s: %s) where the edits one by one succeed",
                      yp_status_name(st), err.message);
        else if (nl != sl || memcmp(nb, sb, nl) != 0) {
            dump("one by one", sb, sl);
            dump("yp_apply", nb, nl);
            violation(&e, "yp_apply's result differs from the edits made one by one");
        }
        check_udiff(old, ol, nb, nl, &e);
    } else {
        if (st == YP_OK)
            violation(&e, "yp_apply succeeded, but edit #%zu fails (%s) after the ones before it",
                      failed_at, yp_status_name(failed_st));
        if (err.code != st) violation(&e, "yp_apply returned %d but the error says %d", st, err.code);
        if (nl != ol || memcmp(nb, old, ol) != 0)
            violation(&e, "a failed yp_apply (%s) changed the document", yp_status_name(st));
    }
    tree_free(&seq.tree);
    yp_doc_free(seq.doc);
    for (size_t i = 0; i < n; i++) spec_free(&specs[i]);
    free(old);
}

/* ---- entry point ---------------------------------------------------------- */

static bool lone_cr(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n')) return true;
    return false;
}

static bool unicode_break(const char *text, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if ((text[i] == '\xC2' && text[i + 1] == '\x85') ||
            (i + 2 < len && text[i] == '\xE2' && text[i + 1] == '\x80' &&
             (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')))
            return true;
    return false;
}

static bool bom_at_line_start(const char *text, size_t len)
{
    for (size_t i = 1; i + 3 <= len; i++)
        if (text[i - 1] == '\n' && memcmp(text + i, "\xEF\xBB\xBF", 3) == 0) return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size < PROGRAM_MAX ? size : PROGRAM_MAX);
    uint8_t derived[24];
    program pr;
    const char *text;
    size_t len;
    if (nul) {
        pr = (program){ data, (size_t)(nul - data), 0 };
        text = (const char *)nul + 1;
        len = size - (size_t)(nul - data) - 1;
    } else {
        /* a plain YAML file: a program from a hash of it (FNV-1a, then xorshift) */
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 1099511628211ULL;
        for (size_t i = 0; i < sizeof derived; i++) {
            h ^= h << 13, h ^= h >> 7, h ^= h << 17;
            derived[i] = (uint8_t)(h >> 24);
        }
        pr = (program){ derived, sizeof derived, 0 };
        text = (const char *)data;
        len = size;
    }

    uint8_t options = prog_byte(&pr);
    state s = { NULL, { 0 }, 0, options & 1 };
    yp_error err;
    memset(&err, 0, sizeof err);
    s.doc = yp_doc_load(text, len, s.allow_dup, &err);
    bool libyaml_ok = tree_build(text, len, &s.tree);
    if (!s.doc) {
        if (err.code != YP_ERR_PARSE && err.code != YP_ERR_DUPLICATE)
            violation(NULL, "yp_doc_load failed with %s: %s", yp_status_name(err.code),
                      err.message);
        /* libyaml and yamlpatch agree on what parses (yamlpatch also refuses
         * NUL bytes, UTF-16, a CR that is not followed by LF, the line breaks
         * of YAML 1.1 alone (NEL, LS, PS), a byte order mark starting a line
         * other than the first and, unless allowed, duplicate keys) */
        if (err.code == YP_ERR_PARSE && libyaml_ok && !memchr(text, 0, len) && !lone_cr(text, len) &&
            !unicode_break(text, len) && !bom_at_line_start(text, len) &&
            !(len >= 2 && (memcmp(text, "\xFE\xFF", 2) == 0 || memcmp(text, "\xFF\xFE", 2) == 0)))
            violation(NULL, "yp_doc_load refuses what libyaml parses: %s", err.message);
        if (libyaml_ok) tree_free(&s.tree);
        return 0;
    }
    if (!libyaml_ok) violation(NULL, "yp_doc_load accepted what libyaml refuses");
    if (yp_doc_count(s.doc) != s.tree.n_docs)
        violation(NULL, "yp_doc_count %zu, libyaml saw %zu documents", yp_doc_count(s.doc),
                  s.tree.n_docs);
    if (s.tree.n_docs) {
        s.d = (size_t)(options >> 2) % s.tree.n_docs;
        if (yp_doc_select(s.doc, s.d, &err) != YP_OK) violation(NULL, "yp_doc_select failed");
    }
    if (options & 2) {
        run_batch(&s, &pr);
    } else {
        edit_spec sp;
        for (size_t i = 0; i < MAX_EDITS && decode_edit(&s, &pr, &sp); i++) {
            run_edit(&s, &sp, i, "single");
            spec_free(&sp);
        }
    }
    tree_free(&s.tree);
    yp_doc_free(s.doc);
    return 0;
}
