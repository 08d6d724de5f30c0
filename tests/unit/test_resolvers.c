/* The resolvers of yamlpatch/scalar.c (hand-written scanners) against their
 * specification: the POSIX EREs of SnakeYAML's implicit resolvers, the YAML
 * 1.2 core schema and the forms both read alike, run with regexec.  Every
 * string of short length over alphabets that reach each rule's corners, plus
 * random strings and generated timestamps, must resolve to the same type. */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamlpatch/internal.h"

typedef struct {
    yp_type type;
    const char *pattern;
    regex_t re;
} rule;

/* org.yaml.snakeyaml.resolver.Resolver, in its order */
static rule yaml11[] = {
    { YPT_BOOL, "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$", { 0 } },
    { YPT_INT, "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
               "|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$", { 0 } },
    { YPT_FLOAT, "^([-+]?(\\.[0-9]+|[0-9_]+(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?"
                 "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
                 "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$", { 0 } },
    { YPT_NULL, "^(~|null|Null|NULL| )?$", { 0 } },
    { YPT_TIMESTAMP, "^([0-9]{4}-[0-9]{2}-[0-9]{2}"
                     "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
                     "(\\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)$", { 0 } },
    { YPT_TIMESTAMP, "^(<<|=)$", { 0 } }, /* merge and value: never plain */
};

/* the YAML 1.2 core schema */
static rule yaml12[] = {
    { YPT_NULL, "^(null|Null|NULL|~)?$", { 0 } },
    { YPT_BOOL, "^(true|True|TRUE|false|False|FALSE)$", { 0 } },
    { YPT_INT, "^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", { 0 } },
    { YPT_FLOAT, "^([-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
                 "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$", { 0 } },
};

/* the forms both read as the same value */
static rule portable[] = {
    { YPT_NULL, "^(null|Null|NULL|~)?$", { 0 } },
    { YPT_BOOL, "^(true|True|TRUE|false|False|FALSE)$", { 0 } },
    { YPT_INT, "^([-+]?(0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$", { 0 } },
    { YPT_FLOAT, "^([-+]?[0-9]+\\.[0-9]+|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$", { 0 } },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The resolvers' documented shortcut (scalar.c): a text whose first character
 * or any character lies outside these sets, or with two dots, is a string. */
static int may_be_typed(const char *text)
{
    if (*text != '\0' && strchr("0123456789+-.~ yYnNtTfFoO<=", *text) == NULL) return 0;
    int dots = 0;
    for (const char *c = text; *c; c++) {
        if (*c == '.' && ++dots > 1) return 0;
        int letter = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
        if (!letter && !strchr("0123456789_:+-.~ \t<=", *c)) return 0;
    }
    return 1;
}

static yp_type by_regex(rule *rules, size_t n, const char *text)
{
    if (!may_be_typed(text)) return YPT_STR;
    for (size_t i = 0; i < n; i++)
        if (regexec(&rules[i].re, text, 0, NULL, 0) == 0) return rules[i].type;
    return YPT_STR;
}

static unsigned long checked;

static void check(const char *text)
{
    yp_type a = by_regex(yaml11, COUNT(yaml11), text), b = yp_resolve_yaml11(text);
    if (a != b) fail_msg("YAML 1.1 [%s]: regex %d, scanner %d", text, a, b);
    a = by_regex(yaml12, COUNT(yaml12), text), b = yp_resolve_yaml12(text);
    if (a != b) fail_msg("YAML 1.2 [%s]: regex %d, scanner %d", text, a, b);
    a = by_regex(portable, COUNT(portable), text), b = yp_resolve_portable(text);
    if (a != b) fail_msg("portable [%s]: regex %d, scanner %d", text, a, b);
    checked++;
}

/* every string of length 0..max over `alphabet` */
static void exhaustive(const char *alphabet, size_t max)
{
    size_t k = strlen(alphabet);
    char text[16];
    size_t idx[16];
    for (size_t len = 0; len <= max; len++) {
        memset(idx, 0, sizeof idx);
        for (;;) {
            for (size_t i = 0; i < len; i++) text[i] = alphabet[idx[i]];
            text[len] = '\0';
            check(text);
            size_t i = 0;
            while (i < len && ++idx[i] == k) idx[i++] = 0;
            if (i == len) break;
        }
    }
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static int setup(void **state)
{
    (void)state;
    rule *sets[] = { yaml11, yaml12, portable };
    size_t counts[] = { COUNT(yaml11), COUNT(yaml12), COUNT(portable) };
    for (size_t s = 0; s < 3; s++)
        for (size_t i = 0; i < counts[s]; i++)
            if (regcomp(&sets[s][i].re, sets[s][i].pattern, REG_EXTENDED | REG_NOSUB) != 0)
                return -1;
    return 0;
}

static void test_numbers(void **state)
{
    (void)state;
    exhaustive("019_:.-+eE", 6);   /* ints, floats, sexagesimal, exponents */
    exhaustive("0175bxoaF_+.", 4); /* binary, octal, hex, 0o */
    exhaustive("06:.", 8);         /* sexagesimal groups: [0-5]?[0-9] */
}

static void test_words(void **state)
{
    (void)state;
    static const char *words[] = {
        "", " ", "~", "null", "Null", "NULL", "nUll", "yes", "Yes", "YES", "yEs", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF", "oFF", "true", "True", "TRUE", "tRue", "false",
        "False", "FALSE", "y", "Y", "n", "N", ".inf", "-.inf", "+.Inf", ".INF", ".nan", "-.nan",
        ".NaN", ".NAN", ".Nan", "<<", "=", "<", "==", "inf", "nan", " null", "null ", "yes ",
        "2001-12-14", "2001-1-14", "2001-12-1", "2001-1-1", "2001-12-14t1:00:00",
    };
    for (size_t i = 0; i < COUNT(words); i++) check(words[i]);
}

static void test_timestamps(void **state)
{
    (void)state;
    static const char *parts[][9] = {
        { "2001", "201", "20011" }, { "-" }, { "12", "1", "123", "" }, { "-", "" },
        { "14", "4", "144", "" }, { "", "T", "t", " ", "\t ", "x" }, { "21", "1", "211", "" },
        { ":", "" }, { "59", "5", "" }, { ":", "" }, { "43", "4", "" }, { "", ".10", ".", ".1x" },
        { "", " ", "\t" }, { "", "Z", "-5", "+05", "+05:00", "-05:0", "+123", "Zx", " " },
    };
    static const size_t n_parts[] = { 3, 1, 4, 2, 4, 6, 4, 2, 3, 2, 3, 4, 3, 9 };
    for (int i = 0; i < 200000; i++) {
        char text[96] = "";
        for (size_t p = 0; p < COUNT(n_parts); p++) strcat(text, parts[p][rnd((unsigned)n_parts[p])]);
        check(text);
    }
}

static void test_random(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789_:.-+eExobaFTtZ ~\tnNyYl<=";
    for (int i = 0; i < 300000; i++) {
        char text[32];
        unsigned len = rnd(24);
        for (unsigned j = 0; j < len; j++) text[j] = alphabet[rnd(sizeof alphabet - 1)];
        text[len] = '\0';
        check(text);
    }
    /* long texts: linear, no recursion */
    static char big[1 << 20];
    for (size_t i = 0; i + 2 < sizeof big; i += 2) memcpy(big + i, ":1", 2);
    big[0] = '1';
    big[sizeof big - 2] = '\0';
    assert_int_equal(yp_resolve_yaml11(big), YPT_INT);
    print_message("%lu texts resolved alike\n", checked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
