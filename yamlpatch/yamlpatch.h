/*
 * yamlpatch: structure-aware, byte-exact editing of YAML documents.
 *
 * A document is loaded from a buffer, parsed with libyaml into an index of
 * nodes that carry BYTE spans into the original text, and edited by splicing
 * new text into those bytes.  Everything outside the edited span stays
 * byte-for-byte: comments, blank lines, quoting, indentation, line endings.
 *
 * Every edit is verified before it is accepted: the result is parsed again,
 * the edited node must hold the intended value, and every other scalar must be
 * unchanged in value, style, path and position (shifted by the edit's size when
 * it lies after the edit).  On a mismatch the document is left as it was and
 * YP_ERR_VERIFY is returned: an edit never produces a corrupt document.
 *
 * The library does no I/O: callers hand it bytes and take bytes back
 * (see yp_file.h for reading and atomic writing).
 *
 * Paths:  a.b   a[0]   a[-1]   a."b.c"   seq[name=value]   (root: "" or ".")
 * Keys that contain '.', '[', ']', '=' or '"' are written quoted: a."b.c".
 */
#ifndef YAMLPATCH_YAMLPATCH_H
#define YAMLPATCH_YAMLPATCH_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    YP_OK = 0,
    YP_ERR_NOMEM,     /* out of memory */
    YP_ERR_PARSE,     /* the document is not valid YAML (line/column set) */
    YP_ERR_PATH,      /* the path expression itself is malformed */
    YP_ERR_NOT_FOUND, /* the path names nothing in the document */
    YP_ERR_TYPE,      /* the node can't take the operation (e.g. index into a map) */
    YP_ERR_VALUE,     /* the new value is invalid (bad raw YAML, not an int...) */
    YP_ERR_ALIAS,     /* the edit touches an anchored node that an alias refers to */
    YP_ERR_DUPLICATE, /* the document has a duplicate mapping key */
    YP_ERR_VERIFY,    /* the spliced result did not re-parse to what was intended */
    YP_ERR_IO         /* reading or writing a file failed (yp_file.h) */
} yp_status;

/* What went wrong, for the caller to print once.  line/column are 1-based and
 * 0 when the error has no position in the document. */
typedef struct {
    yp_status code;
    unsigned long line;
    unsigned long column;
    char message[320];
} yp_error;

/* How a value given as text is to be written. */
typedef enum {
    YP_VALUE_AUTO = 0, /* replacing a string (plain or quoted): a string, quoted when
                          plain would read as something else.  Replacing a typed value
                          (int, bool, float, null) or adding a key: a text that reads as
                          the same typed value under YAML 1.1 and 1.2 is written plain
                          (16 stays an int), anything else as a string */
    YP_VALUE_STRING,   /* always a string: quoted when plain would read otherwise */
    YP_VALUE_INT,      /* must be a YAML integer; written plain */
    YP_VALUE_BOOL,     /* true/false (also accepts yes/no/on/off); written plain */
    YP_VALUE_NULL,     /* the text is ignored; written as null (or empty after 'key:') */
    YP_VALUE_YAML      /* the text is YAML (scalar, flow or block collection) */
} yp_value_type;

/* Options for yp_set. */
enum {
    YP_SET_UNCOMMENT = 1u << 0, /* a missing key with a commented-out template line
                                  ("# key: example") in its parent's range replaces
                                  that line instead of being appended */
    YP_SET_EXISTING = 1u << 1   /* never add a key: when it is missing (and, with
                                  YP_SET_UNCOMMENT, has no template line either)
                                  the edit is skipped (yp_apply) and yp_set
                                  returns YP_ERR_NOT_FOUND, changing nothing */
};

typedef struct yp_doc yp_doc;

/* Parse `len` bytes (copied; the caller keeps its buffer).  Accepts LF and CRLF,
 * a UTF-8 BOM, files without a final newline and several documents ('---').
 * Duplicate keys are an error unless allow_duplicates is true.
 * On failure returns NULL and fills *err. */
yp_doc *yp_doc_load(const char *bytes, size_t len, bool allow_duplicates, yp_error *err);
void yp_doc_free(yp_doc *doc);

/* The current bytes of the document (after any successful edits).  Valid until
 * the next edit or yp_doc_free. */
const char *yp_doc_bytes(const yp_doc *doc, size_t *len);

/* Number of documents in the stream, and the one that paths address (default 0). */
size_t yp_doc_count(const yp_doc *doc);
yp_status yp_doc_select(yp_doc *doc, size_t index, yp_error *err);

/* The value at `path`: the decoded text of a scalar (NULL-safe "" for an empty
 * value), or the original text of a collection.  *out is malloc'd.
 * *is_scalar (optional) tells which of the two it is. */
yp_status yp_get(const yp_doc *doc, const char *path, char **out, bool *is_scalar,
                 yp_error *err);

/* Set `path` to `value`.  Missing mapping keys along the path are created at the
 * end of their parent mapping with the file's indentation and line endings (or
 * replace a commented-out template line with YP_SET_UNCOMMENT).  Setting a node
 * to the value it already has changes nothing. */
yp_status yp_set(yp_doc *doc, const char *path, const char *value, yp_value_type type,
                 unsigned flags, yp_error *err);

/* Remove the mapping entry or sequence item at `path`, with its whole lines;
 * the comments that belong to what follows stay. */
yp_status yp_delete(yp_doc *doc, const char *path, yp_error *err);

/* One edit of a batch (yp_apply). */
typedef struct {
    const char *path;
    const char *value;     /* set: the new value; ignored by a delete */
    yp_value_type type;
    unsigned flags;        /* YP_SET_* */
    bool remove;           /* delete the node at path instead of setting it */
} yp_edit;

/* Apply the edits in order, all or nothing: on any error the document is left
 * exactly as it was.  Edits whose splices touch disjoint bytes are applied and
 * verified in one pass (one re-parse), so many edits cost little more than
 * one; an edit that depends on an earlier one (a key created by it, a shifted
 * sequence index) is planned again after that one is applied. */
yp_status yp_apply(yp_doc *doc, const yp_edit *edits, size_t n, yp_error *err);

/* A short name of the status, e.g. "not found". */
const char *yp_status_name(yp_status status);

#endif
