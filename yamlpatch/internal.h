/*
 * What the yamlpatch modules share and nothing outside the library sees: the
 * node index (doc.c), paths (path.c), scalar rules (scalar.c), edits (edit.c)
 * and the verification of a spliced result (verify.c).
 */
#ifndef YAMLPATCH_INTERNAL_H
#define YAMLPATCH_INTERNAL_H

#include "yamlpatch/yamlpatch.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define YP_NONE ((size_t)-1)

typedef enum { YPN_SCALAR, YPN_MAP, YPN_SEQ, YPN_ALIAS } yp_kind;

/* Scalar styles, as libyaml names them. */
typedef enum { YPS_PLAIN, YPS_SINGLE, YPS_DOUBLE, YPS_LITERAL, YPS_FOLDED } yp_style;

typedef struct {
    yp_kind kind;
    yp_style style;       /* scalars */
    bool flow;            /* collections written with {} or [] */
    bool has_tag;
    bool aliased;         /* carries an anchor that some alias refers to */
    size_t start, end;    /* byte span in the document; for block collections the
                             end is the end of the last child's content.  A scalar's
                             span starts after its anchor and tag */
    size_t prop_start;    /* where the node's anchor/tag start (= start without) */
    unsigned long line;   /* 0-based line and character column of start */
    unsigned long col;
    char *value;          /* decoded scalar text (NUL-terminated) */
    size_t value_len;
    char *anchor;         /* anchor name, or alias target for YPN_ALIAS */
    size_t parent;        /* YP_NONE for a document root */
    size_t slot;          /* its index in the parent's kids (for a map: even = key) */
    size_t *kids;         /* map: key, value, key, value ...; seq: items */
    size_t n_kids;
    size_t document;
} yp_node;

struct yp_doc {
    char *bytes;
    size_t len;
    bool allow_duplicates;
    yp_node *nodes;
    size_t n_nodes;
    size_t *roots;        /* root node of each document (YP_NONE when empty) */
    size_t *doc_ends;     /* byte offset where each document's content ends */
    size_t n_docs;
    size_t current;       /* the document paths address */
    const char *eol;      /* "\n" or "\r\n", as the file writes it */
    unsigned map_indent;  /* indentation of a nested mapping under its key */
    int seq_indent;       /* column of a block sequence's '-' relative to its key */
    size_t format_from[3]; /* where those were learned (the nodes that showed the
                              indentations, the first line break); YP_NONE if
                              not from the file: an edit there can change them */
};

/* ---- errors ---------------------------------------------------------- */
yp_status yp_fail(yp_error *err, yp_status code, unsigned long line, unsigned long col,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- doc.c ----------------------------------------------------------- */
/* Parse bytes (taking ownership of the malloc'd buffer) into a fresh index. */
yp_doc *yp_index_build(char *bytes, size_t len, bool allow_duplicates, yp_error *err);
/* Line and column of a byte offset, 0-based, column in characters. */
void yp_position(const yp_doc *doc, size_t offset, unsigned long *line, unsigned long *col);
size_t yp_line_start(const yp_doc *doc, size_t offset);
/* Offset just past the newline ending the line that holds `offset` (or len). */
size_t yp_line_end(const yp_doc *doc, size_t offset);
/* The end of the content before `end`, back to `floor`: past blanks, line
 * breaks and comments. */
size_t yp_content_end(const yp_doc *doc, size_t floor, size_t end);

/* ---- path.c ---------------------------------------------------------- */
typedef enum { YPP_KEY, YPP_INDEX, YPP_MATCH } yp_seg_kind;
typedef struct {
    yp_seg_kind kind;
    char *key;            /* KEY, or the key of MATCH */
    char *match;          /* MATCH value */
    long index;           /* INDEX (negative counts from the end) */
} yp_segment;

typedef struct {
    yp_segment *segs;
    size_t n;
} yp_path;

yp_status yp_path_parse(const char *text, yp_path *out, yp_error *err);
void yp_path_free(yp_path *path);
/* Write segments [0, n) back as text (for messages); returns a malloc'd string. */
char *yp_path_format(const yp_path *path, size_t n);

/* Walk `path` in the selected document.  Sets *found to the deepest node that
 * exists and *depth to the number of segments matched.  Returns YP_OK when the
 * whole path exists, YP_ERR_NOT_FOUND when a segment is missing (with *found and
 * *depth describing where the walk stopped), other codes for misuse. */
yp_status yp_path_walk(const yp_doc *doc, const yp_path *path, size_t *found, size_t *depth,
                       yp_error *err);
/* For a map, the value node of `key`, or YP_NONE. */
size_t yp_map_lookup(const yp_doc *doc, size_t map, const char *key);

/* ---- scalar.c -------------------------------------------------------- */
typedef enum { YPT_NULL, YPT_BOOL, YPT_INT, YPT_FLOAT, YPT_TIMESTAMP, YPT_STR } yp_type;

yp_type yp_resolve_yaml11(const char *text); /* as SnakeYAML (Cassandra) reads a plain scalar */
yp_type yp_resolve_yaml12(const char *text); /* the YAML 1.2 core schema */
/* The typed forms that read as the same value under both (null, bool, int,
 * float; YPT_STR otherwise). */
yp_type yp_resolve_portable(const char *text);
/* The type a scalar node holds (quoted and block scalars are strings). */
yp_type yp_node_type(const yp_node *node);
/* Whether a scalar node reads as a string under every YAML reader (SnakeYAML,
 * YAML 1.1's y/n, the 1.2 core schema): what a STRING value written plain must be. */
bool yp_node_is_string_everywhere(const yp_node *node);
/* Whether text may be written as a plain scalar and read back as the same text. */
bool yp_plain_safe(const char *text, bool in_flow);

/* Render a scalar for the position of `old` (NULL for a new value).  Returns a
 * malloc'd string in *out.  *decoded gets the value a parser will read back. */
yp_status yp_render_scalar(const yp_doc *doc, const yp_node *old, const char *text,
                           yp_value_type type, bool in_flow, unsigned indent, char **out,
                           yp_error *err);

/* ---- a growable byte buffer (scalar.c) --------------------------------- */
typedef struct {
    char *data;
    size_t len, cap;
    bool failed;          /* an allocation failed; data is unusable */
} yp_buf;
void yp_buf_add(yp_buf *b, const char *s, size_t n);
void yp_buf_str(yp_buf *b, const char *s);
void yp_buf_char(yp_buf *b, char c);
void yp_buf_indent(yp_buf *b, unsigned n);
char *yp_buf_take(yp_buf *b);   /* NUL-terminated, or NULL if an allocation failed */

/* ---- verify.c -------------------------------------------------------- */
/* A splice: bytes [start, end) of the old document replaced by `text`. */
typedef struct {
    size_t start, end;
    const char *text;
    size_t text_len;
} yp_splice;

/* Check that every scalar of `before` outside the splices (sorted by start,
 * not overlapping) is in `after`, with the same value, style, path and
 * position (shifted by the growth of the splices before it). */
yp_status yp_verify_unchanged(const yp_doc *before, const yp_doc *after, const yp_splice *sps,
                              size_t n, yp_error *err);

char *yp_strndup(const char *s, size_t n);

#endif
