/* textutil: see textutil.h. */
#include "entrypoint/textutil.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

bool text_dup_into(char **dst, const char *src, entry_error *err)
{
    char *copy = src ? strdup(src) : NULL;
    if (src && !copy)
        return entry_no_memory(err);
    free(*dst);
    *dst = copy;
    return true;
}

/* Grow an array of `size`-byte items so it holds at least n+1 of them. */
bool text_grow(void **items, size_t n, size_t size, entry_error *err)
{
    if ((n & (n - 1)) != 0 && n != 0)
        return true; /* capacity is the next power of two: room left */
    size_t cap = n ? n * 2 : 4;
    void *p = realloc(*items, cap * size);
    if (!p)
        return entry_no_memory(err);
    *items = p;
    return true;
}

bool text_push(char ***list, size_t *n, const char *text, entry_error *err)
{
    if (!text_grow((void **)list, *n, sizeof **list, err))
        return false;
    char *copy = strdup(text);
    if (!copy)
        return entry_no_memory(err);
    (*list)[(*n)++] = copy;
    return true;
}

void text_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

bool text_has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* Digits only, within [min, max]. */
bool text_parse_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
    if (!*text || strlen(text) > 10)
        return false;
    unsigned long v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* A DNS-style host name: letters, digits, '-', '_' (Docker service names) and
 * dots, not starting with '-' or '.', at most 253 bytes, not all digits and
 * dots (that would be a malformed IPv4 address). */
bool text_valid_hostname(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253 || s[0] == '-' || s[0] == '.')
        return false;
    bool numeric = true;
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
        if (!isdigit((unsigned char)*p) && *p != '.')
            numeric = false;
        if (*p == '.' && p[1] == '.')
            return false;
    }
    return !numeric;
}
