/* ring: `nodetool status` parsed, checked, printed.  See ring.h. */
#include "provision/ring.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum layout { LAYOUT_NONE, LAYOUT_VNODES, LAYOUT_ONE_TOKEN };

enum { MAX_WORDS = 16 };

/* Split line[0..len) on blanks into at most MAX_WORDS words (start, length). */
static size_t split_words(const char *line, size_t len, const char **w, size_t *wl)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && isspace((unsigned char)line[i]))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && !isspace((unsigned char)line[i]))
            i++;
        if (n == MAX_WORDS)
            return MAX_WORDS + 1; /* too many: the caller rejects the row */
        w[n] = line + start;
        wl[n] = i - start;
        n++;
    }
    return n;
}

/* Copy a word into a fixed field; false when it does not fit. */
static bool put(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        return false;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return true;
}

static bool has_word(const char *line, size_t len, const char *word)
{
    const char *w[MAX_WORDS];
    size_t wl[MAX_WORDS];
    size_t n = split_words(line, len, w, wl);
    for (size_t i = 0; i < n && i < MAX_WORDS; i++)
        if (wl[i] == strlen(word) && memcmp(w[i], word, wl[i]) == 0)
            return true;
    return false;
}

static bool is_row(const char *line, size_t len)
{
    return len >= 3 && strchr("UD?", line[0]) && strchr("NJLM", line[1]) && line[0] && line[1] &&
           (line[2] == ' ' || line[2] == '\t');
}

static int parse_row(const char *line, size_t len, enum layout layout, const char *dc,
                     struct ring_node *node, char *err, size_t errlen, unsigned lineno)
{
    const char *w[MAX_WORDS];
    size_t wl[MAX_WORDS];
    size_t n = split_words(line, len, w, wl);
    /* status+state, address, 1 or 2 words of Load, then four columns */
    if (n < 7 || n > 8) {
        snprintf(err, errlen, "line %u: a node row with %zu columns, expected 7 or 8 "
                 "(status, address, load, then 4 more): %.*s", lineno,
                 n > MAX_WORDS ? (size_t)MAX_WORDS : n, (int)(len > 120 ? 120 : len), line);
        return -1;
    }
    memset(node, 0, sizeof *node);
    node->status = line[0];
    node->state = line[1];
    size_t host, tok, owns, rack = n - 1;
    if (layout == LAYOUT_ONE_TOKEN) {
        tok = n - 2; host = n - 3; owns = n - 4;
    } else {
        host = n - 2; owns = n - 3; tok = n - 4;
    }
    /* Load: from the third word to the one before the first right-hand column. */
    size_t load_len = (size_t)(w[n - 5] + wl[n - 5] - w[2]);
    bool fits = wl[0] == 2 && put(node->address, sizeof node->address, w[1], wl[1]) &&
                put(node->load, sizeof node->load, w[2], load_len) &&
                put(node->tokens, sizeof node->tokens, w[tok], wl[tok]) &&
                put(node->owns, sizeof node->owns, w[owns], wl[owns]) &&
                put(node->host_id, sizeof node->host_id, w[host], wl[host]) &&
                put(node->rack, sizeof node->rack, w[rack], wl[rack]) &&
                put(node->dc, sizeof node->dc, dc, strlen(dc));
    if (!fits) {
        snprintf(err, errlen, "line %u: a column of this node row is too long: %.*s", lineno,
                 (int)(len > 120 ? 120 : len), line);
        return -1;
    }
    return 0;
}

