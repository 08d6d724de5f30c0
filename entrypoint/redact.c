/* entrypoint/redact.c: see redact.h. */
#include "entrypoint/redact.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool contains_ci(const char *hay, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (strncasecmp(hay + i, needle, nl) == 0)
            return true;
    return false;
}

/* One key of len bytes. */
static bool key_looks_secret(const char *p, size_t len)
{
    static const char *const words[] = {"password", "passwd", "secret", "credential",
                                        "private_key"};
    for (size_t w = 0; w < sizeof words / sizeof *words; w++)
        if (contains_ci(p, len, words[w]))
            return true;
    /* *_token (e.g. an API token) but not initial_token; num_tokens ends in "s". */
    return (len == 5 && strncasecmp(p, "token", 5) == 0) ||
           (len > 6 && strncasecmp(p + len - 6, "_token", 6) == 0 &&
            !(len == 13 && strncasecmp(p, "initial_token", 13) == 0));
}

bool redact_key_looks_secret(const char *path)
{
    /* Each key of the path on its own, so "_token" is judged per key. */
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, ".[]\"=");
        if (key_looks_secret(p, len))
            return true;
        p += len;
        if (*p)
            p++;
    }
    return false;
}

bool redact_add(redact_list *l, const char *value)
{
    if (!value || strlen(value) < REDACT_MIN_LEN)
        return true;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->values[i], value) == 0)
            return true;
    char **grown = realloc(l->values, (l->n + 1) * sizeof *grown);
    if (!grown)
        return false;
    l->values = grown;
    if (!(l->values[l->n] = strdup(value)))
        return false;
    l->n++;
    return true;
}

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

/* The next `key: value` with a secret-looking key in text from *pos: the
 * value's span [*start, *end) (quotes excluded).  False when there is none. */
static bool next_secret_value(const char *text, size_t *pos, size_t *start, size_t *end)
{
    for (size_t i = *pos; text[i]; i++) {
        if (!is_key_char(text[i]) || (i > 0 && is_key_char(text[i - 1])))
            continue;
        /* A key starts a line or follows a blank, '{', ',', a diff or list
         * mark or a quote; "/etc/passwd: no such user" names a file. */
        if (i > 0 && !strchr(" \t\n{,+-\"'", text[i - 1]))
            continue;
        size_t k = i;
        while (is_key_char(text[k]))
            k++;
        size_t key_end = k;
        if (text[k] == '"' || text[k] == '\'')  /* a quoted key: "keystore_password": */
            k++;
        while (text[k] == ' ')
            k++;
        if (text[k] != ':' || (text[k + 1] != ' ' && text[k + 1] != '\t') ||
            !key_looks_secret(text + i, key_end - i)) {
            i = key_end - 1 > i ? key_end - 1 : i;
            continue;
        }
        k++;
        while (text[k] == ' ' || text[k] == '\t')
            k++;
        size_t s = k, e;
        if (text[k] == '"' || text[k] == '\'') {
            char q = text[k];
            s = ++k;
            while (text[k] && text[k] != q && text[k] != '\n')
                k += text[k] == '\\' && q == '"' && text[k + 1] ? 2 : 1;
            e = k;
        } else {
            e = k + strcspn(text + k, ",}]\n#");
            while (e > s && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\r'))
                e--;
        }
        *pos = e;
        if (e == s)
            continue;
        *start = s;
        *end = e;
        return true;
    }
    return false;
}

bool redact_add_from_yaml(redact_list *l, const char *text)
{
    size_t pos = 0, s, e;
    while (text && next_secret_value(text, &pos, &s, &e)) {
        char *v = strndup(text + s, e - s);
        bool ok = v && redact_add(l, v);
        free(v);
        if (!ok)
            return false;
    }
    return true;
}

/* Replace [s, e) of *text by ***; false: out of memory. */
static bool splice_stars(char **text, size_t s, size_t e)
{
    size_t len = strlen(*text);
    char *next = malloc(len - (e - s) + 4);
    if (!next)
        return false;
    memcpy(next, *text, s);
    memcpy(next + s, "***", 3);
    memcpy(next + s + 3, *text + e, len - e + 1);
    free(*text);
    *text = next;
    return true;
}

char *redact_apply(const redact_list *l, const char *text)
{
    char *out = strdup(text ? text : "");
    size_t pos = 0, s, e;
    while (out && next_secret_value(out, &pos, &s, &e)) {
        if (e - s == 3 && strncmp(out + s, "***", 3) == 0)
            continue;
        if (!splice_stars(&out, s, e)) {
            free(out);
            return NULL;
        }
        pos = s + 3;
    }
    for (size_t i = 0; out && l && i < l->n; i++) {
        size_t vl = strlen(l->values[i]);
        char *hit;
        size_t from = 0;
        while (out && (hit = strstr(out + from, l->values[i]))) {
            size_t at = (size_t)(hit - out);
            if (!splice_stars(&out, at, at + vl)) {
                free(out);
                return NULL;
            }
            from = at + 3;
        }
    }
    return out;
}

void redact_free(redact_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->values[i]);
    free(l->values);
    l->values = NULL;
    l->n = 0;
}
