/* udiff.c: see udiff.h. */
#include "yamlpatch/udiff.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s;
    size_t len; /* including the newline, if any */
} line;

static line *split_lines(const char *text, size_t len, size_t *count)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n') n++;
    if (len && text[len - 1] != '\n') n++;
    line *lines = malloc((n ? n : 1) * sizeof *lines);
    if (!lines) return NULL;
    size_t k = 0, start = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n') {
            lines[k++] = (line){ text + start, i + 1 - start };
            start = i + 1;
        }
    if (start < len) lines[k++] = (line){ text + start, len - start };
    *count = n;
    return lines;
}

static bool same(const line *x, const line *y)
{
    return x->len == y->len && memcmp(x->s, y->s, x->len) == 0;
}

/* ops: '=' keep, '-' delete from a, '+' add from b */
static char *edit_script(const line *a, size_t na, const line *b, size_t nb, size_t *nops)
{
    size_t pre = 0, suf = 0;
    while (pre < na && pre < nb && same(&a[pre], &b[pre])) pre++;
    while (suf < na - pre && suf < nb - pre && same(&a[na - 1 - suf], &b[nb - 1 - suf])) suf++;
    size_t ma = na - pre - suf, mb = nb - pre - suf;
    char *ops = malloc(na + nb + 1);
    if (!ops) return NULL;
    size_t k = 0;
    memset(ops, '=', pre);
    k = pre;
    /* LCS over the middle when it is small enough; else replace it whole */
    unsigned *t = NULL;
    bool aligned = ma && mb && ma <= 4096 && mb <= 4096;
    /* No table, no diff: a coarser one for want of memory would make the
     * output depend on memory. */
    if (aligned && !(t = calloc((ma + 1) * (mb + 1), sizeof *t))) {
        free(ops);
        return NULL;
    }
    if (aligned) {
        const line *ma0 = a + pre, *mb0 = b + pre;
        for (size_t i = ma; i-- > 0;)
            for (size_t j = mb; j-- > 0;)
                t[i * (mb + 1) + j] = same(&ma0[i], &mb0[j])
                    ? t[(i + 1) * (mb + 1) + j + 1] + 1
                    : (t[(i + 1) * (mb + 1) + j] > t[i * (mb + 1) + j + 1]
                           ? t[(i + 1) * (mb + 1) + j] : t[i * (mb + 1) + j + 1]);
        size_t i = 0, j = 0;
        while (i < ma || j < mb) {
            if (i < ma && j < mb && same(&ma0[i], &mb0[j])) { ops[k++] = '='; i++; j++; }
            else if (i < ma && (j == mb || t[(i + 1) * (mb + 1) + j] >= t[i * (mb + 1) + j + 1]))
                { ops[k++] = '-'; i++; } /* deletions first, as diff -u prints them */
            else { ops[k++] = '+'; j++; }
        }
        free(t);
    } else {
        memset(ops + k, '-', ma);
        k += ma;
        memset(ops + k, '+', mb);
        k += mb;
    }
    memset(ops + k, '=', suf);
    k += suf;
    *nops = k;
    return ops;
}

static void put_line(FILE *out, char mark, const line *l)
{
    fputc(mark, out);
    fwrite(l->s, 1, l->len, out);
    if (l->len == 0 || l->s[l->len - 1] != '\n') fputs("\n\\ No newline at end of file\n", out);
}

int yp_udiff(FILE *out, const char *a_name, const char *a, size_t a_len, const char *b_name,
             const char *b, size_t b_len)
{
    if (a_len == b_len && memcmp(a, b, a_len) == 0) return 0;
    size_t na, nb, nops;
    line *la = split_lines(a, a_len, &na), *lb = split_lines(b, b_len, &nb);
    char *ops = la && lb ? edit_script(la, na, lb, nb, &nops) : NULL;
    if (!ops) {
        free(la);
        free(lb);
        return -1;
    }
    fprintf(out, "--- %s\n+++ %s\n", a_name, b_name);
    const size_t ctx = 3;
    size_t i = 0;
    while (i < nops) {
        if (ops[i] == '=') { i++; continue; }
        /* a hunk: from ctx lines before this change to ctx after the last change
         * that is within 2*ctx of the previous one */
        size_t start = i > ctx ? i - ctx : 0, end = i;
        for (;;) {
            while (end < nops && ops[end] != '=') end++; /* the change itself */
            size_t run = end;
            while (run < nops && ops[run] == '=') run++; /* unchanged lines after it */
            if (run < nops && run - end <= 2 * ctx) {
                end = run; /* close enough to the next change: one hunk */
                continue;
            }
            end = end + ctx < run ? end + ctx : run;
            break;
        }
        size_t ai = 0, bi = 0;
        for (size_t k = 0; k < start; k++) { if (ops[k] != '+') ai++; if (ops[k] != '-') bi++; }
        size_t ac = 0, bc = 0;
        for (size_t k = start; k < end; k++) { if (ops[k] != '+') ac++; if (ops[k] != '-') bc++; }
        fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", ac ? ai + 1 : ai, ac, bc ? bi + 1 : bi, bc);
        for (size_t k = start; k < end; k++) {
            if (ops[k] == '=') put_line(out, ' ', &la[ai++]), bi++;
            else if (ops[k] == '-') put_line(out, '-', &la[ai++]);
            else put_line(out, '+', &lb[bi++]);
        }
        i = end;
    }
    free(ops);
    free(la);
    free(lb);
    return 0;
}
