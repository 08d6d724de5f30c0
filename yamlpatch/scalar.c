/*
 * scalar.c: how a value is written so that it reads back as intended.
 *
 * Cassandra reads cassandra.yaml with SnakeYAML, a YAML 1.1 resolver (yes/no/
 * on/off are booleans, 0777 is octal, 1_000 is an int, 12:30 is sexagesimal);
 * other tools read YAML 1.2.  A value is written plain only when both read it
 * as the same type and the same value; otherwise it is quoted.
 */
#include "yamlpatch/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

/* ---- yp_buf ----------------------------------------------------------- */

void yp_buf_add(yp_buf *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void yp_buf_str(yp_buf *b, const char *s) { yp_buf_add(b, s, strlen(s)); }
void yp_buf_char(yp_buf *b, char c) { yp_buf_add(b, &c, 1); }

void yp_buf_indent(yp_buf *b, unsigned n)
{
    while (n--) yp_buf_char(b, ' ');
}

char *yp_buf_take(yp_buf *b)
{
    if (b->failed) {
        free(b->data);
        *b = (yp_buf){ 0 };
        return NULL;
    }
    if (!b->data) yp_buf_add(b, "", 0);
    char *out = b->failed ? NULL : b->data;
    *b = (yp_buf){ 0 };
    return out;
}

/* ---- resolvers --------------------------------------------------------
 * SnakeYAML's implicit resolvers (org.yaml.snakeyaml.resolver.Resolver), the
 * YAML 1.2 core schema, and the forms both read as the same value, each a
 * POSIX ERE in the comment above its matcher.  The matchers are hand-written
 * scanners: they allocate nothing and cannot fail (regcomp allocates, a
 * failed compile would silently change a type, and glibc's regcomp frees
 * twice when an allocation fails), and they run in linear time with no
 * recursion on texts of any length.  A unit test compares them with regexec
 * on those EREs over every short string of a test alphabet. */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char DIGITS[] = "0123456789";
static const char DIGITS_[] = "0123456789_";

static void skip_sign(const char **p)
{
    if (**p == '-' || **p == '+') (*p)++;
}

/* Advance over characters of `set` (none of them NUL); how many. */
static size_t skip_set(const char **p, const char *set)
{
    size_t n = strspn(*p, set);
    *p += n;
    return n;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool one_of(const char *text, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(text, *words) == 0) return true;
    return false;
}

/* (null|Null|NULL|~)? */
static bool is_null12(const char *t)
{
    static const char *const w[] = { "", "~", "null", "Null", "NULL", NULL };
    return one_of(t, w);
}

/* (true|True|TRUE|false|False|FALSE) */
static bool is_bool12(const char *t)
{
    static const char *const w[] = { "true", "True", "TRUE", "false", "False", "FALSE", NULL };
    return one_of(t, w);
}

/* [-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN) */
static bool is_inf_nan(const char *t)
{
    static const char *const nan[] = { ".nan", ".NaN", ".NAN", NULL };
    static const char *const inf[] = { ".inf", ".Inf", ".INF", NULL };
    if (one_of(t, nan)) return true;
    skip_sign(&t);
    return one_of(t, inf);
}

/* [-+]?(\.[0-9]+|[D]+(\.[D]*)?)([eE][-+]?[0-9]+)?   with D the digit set */
static bool is_decimal_float(const char *p, const char *digits)
{
    skip_sign(&p);
    if (*p == '.') {
        p++;
        if (!skip_set(&p, DIGITS)) return false;
    } else {
        if (!skip_set(&p, digits)) return false;
        if (*p == '.') {
            p++;
            skip_set(&p, digits);
        }
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        skip_sign(&p);
        if (!skip_set(&p, DIGITS)) return false;
    }
    return *p == '\0';
}

/* (:[0-5]?[0-9])+ followed by `then` (NUL: the end of the text) */
static bool skip_sexagesimal(const char **pp, char then)
{
    const char *p = *pp;
    int groups = 0;
    while (*p == ':') {
        p++;
        if (is_digit(p[0]) && is_digit(p[1]) && p[0] <= '5') p += 2;
        else if (is_digit(p[0]) && !is_digit(p[1])) p += 1;
        else return false;
        groups++;
    }
    *pp = p;
    return groups > 0 && *p == then;
}

/* (yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF) */
static bool is_bool11(const char *t)
{
    static const char *const w[] = { "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON",
                                     "off", "Off", "OFF", NULL };
    return is_bool12(t) || one_of(t, w);
}

/* [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
 * | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+ */
static bool is_int11(const char *p)
{
    skip_sign(&p);
    if (p[0] == '0' && p[1] == 'b') {
        p += 2;
        return skip_set(&p, "01_") && *p == '\0';
    }
    if (p[0] == '0' && p[1] == 'x') {
        p += 2;
        return skip_set(&p, "0123456789abcdefABCDEF_") && *p == '\0';
    }
    if (p[0] == '0') {
        p++;
        return *p == '\0' || (skip_set(&p, "01234567_") && *p == '\0');
    }
    if (*p < '1' || *p > '9') return false;
    p++;
    skip_set(&p, DIGITS_);
    return *p == '\0' || skip_sexagesimal(&p, '\0');
}

/* [-+]?(\.[0-9]+|[0-9_]+(\.[0-9_]*)?)([eE][-+]?[0-9]+)?
 * | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN) */
static bool is_float11(const char *t)
{
    if (is_decimal_float(t, DIGITS_) || is_inf_nan(t)) return true;
    const char *p = t;
    skip_sign(&p);
    if (!is_digit(*p)) return false;
    skip_set(&p, DIGITS_);
    if (!skip_sexagesimal(&p, '.')) return false;
    p++;
    skip_set(&p, DIGITS_);
    return *p == '\0';
}

/* (~|null|Null|NULL| )? */
static bool is_null11(const char *t)
{
    return is_null12(t) || strcmp(t, " ") == 0;
}

/* [0-9]{n} exactly */
static bool skip_digits(const char **p, size_t min, size_t max)
{
    size_t n = 0;
    while (n < max && is_digit((*p)[n])) n++;
    if (n < min) return false;
    *p += n;
    return true;
}

/* [0-9]{4}-[0-9]{2}-[0-9]{2}
 * | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}
 *   (\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))? */
static bool is_timestamp11(const char *p)
{
    const char *month, *day;
    if (!skip_digits(&p, 4, 4) || *p++ != '-' || (month = p, !skip_digits(&p, 1, 2)) ||
        *p++ != '-' || (day = p, !skip_digits(&p, 1, 2)))
        return false;
    if (*p == '\0') return day - month == 3 && p - day == 2; /* a date: the first form */
    if (*p == 'T' || *p == 't') p++;
    else if (!skip_set(&p, " \t")) return false;
    if (!skip_digits(&p, 1, 2) || *p++ != ':' || !skip_digits(&p, 2, 2) || *p++ != ':' ||
        !skip_digits(&p, 2, 2))
        return false;
    if (*p == '.') {
        p++;
        skip_set(&p, DIGITS);
    }
    if (*p == '\0') return true;
    skip_set(&p, " \t");
    if (*p == 'Z') return p[1] == '\0';
    if (*p != '-' && *p != '+') return false;
    p++;
    if (!skip_digits(&p, 1, 2)) return false;
    if (*p == ':') {
        p++;
        if (!skip_digits(&p, 2, 2)) return false;
    }
    return *p == '\0';
}

/* [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ */
static bool is_int12(const char *p)
{
    if (p[0] == '0' && (p[1] == 'o' || p[1] == 'x')) {
        const char *set = p[1] == 'o' ? "01234567" : "0123456789abcdefABCDEF";
        p += 2;
        return skip_set(&p, set) && *p == '\0';
    }
    skip_sign(&p);
    return skip_set(&p, DIGITS) && *p == '\0';
}

/* [-+]?(0|[1-9][0-9]*) | 0x[0-9a-fA-F]+ */
static bool is_int_portable(const char *p)
{
    if (p[0] == '0' && p[1] == 'x') {
        p += 2;
        return skip_set(&p, "0123456789abcdefABCDEF") && *p == '\0';
    }
    skip_sign(&p);
    if (p[0] == '0') return p[1] == '\0';
    return *p >= '1' && *p <= '9' && (p++, skip_set(&p, DIGITS), *p == '\0');
}

/* [-+]?[0-9]+\.[0-9]+ | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN) */
static bool is_float_portable(const char *t)
{
    if (is_inf_nan(t)) return true;
    skip_sign(&t);
    return skip_set(&t, DIGITS) && *t++ == '.' && skip_set(&t, DIGITS) && *t == '\0';
}

/* Every typed form (null, bool, int, float, timestamp, merge, value) starts with
 * one of these, in both schemas: anything else is a string without asking the
 * matchers. */
static bool may_be_typed(const char *text)
{
    if (*text != '\0' && strchr("0123456789+-.~ yYnNtTfFoO<=", *text) == NULL) return false;
    /* no typed form has two dots (10.0.0.1) or characters such as , / @ */
    int dots = 0;
    for (const char *c = text; *c; c++) {
        if (*c == '.' && ++dots > 1) return false;
        bool letter = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
        if (!letter && !strchr("0123456789_:+-.~ \t<=", *c)) return false;
    }
    return true;
}

static bool is_float12(const char *t)
{
    return is_decimal_float(t, DIGITS) || is_inf_nan(t);
}

/* "<<" and "=" resolve to special tags (merge, value): never a plain string */
static bool is_special11(const char *t)
{
    return strcmp(t, "<<") == 0 || strcmp(t, "=") == 0;
}

typedef struct {
    yp_type type;
    bool (*matches)(const char *text);
} type_rule;

/* The first rule that matches, in the resolver's order (YPT_TIMESTAMP also
 * stands for the special tags: not a plain string). */
static yp_type resolve(const type_rule *rules, size_t n, const char *text)
{
    if (!may_be_typed(text)) return YPT_STR;
    for (size_t i = 0; i < n; i++)
        if (rules[i].matches(text)) return rules[i].type;
    return YPT_STR;
}

yp_type yp_resolve_yaml11(const char *text)
{
    static const type_rule rules[] = {
        { YPT_BOOL, is_bool11 },           { YPT_INT, is_int11 },   { YPT_FLOAT, is_float11 },
        { YPT_NULL, is_null11 },           { YPT_TIMESTAMP, is_timestamp11 },
        { YPT_TIMESTAMP, is_special11 },
    };
    return resolve(rules, COUNT(rules), text);
}

yp_type yp_resolve_yaml12(const char *text)
{
    static const type_rule rules[] = {
        { YPT_NULL, is_null12 }, { YPT_BOOL, is_bool12 }, { YPT_INT, is_int12 },
        { YPT_FLOAT, is_float12 },
    };
    return resolve(rules, COUNT(rules), text);
}

yp_type yp_resolve_portable(const char *text)
{
    static const type_rule rules[] = {
        { YPT_NULL, is_null12 }, { YPT_BOOL, is_bool12 }, { YPT_INT, is_int_portable },
        { YPT_FLOAT, is_float_portable },
    };
    return resolve(rules, COUNT(rules), text);
}

/* A text that some reader's number pattern may take (PyYAML reads ".5_" and
 * "1_.5" as floats, which SnakeYAML and YAML 1.2 leave strings): a sign,
 * digits with '_' and ':', at most one '.', an exponent; or 0x, 0o, 0b and
 * hex digits.  Such a string is
 * quoted: that costs nothing and no reader can disagree. */
static bool number_like(const char *t)
{
    if (!strchr("-+0123456789.", *t) || *t == '\0') return false;
    const char *p = t + (*t == '-' || *t == '+');
    if (p[0] == '0' && p[1] && strchr("xob", p[1]) && p[2]) { /* 0x, 0o, 0b and what may follow */
        for (p += 2; *p; p++)
            if (!strchr("0123456789abcdefABCDEF_", *p)) return false;
        return true;
    }
    int dots = 0, digits = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') digits++;
        else if (*p == '.') { if (++dots > 1) return false; }
        else if (*p == '_' || *p == ':') continue;
        else if ((*p == 'e' || *p == 'E') && digits) {
            p += 1 + (p[1] == '-' || p[1] == '+');
            if (!*p) return false;
            for (; *p; p++)
                if (*p < '0' || *p > '9') return false;
            return true;
        } else return false;
    }
    return digits > 0;
}