int ring_parse(const char *text, struct ring *out, char *err, size_t errlen)
{
    out->nodes = NULL;
    out->count = 0;
    size_t cap = 0;
    enum layout layout = LAYOUT_NONE;
    char dc[64] = "";
    unsigned lineno = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        lineno++;
        size_t l = len;
        while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == ' '))
            l--;
        if (l >= 11 && memcmp(p, "Datacenter:", 11) == 0) {
            const char *v = p + 11;
            size_t vl = l - 11;
            while (vl > 0 && isspace((unsigned char)*v)) {
                v++;
                vl--;
            }
            if (!put(dc, sizeof dc, v, vl)) {
                snprintf(err, errlen, "line %u: data centre name too long", lineno);
                goto fail;
            }
            layout = LAYOUT_NONE; /* each block has its own header */
        } else if (l >= 2 && p[0] == '-' && p[1] == '-' && has_word(p, l, "Address")) {
            if (has_word(p, l, "Tokens"))
                layout = LAYOUT_VNODES;
            else if (has_word(p, l, "Token"))
                layout = LAYOUT_ONE_TOKEN;
            else {
                snprintf(err, errlen, "line %u: column header names neither Tokens nor Token: %.*s",
                         lineno, (int)(l > 120 ? 120 : l), p);
                goto fail;
            }
        } else if (is_row(p, l)) {
            if (layout == LAYOUT_NONE) {
                snprintf(err, errlen, "line %u: a node row before any column header", lineno);
                goto fail;
            }
            if (out->count == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                struct ring_node *nn = realloc(out->nodes, ncap * sizeof *nn);
                if (!nn) {
                    snprintf(err, errlen, "out of memory");
                    goto fail;
                }
                out->nodes = nn;
                cap = ncap;
            }
            if (parse_row(p, l, layout, dc, &out->nodes[out->count], err, errlen, lineno) != 0)
                goto fail;
            out->count++;
        }
        p = eol ? eol + 1 : p + len;
    }
    return 0;
fail:
    ring_free(out);
    return -1;
}

void ring_free(struct ring *r)
{
    free(r->nodes);
    r->nodes = NULL;
    r->count = 0;
}

/* Row address equal to `address`, allowing a port on the row (nodetool -pp
 * prints 10.0.0.1:7000 and [fd00::1]:7000) but not a longer address that
 * merely starts the same (10.0.0.10). */
static bool same_address(const char *row, const char *address)
{
    size_t n = strlen(address);
    if (row[0] == '[')
        return strncmp(row + 1, address, n) == 0 && row[n + 1] == ']';
    if (strncmp(row, address, n) != 0)
        return false;
    return row[n] == '\0' || (row[n] == ':' && strchr(address, ':') == NULL);
}

const struct ring_node *ring_find(const struct ring *r, const char *address)
{
    for (size_t i = 0; i < r->count; i++)
        if (same_address(r->nodes[i].address, address))
            return &r->nodes[i];
    return NULL;
}

bool ring_name(struct ring *r, const char *address, const char *name)
{
    const struct ring_node *found = ring_find(r, address);
    if (!found)
        return false;
    struct ring_node *node = &r->nodes[found - r->nodes];
    snprintf(node->name, sizeof node->name, "%s", name);
    return true;
}

/* Append "; "-separated text to why, silently truncating. */
static void add_reason(char *why, size_t whylen, const char *text)
{
    if (!why || whylen == 0)
        return;
    size_t used = strlen(why);
    if (used + 1 < whylen)
        snprintf(why + used, whylen - used, "%s%s", used ? "; " : "", text);
}

/* Is the row's address one of the list? */
static bool listed(const struct ring_node *node, const char *const *addresses, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (same_address(node->address, addresses[i]))
            return true;
    return false;
}

bool ring_ready(const struct ring *r, const char *const *addresses, size_t n,
                bool others_may_be_down, char *why, size_t whylen)
{
    bool ready = true;
    if (why && whylen)
        why[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!ring_find(r, addresses[i])) {
            char text[96];
            snprintf(text, sizeof text, "%s not in the ring", addresses[i]);
            add_reason(why, whylen, text);
            ready = false;
        }
    for (size_t i = 0; i < r->count; i++) {
        const struct ring_node *node = &r->nodes[i];
        if (node->status == 'U' && node->state == 'N')
            continue;
        /* a down peer we did not start, resting in its normal state */
        if (others_may_be_down && node->status != 'U' && node->state == 'N' &&
            !listed(node, addresses, n))
            continue;
        char text[96];
        snprintf(text, sizeof text, "%s is %c%c", node->address, node->status, node->state);
        add_reason(why, whylen, text);
        ready = false;
    }
    return ready;
}

