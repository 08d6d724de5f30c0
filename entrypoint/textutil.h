/*
 * textutil: the small string and array helpers the settings modules share
 * (settings, cmdline, envfile, seeds, variables).  Every function that can
 * run out of memory reports it through an entry_error (EX_OSERR) and
 * returns false.
 */
#ifndef ENTRYPOINT_TEXTUTIL_H
#define ENTRYPOINT_TEXTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "entrypoint/error.h"

/* *dst = a copy of src (NULL stays NULL), freeing the old *dst. */
bool text_dup_into(char **dst, const char *src, entry_error *err);

/* Grow an array of `size`-byte items so it holds at least n+1 of them (the
 * capacity is kept at the next power of two, so most calls do nothing). */
bool text_grow(void **items, size_t n, size_t size, entry_error *err);

/* Append a copy of text to a list of *n strings. */
bool text_push(char ***list, size_t *n, const char *text, entry_error *err);

/* Free a list of n strings and the list. */
void text_free_list(char **list, size_t n);

/* True when s holds a control character (below 0x20, or 0x7f). */
bool text_has_control(const char *s);

/* Digits only (at most 10), within [min, max]. */
bool text_parse_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out);

/* A DNS-style host name: letters, digits, '-', '_' (Docker service names) and
 * dots, not starting with '-' or '.', at most 253 bytes, not all digits and
 * dots (that would be a malformed IPv4 address). */
bool text_valid_hostname(const char *s);

#endif