/* The type both resolvers agree on, with the same value; YPT_TIMESTAMP stands
 * for "ambiguous" (never written plain as anything but a string... quoted). */
static yp_type portable_type(const char *text)
{
    yp_type t11 = yp_resolve_yaml11(text), t12 = yp_resolve_yaml12(text);
    /* The YAML 1.1 spec also reads y/Y/n/N as booleans (SnakeYAML does not):
     * quoting them costs nothing. */
    if (strchr("yYnN", text[0]) && text[0] && text[1] == '\0') return YPT_TIMESTAMP;
    if (t11 == YPT_STR && t12 == YPT_STR) return number_like(text) ? YPT_TIMESTAMP : YPT_STR;
    yp_type p = yp_resolve_portable(text);
    if (p != YPT_STR && p == t11 && p == t12) return p;
    return YPT_TIMESTAMP;
}

yp_type yp_node_type(const yp_node *node)
{
    if (node->kind != YPN_SCALAR || node->style != YPS_PLAIN || node->has_tag) return YPT_STR;
    return yp_resolve_yaml11(node->value);
}

bool yp_node_is_string_everywhere(const yp_node *node)
{
    if (node->kind != YPN_SCALAR) return false;
    if (node->style != YPS_PLAIN || node->has_tag) return true;
    return portable_type(node->value) == YPT_STR;
}