/* strcmp, but runs of digits compare as numbers. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la]))
                la++;
            while (isdigit((unsigned char)b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : *b ? -1 : 0;
}

/* A row with its sort keys: the first position of its data centre and its
 * own position (which keeps the order of unnamed rows, making it stable). */
struct sort_item {
    size_t dc_rank, pos;
    struct ring_node node;
};

static int sort_cmp(const void *pa, const void *pb)
{
    const struct sort_item *a = pa, *b = pb;
    if (a->dc_rank != b->dc_rank)
        return a->dc_rank < b->dc_rank ? -1 : 1;
    bool na = a->node.name[0], nb = b->node.name[0];
    if (na && nb) {
        int c = natural_cmp(a->node.name, b->node.name);
        if (c)
            return c;
    } else if (na != nb) {
        return na ? -1 : 1;
    }
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

void ring_sort(struct ring *r)
{
    if (r->count < 2)
        return;
    struct sort_item *items = malloc(r->count * sizeof *items);
    if (!items)
        return; /* the order is cosmetic: leave nodetool's */
    for (size_t i = 0; i < r->count; i++) {
        size_t rank = 0;
        while (strcmp(r->nodes[rank].dc, r->nodes[i].dc) != 0)
            rank++;
        items[i].dc_rank = rank;
        items[i].pos = i;
        items[i].node = r->nodes[i];
    }
    qsort(items, r->count, sizeof *items, sort_cmp);
    for (size_t i = 0; i < r->count; i++)
        r->nodes[i] = items[i].node;
    free(items);
}

void ring_print(FILE *f, const struct ring *r)
{
    ring_print_hosts(f, r, NULL);
}

void ring_print_hosts(FILE *f, const struct ring *r, const char *const *hosts)
{
    /* Column widths: the widest cell or the heading. */
    int w_dc = 10, w_name = 4, w_host = 4, w_addr = 7, w_load = 4, w_tok = 6, w_owns = 4, w_id = 7;
    for (size_t i = 0; i < r->count; i++) {
        const struct ring_node *n = &r->nodes[i];
#define WIDEN(w, s) do { int l_ = (int)strlen(s); if (l_ > (w)) (w) = l_; } while (0)
        WIDEN(w_dc, n->dc);
        WIDEN(w_name, n->name);
        if (hosts)
            WIDEN(w_host, hosts[i]);
        WIDEN(w_addr, n->address);
        WIDEN(w_load, n->load);
        WIDEN(w_tok, n->tokens);
        WIDEN(w_owns, n->owns);
        WIDEN(w_id, n->host_id);
#undef WIDEN
    }
    fprintf(f, "%-*s  %-*s  ", w_dc, "Datacenter", w_name, "Node");
    if (hosts)
        fprintf(f, "%-*s  ", w_host, "Host");
    fprintf(f, "%-*s  %-2s  %-*s  %*s  %*s  %-*s  %s\n", w_addr, "Address", "St", w_load, "Load",
            w_tok, "Tokens", w_owns, "Owns", w_id, "Host ID", "Rack");
    for (size_t i = 0; i < r->count; i++) {
        const struct ring_node *n = &r->nodes[i];
        fprintf(f, "%-*s  %-*s  ", w_dc, n->dc, w_name, n->name[0] ? n->name : "-");
        if (hosts)
            fprintf(f, "%-*s  ", w_host, hosts[i]);
        fprintf(f, "%-*s  %c%c  %-*s  %*s  %*s  %-*s  %s\n", w_addr, n->address, n->status,
                n->state, w_load, n->load, w_tok, n->tokens, w_owns, n->owns, w_id, n->host_id,
                n->rack);
    }
}
