/*
 * Unit tests for provision/tokens: the initial tokens of `up --fresh`.
 *
 * The expectations come from the definition of an even split of the Murmur3
 * ring, computed here independently with 128-bit integers (the module itself
 * avoids them): the k-th of M tokens is -2^63 + floor(k * 2^64 / M), and node
 * i owns the k with k mod N == i.  A few values are plain arithmetic facts
 * (half the ring is 0, a quarter is -2^62).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provision/tokens.h"

/* The oracle: -2^63 + floor(k * 2^64 / m), in 128 bits. */
static int64_t expected_token(uint64_t k, uint64_t m)
{
    __int128 off = (__int128)(((unsigned __int128)k << 64) / m);
    return (int64_t)(off - ((__int128)1 << 63));
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Every token of every node of an n x t cluster, with its owner. */
struct all_tokens {
    int64_t *tok;
    unsigned *owner;
    size_t m;
};

static void collect(unsigned n, unsigned t, struct all_tokens *a)
{
    char err[128];
    a->m = (size_t)n * t;
    a->tok = malloc(a->m * sizeof *a->tok);
    a->owner = malloc(a->m * sizeof *a->owner);
    int64_t *mine = malloc(t * sizeof *mine);
    assert_non_null(a->tok);
    assert_non_null(a->owner);
    assert_non_null(mine);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(tokens_node(n, t, i, mine, err, sizeof err), 0);
        for (unsigned j = 0; j < t; j++) {
            a->tok[(size_t)i * t + j] = mine[j];
            a->owner[(size_t)i * t + j] = i;
        }
    }
    free(mine);
}

static void release(struct all_tokens *a)
{
    free(a->tok);
    free(a->owner);
}

static const unsigned shapes[][2] = {{1, 1}, {2, 1}, {3, 16}, {4, 16}, {5, 256}, {7, 3},
                                     {3, 1536}, {1000, 1}, {12, 8}};

static void test_known_values(void **state)
{
    (void)state;
    char err[128];
    int64_t t[4];
    assert_int_equal(tokens_node(1, 1, 0, t, err, sizeof err), 0);
    assert_true(t[0] == INT64_MIN);
    assert_int_equal(tokens_node(2, 1, 1, t, err, sizeof err), 0);
    assert_true(t[0] == 0);
    /* 4 nodes x 1 token: quarters of the ring */
    int64_t want[4] = {INT64_MIN, -(INT64_C(1) << 62), 0, INT64_C(1) << 62};
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(tokens_node(4, 1, i, t, err, sizeof err), 0);
        assert_true(t[0] == want[i]);
    }
    /* 2 nodes x 2 tokens: node 0 gets quarters 0 and 2, node 1 quarters 1 and 3 */
    assert_int_equal(tokens_node(2, 2, 0, t, err, sizeof err), 0);
    assert_true(t[0] == INT64_MIN && t[1] == 0);
    assert_int_equal(tokens_node(2, 2, 1, t, err, sizeof err), 0);
    assert_true(t[0] == -(INT64_C(1) << 62) && t[1] == (INT64_C(1) << 62));
}

static void test_count_and_oracle(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        unsigned n = shapes[s][0], t = shapes[s][1];
        struct all_tokens a;
        collect(n, t, &a);
        assert_int_equal(a.m, (size_t)n * t);
        for (unsigned i = 0; i < n; i++)
            for (unsigned j = 0; j < t; j++)
                assert_true(a.tok[(size_t)i * t + j] ==
                            expected_token((uint64_t)i + (uint64_t)j * n, a.m));
        release(&a);
    }
}

/* Sorted, the tokens are evenly spaced (gaps differ by at most one), start at
 * -2^63, stay below 2^63 with the wrap-around gap as even as the others, are
 * all distinct, and their owners go round robin: 0, 1, ..., N-1, 0, 1, ... */