/* ---- plain-safety ----------------------------------------------------- */

static bool special_unicode(const unsigned char *s)
{
    return (s[0] == 0xC2 && s[1] == 0x85) ||                           /* NEL */
           (s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9)) || /* LS, PS */
           (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF);              /* BOM */
}

bool yp_plain_safe(const char *text, bool in_flow)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text);
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ') return false;
    if (strchr(",[]{}#&*!|>'\"%@`?:", s[0])) return false;
    if (s[0] == '-' && (n == 1 || s[1] == ' ')) return false;
    if (strncmp(text, "---", 3) == 0 || strncmp(text, "...", 3) == 0) return false;
    if (s[n - 1] == ':' || strstr(text, ": ") || strstr(text, " #")) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] == 0x7F) return false;
        if (s[i] >= 0x80 && special_unicode(s + i)) return false;
        if (in_flow && strchr(",[]{}", s[i])) return false;
    }
    return true;
}

/* ---- writing ---------------------------------------------------------- */

static void write_double(yp_buf *b, const char *text)
{
    yp_buf_char(b, '"');
    for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
        char esc[8];
        switch (*s) {
        case '"': yp_buf_str(b, "\\\""); break;
        case '\\': yp_buf_str(b, "\\\\"); break;
        case '\n': yp_buf_str(b, "\\n"); break;
        case '\t': yp_buf_str(b, "\\t"); break;
        case '\r': yp_buf_str(b, "\\r"); break;
        default:
            if (*s < 0x20 || *s == 0x7F) {
                snprintf(esc, sizeof esc, "\\x%02X", *s);
                yp_buf_str(b, esc);
            } else if (*s >= 0x80 && special_unicode(s)) {
                if (s[0] == 0xC2) { yp_buf_str(b, "\\N"); s += 1; }
                else if (s[2] == 0xA8) { yp_buf_str(b, "\\L"); s += 2; }
                else if (s[2] == 0xA9) { yp_buf_str(b, "\\P"); s += 2; }
                else { yp_buf_str(b, "\\uFEFF"); s += 2; }
            } else {
                yp_buf_char(b, (char)*s);
            }
        }
    }
    yp_buf_char(b, '"');
}

