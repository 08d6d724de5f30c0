/*
 * cql/split: a .cql file into statements, as cqlsh reads one.
 *
 * A ';' ends a statement except inside a '...' string (with '' for a quote),
 * a "..." identifier, a $$...$$ string, a comment (-- or // to the end of the
 * line, or a slash-star block comment), or a BEGIN [UNLOGGED | COUNTER] BATCH ... APPLY BATCH
 * block, whose inner statements stay in it.  Statements that hold only
 * comments and blanks are dropped; the text after the last ';' is one more
 * statement when it holds anything else.  Each statement keeps the line and
 * column where it starts, for error messages.
 */
#ifndef CQL_SPLIT_H
#define CQL_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *text;       /* the statement without its ';', blanks trimmed */
    unsigned line;    /* 1-based, where its first character is */
    unsigned column;
} cql_statement;

typedef struct {
    cql_statement *items;
    size_t n;
} cql_script;

typedef struct {
    unsigned line, column; /* where the unterminated string, comment or batch began */
    char message[128];
} cql_split_error;

/* Split len bytes of text.  False on an unterminated string, identifier,
 * comment or batch (err says which and where) or out of memory (line 0). */
bool cql_split(const char *text, size_t len, cql_script *out, cql_split_error *err);
void cql_script_free(cql_script *s);

#endif