static void test_spacing_interleaving_bounds(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        unsigned n = shapes[s][0], t = shapes[s][1];
        struct all_tokens a;
        collect(n, t, &a);
        /* sort tokens and carry owners along: sort (token, owner) pairs */
        struct pair { int64_t tok; unsigned owner; } *p = malloc(a.m * sizeof *p);
        assert_non_null(p);
        for (size_t k = 0; k < a.m; k++) {
            p[k].tok = a.tok[k];
            p[k].owner = a.owner[k];
        }
        qsort(p, a.m, sizeof *p, cmp_i64); /* tok is the first member */
        assert_true(p[0].tok == INT64_MIN);
        unsigned __int128 ideal = ((unsigned __int128)1 << 64) / a.m; /* floor */
        for (size_t k = 0; k < a.m; k++) {
            assert_int_equal(p[k].owner, k % n);
            uint64_t gap;
            if (k + 1 < a.m) {
                assert_true(p[k + 1].tok > p[k].tok); /* strictly: no duplicates */
                gap = (uint64_t)((__int128)p[k + 1].tok - p[k].tok);
            } else {
                /* wrap-around: from the last token to -2^63 + 2^64 */
                gap = (uint64_t)(((__int128)1 << 63) - p[k].tok);
            }
            if (a.m > 1) {
                assert_true(gap == ideal || gap == ideal + 1);
            }
        }
        free(p);
        release(&a);
    }
}

static void test_each_node_ascending(void **state)
{
    (void)state;
    char err[128];
    int64_t t[16];
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(tokens_node(3, 16, i, t, err, sizeof err), 0);
        for (unsigned j = 1; j < 16; j++)
            assert_true(t[j] > t[j - 1]);
    }
}

static void test_format_round_trip(void **state)
{
    (void)state;
    char err[128];
    unsigned n = 3, t = 16;
    char *buf = malloc(TOKENS_TEXT_MAX(t));
    int64_t want[16];
    assert_non_null(buf);
    for (unsigned i = 0; i < n; i++) {
        int len = tokens_format(n, t, i, buf, TOKENS_TEXT_MAX(t), err, sizeof err);
        assert_true(len > 0);
        assert_int_equal((size_t)len, strlen(buf));
        assert_null(strchr(buf, ' '));
        assert_int_equal(tokens_node(n, t, i, want, err, sizeof err), 0);
        const char *p = buf;
        for (unsigned j = 0; j < t; j++) {
            char *end;
            errno = 0;
            long long v = strtoll(p, &end, 10);
            assert_int_equal(errno, 0);
            assert_true(v == want[j]);
            assert_true(*end == (j + 1 < t ? ',' : '\0'));
            p = end + 1;
        }
    }
    free(buf);
    /* The worst case: every token 20 characters ("-9223372036854775808") */
    char *big = malloc(TOKENS_TEXT_MAX(TOKENS_MAX_PER_NODE));
    assert_non_null(big);
    assert_true(tokens_format(1, TOKENS_MAX_PER_NODE, 0, big, TOKENS_TEXT_MAX(TOKENS_MAX_PER_NODE),
                              err, sizeof err) > 0);
    free(big);
}

static void test_errors(void **state)
{
    (void)state;
    char err[128];
    int64_t t[2] = {7, 7};
    char buf[64] = "untouched";
    assert_int_equal(tokens_node(0, 16, 0, t, err, sizeof err), -1);
    assert_non_null(strstr(err, "node count"));
    assert_int_equal(tokens_node(TOKENS_MAX_NODES + 1, 1, 0, t, err, sizeof err), -1);
    assert_int_equal(tokens_node(3, 0, 0, t, err, sizeof err), -1);
    assert_non_null(strstr(err, "num_tokens"));
    assert_int_equal(tokens_node(3, TOKENS_MAX_PER_NODE + 1, 0, t, err, sizeof err), -1);
    assert_int_equal(tokens_node(3, 2, 3, t, err, sizeof err), -1);
    assert_non_null(strstr(err, "node index 3"));
    assert_true(t[0] == 7 && t[1] == 7); /* nothing written on error */
    assert_int_equal(tokens_format(3, 0, 0, buf, sizeof buf, err, sizeof err), -1);
    /* 16 tokens never fit in 64 bytes */
    assert_int_equal(tokens_format(3, 16, 0, buf, sizeof buf, err, sizeof err), -1);
    assert_non_null(strstr(err, "do not fit"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_count_and_oracle),
        cmocka_unit_test(test_spacing_interleaving_bounds),
        cmocka_unit_test(test_each_node_ascending),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