static bool single_quotable(const char *text)
{
    for (const unsigned char *s = (const unsigned char *)text; *s; s++)
        if (*s < 0x20 || *s == 0x7F || (*s >= 0x80 && special_unicode(s))) return false;
    return true;
}

static void write_single(yp_buf *b, const char *text)
{
    yp_buf_char(b, '\'');
    for (const char *s = text; *s; s++) {
        if (*s == '\'') yp_buf_char(b, '\'');
        yp_buf_char(b, *s);
    }
    yp_buf_char(b, '\'');
}

/* A literal block keeps a multi-line value readable.  It can't start with a
 * space on its first line (that needs an indentation indicator) nor hold
 * control characters.  Nor end in two line breaks: that needs "|+", which
 * makes every blank line that follows the block part of the value, so the
 * value would change with the lines around it. */
static bool literal_ok(const char *text)
{
    if (text[0] == ' ' || text[0] == '\0' || text[0] == '\n') return false;
    size_t n = strlen(text);
    if (n >= 2 && text[n - 1] == '\n' && text[n - 2] == '\n') return false;
    /* Nor have a line of blanks only: written, it reads as a blank line to
     * editors that trim them and to the splicer, which would insert after
     * the value's last non-blank line, inside the value. */
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > 0 && strspn(line, " \t") >= len) return false;
        if (!end) break;
        line = end + 1;
    }
    for (const unsigned char *s = (const unsigned char *)text; *s; s++)
        if ((*s < 0x20 && *s != '\n') || *s == 0x7F || (*s >= 0x80 && special_unicode(s)))
            return false;
    return true;
}

