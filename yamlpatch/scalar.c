/*
 * scalar.c: how a value is written so that it reads back as intended.
 *
 * Cassandra reads cassandra.yaml with SnakeYAML, a YAML 1.1 resolver (yes/no/
 * on/off are booleans, 0777 is octal, 1_000 is an int, 12:30 is sexagesimal);
 * other tools read YAML 1.2.  A value is written plain only when both read it
 * as the same type and the same value; otherwise it is quoted.
 */
#include "internal.h"

#include <regex.h>
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

/* ---- resolvers -------------------------------------------------------- */

typedef struct {
    yp_type type;
    const char *pattern;
} type_rule;

/* SnakeYAML's implicit resolvers (org.yaml.snakeyaml.resolver.Resolver). */
static const type_rule yaml11_rules[] = {
    { YPT_BOOL, "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$" },
    { YPT_INT, "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
               "|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$" },
    { YPT_FLOAT, "^([-+]?(\\.[0-9]+|[0-9_]+(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?"
                 "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
                 "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$" },
    { YPT_NULL, "^(~|null|Null|NULL| )?$" },
    { YPT_TIMESTAMP, "^([0-9]{4}-[0-9]{2}-[0-9]{2}"
                     "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
                     "(\\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)$" },
    { YPT_STR, "^(<<|=)$" }, /* merge and value keys: never plain */
};

/* The YAML 1.2 core schema. */
static const type_rule yaml12_rules[] = {
    { YPT_NULL, "^(null|Null|NULL|~)?$" },
    { YPT_BOOL, "^(true|True|TRUE|false|False|FALSE)$" },
    { YPT_INT, "^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$" },
    { YPT_FLOAT, "^([-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
                 "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$" },
};

/* Forms that both read as the same value. */
static const type_rule portable_rules[] = {
    { YPT_NULL, "^(null|Null|NULL|~)?$" },
    { YPT_BOOL, "^(true|True|TRUE|false|False|FALSE)$" },
    { YPT_INT, "^([-+]?(0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$" },
    { YPT_FLOAT, "^([-+]?[0-9]+\\.[0-9]+|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$" },
};

static bool matches(const char *pattern, const char *text)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) return false;
    bool hit = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return hit;
}

/* Every typed form (null, bool, int, float, timestamp, merge, value) starts with
 * one of these, in both schemas: anything else is a string without asking the
 * regular expressions, which cost a compile each. */
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

static yp_type resolve(const type_rule *rules, size_t n, const char *text, yp_type otherwise)
{
    if (!may_be_typed(text)) return otherwise;
    for (size_t i = 0; i < n; i++)
        if (matches(rules[i].pattern, text)) return rules[i].type;
    return otherwise;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

yp_type yp_resolve_yaml11(const char *text)
{
    yp_type t = resolve(yaml11_rules, COUNT(yaml11_rules), text, YPT_STR);
    /* "<<" and "=" resolve to special tags: report them as not-a-plain-string */
    if (t == YPT_STR && (strcmp(text, "<<") == 0 || strcmp(text, "=") == 0)) return YPT_TIMESTAMP;
    return t;
}

yp_type yp_resolve_yaml12(const char *text)
{
    return resolve(yaml12_rules, COUNT(yaml12_rules), text, YPT_STR);
}

/* The type both resolvers agree on, with the same value; YPT_TIMESTAMP stands
 * for "ambiguous" (never written plain as anything but a string... quoted). */
static yp_type portable_type(const char *text)
{
    yp_type t11 = yp_resolve_yaml11(text), t12 = yp_resolve_yaml12(text);
    /* The YAML 1.1 spec also reads y/Y/n/N as booleans (SnakeYAML does not):
     * quoting them costs nothing. */
    if (strchr("yYnN", text[0]) && text[0] && text[1] == '\0') return YPT_TIMESTAMP;
    if (t11 == YPT_STR && t12 == YPT_STR) return YPT_STR;
    yp_type p = resolve(portable_rules, COUNT(portable_rules), text, YPT_STR);
    if (p != YPT_STR && p == t11 && p == t12) return p;
    return YPT_TIMESTAMP;
}

yp_type yp_node_type(const yp_node *node)
{
    if (node->kind != YPN_SCALAR || node->style != YPS_PLAIN || node->has_tag) return YPT_STR;
    return yp_resolve_yaml11(node->value);
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
 * control characters. */
static bool literal_ok(const char *text)
{
    if (text[0] == ' ' || text[0] == '\0' || text[0] == '\n') return false;
    for (const unsigned char *s = (const unsigned char *)text; *s; s++)
        if ((*s < 0x20 && *s != '\n') || *s == 0x7F || (*s >= 0x80 && special_unicode(s)))
            return false;
    return true;
}

static void write_literal(yp_buf *b, const char *text, unsigned indent, const char *eol)
{
    size_t n = strlen(text), trailing = 0;
    while (trailing < n && text[n - 1 - trailing] == '\n') trailing++;
    yp_buf_str(b, trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+");
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
    /* |+ keeps the extra trailing newlines as empty lines */
    for (size_t i = 1; i < trailing; i++) yp_buf_str(b, eol);
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