static void write_literal(yp_buf *b, const char *text, unsigned indent, const char *eol)
{
    size_t n = strlen(text), trailing = 0;
    while (trailing < n && text[n - 1 - trailing] == '\n') trailing++;
    yp_buf_str(b, trailing == 0 ? "|-" : "|");
    const char *line = text, *end = text + n - (trailing ? trailing : 0);
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
        yp_buf_str(b, eol);
        if (len) yp_buf_indent(b, indent);
        yp_buf_add(b, line, len);
        line += len + (nl ? 1 : 0);
        if (!nl) break;
    }
}

static bool bool_word(const char *text, bool *value)
{
    static const char *yes[] = { "true", "yes", "on", "y", "1" };
    static const char *no[] = { "false", "no", "off", "n", "0" };
    for (size_t i = 0; i < COUNT(yes); i++) {
        if (strcasecmp(text, yes[i]) == 0) { *value = true; return true; }
        if (strcasecmp(text, no[i]) == 0) { *value = false; return true; }
    }
    return false;
}

static char *take_or_nomem(yp_buf *b, yp_error *err, char **out)
{
    *out = yp_buf_take(b);
    if (!*out) yp_fail(err, YP_ERR_NOMEM, 0, 0, "out of memory");
    return *out;
}

/* A string, in the style of the node it replaces where the value fits that style. */
static yp_status render_string(const yp_doc *doc, const yp_node *old, const char *text,
                               bool in_flow, unsigned indent, bool may_be_plain, char **out,
                               yp_error *err)
{
    yp_buf b = { 0 };
    yp_style style = old && old->kind == YPN_SCALAR ? old->style : YPS_PLAIN;
    bool multiline = strchr(text, '\n') != NULL;
    if ((style == YPS_LITERAL || style == YPS_FOLDED || (multiline && !in_flow && !old)) &&
        !in_flow && literal_ok(text))
        write_literal(&b, text, indent, doc->eol);
    else if (style == YPS_PLAIN && may_be_plain && yp_plain_safe(text, in_flow) &&
             portable_type(text) == YPT_STR)
        yp_buf_str(&b, text);
    else if (style == YPS_SINGLE && single_quotable(text))
        write_single(&b, text);
    else
        write_double(&b, text);
    return take_or_nomem(&b, err, out) ? YP_OK : YP_ERR_NOMEM;
}

yp_status yp_render_scalar(const yp_doc *doc, const yp_node *old, const char *text,
                           yp_value_type type, bool in_flow, unsigned indent, char **out,
                           yp_error *err)
{
    yp_buf b = { 0 };
    bool value;
    yp_type want = portable_type(text);
    switch (type) {
    case YP_VALUE_STRING:
        return render_string(doc, old, text, in_flow, indent, true, out, err);
    case YP_VALUE_INT:
        if (want != YPT_INT)
            return yp_fail(err, YP_ERR_VALUE, 0, 0, "'%s' is not an integer", text);
        yp_buf_str(&b, text);
        break;
    case YP_VALUE_BOOL:
        if (!bool_word(text, &value))
            return yp_fail(err, YP_ERR_VALUE, 0, 0, "'%s' is not a boolean (true or false)",
                           text);
        yp_buf_str(&b, value ? "true" : "false");
        break;
    case YP_VALUE_NULL:
        yp_buf_str(&b, "null");
        break;
    case YP_VALUE_AUTO: {
        yp_type have = old && old->kind == YPN_SCALAR ? yp_node_type(old) : YPT_NULL;
        if (have == YPT_STR || have == YPT_TIMESTAMP)
            return render_string(doc, old, text, in_flow, indent, true, out, err);
        /* a typed or empty old value: a portable typed text stays plain and typed */
        if (want != YPT_STR && want != YPT_TIMESTAMP && *text) {
            yp_buf_str(&b, text);
            break;
        }
        return render_string(doc, old, text, in_flow, indent, want == YPT_STR, out, err);
    }
    case YP_VALUE_YAML:
        return yp_fail(err, YP_ERR_VALUE, 0, 0, "internal: raw YAML is rendered by edit.c");
    }
    return take_or_nomem(&b, err, out) ? YP_OK : YP_ERR_NOMEM;
}
