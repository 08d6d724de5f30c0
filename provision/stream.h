/*
 * provision/stream: the two stream formats of the Docker Engine API.
 *
 * 1. JSON lines (POST /build, POST /images/{name}/push, /images/create):
 *    one JSON object per line, each ending in "\r\n", arriving in arbitrary
 *    pieces.  The HTTP status is 200 even when the operation FAILS: failure is
 *    a line with "error" / "errorDetail": {"message": ...}.  Other lines:
 *      {"stream": "Step 1/3 : FROM scratch\n"}              build output
 *      {"status": "Pushing", "id": "5f70bf18a086",
 *       "progressDetail": {"current": 512, "total": 1024},
 *       "progress": "[=====>   ]"}                         push/pull progress
 *      {"aux": {"ID": "sha256:..."}}                        build: the image id
 *      {"aux": {"Tag": "1", "Digest": "sha256:...", "Size": 528}}  push: the digest
 *    stream_json collects the error, aux.ID and aux.Digest and hands every
 *    line to an optional callback as a stream_event.
 *
 * 2. Multiplexed frames (exec start, container logs, when there is no TTY):
 *    [type, 0, 0, 0, length as big-endian uint32] + length bytes of payload;
 *    type 0 stdin, 1 stdout, 2 stderr.  Headers and payloads may be split
 *    anywhere across reads.  stream_frames reassembles them; stream_output is
 *    a ready-made sink that keeps stdout, stderr and both interleaved.
 *
 * Nothing here does I/O or prints.
 */
#ifndef PROVISION_STREAM_H
#define PROVISION_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "provision/engine.h"

/* ------------------------------------------------------------------------ */
/* JSON lines                                                               */

/* One line of a JSON-lines stream, as the callback sees it.  Pointers are
 * valid during the callback only; absent fields are NULL / -1. */
typedef struct {
    const char *stream;     /* build output text (may hold several lines) */
    const char *status;     /* push/pull: "Pushing", "Pushed", "Preparing"... */
    const char *id;         /* the layer the status is about */
    const char *progress;   /* human progress bar */
    long long current;      /* progressDetail.current, -1 if absent */
    long long total;        /* progressDetail.total, -1 if absent */
    const char *error;      /* errorDetail.message, or error: this line is a failure */
    const char *aux_id;     /* aux.ID (build) */
    const char *aux_digest; /* aux.Digest (push) */
    const char *warning;    /* not from the daemon: the client's own warning about this
                               operation (e.g. a credential helper that failed) */
} stream_event;

typedef void (*stream_event_fn)(const stream_event *ev, void *ud);

enum { STREAM_LINE_MAX = 1 << 20 }; /* a longer line is a protocol error */

typedef struct {
    char *buf;              /* the incomplete line so far */
    size_t len, cap;
    stream_event_fn on_event; /* may be NULL */
    void *ud;
    /* Results, valid at any time: */
    bool failed;            /* an error line was seen */
    char error[1024];       /* its message (the first error line's) */
    char aux_id[128];       /* the last aux.ID, "" if none */
    char digest[128];       /* the last aux.Digest, "" if none */
    unsigned long lines;    /* JSON lines parsed */
    unsigned long physical; /* lines seen, blank and bad ones included */
    bool skipping;          /* inside an over-long line: dropped up to its end */
    bool bad;               /* a line was not JSON / too long (see bad_message) */
    char bad_message[256];
} stream_json;

/* Start a parser; on_event may be NULL. */
void stream_json_init(stream_json *s, stream_event_fn on_event, void *ud);

/* Feed bytes as they arrive (any split).  Complete lines are parsed at once;
 * blank lines are skipped.  Returns 0, or -1 when a line is not a JSON object
 * or exceeds STREAM_LINE_MAX (s->bad, s->bad_message) or memory ran out.
 * An error line does NOT make this fail: check s->failed. */
int stream_json_feed(stream_json *s, const char *data, size_t len);

/* End of stream: parse a last line without newline.  Same return as feed. */
int stream_json_finish(stream_json *s);

/* The outcome as an error value: ENG_ERR_STREAM with the daemon's message if
 * an error line came, ENG_ERR_PROTOCOL if the stream was garbled, else ENG_OK.
 * `what` prefixes the message ("build", "push 127.0.0.1:5000/x:1"). */
eng_status stream_json_result(const stream_json *s, const char *what, eng_error *err);

/* Free the line buffer (the results stay readable). */
void stream_json_free(stream_json *s);

/* ------------------------------------------------------------------------ */
/* Multiplexed frames                                                       */

enum { STREAM_STDIN = 0, STREAM_STDOUT = 1, STREAM_STDERR = 2 };

/* Receives each payload piece (a frame's payload may come in several calls).
 * Return 0 to go on, non-zero to stop (stream_frames_feed then returns -1). */
typedef int (*stream_frame_fn)(int type, const char *data, size_t len, void *ud);

typedef struct {
    unsigned char hdr[8];
    size_t hdr_have;        /* header bytes collected */
    uint32_t remaining;     /* payload bytes left in the current frame */
    int type;               /* of the current frame */
    stream_frame_fn on_payload;
    void *ud;
    bool bad;               /* a header was not [0-2],0,0,0 */
    char bad_message[128];
    unsigned long frames;   /* headers decoded */
} stream_frames;

/* Start a decoder. */
void stream_frames_init(stream_frames *f, stream_frame_fn on_payload, void *ud);

/* Feed bytes (any split).  Returns 0, or -1 on a malformed header (f->bad)
 * or when the callback asked to stop. */
int stream_frames_feed(stream_frames *f, const char *data, size_t len);

/* End of stream: 0 if it ended between frames; -1 if it stopped inside a
 * header or a payload (f->bad_message says where). */
int stream_frames_finish(stream_frames *f);

/* A sink for stream_frames that keeps what was written, up to `limit` bytes
 * per buffer (older bytes are dropped first so the tail survives; truncated
 * is set).  Buffers are NUL-terminated, never NULL after init. */
typedef struct {
    char *out, *err, *both;  /* stdout, stderr, and both in arrival order */
    size_t out_len, err_len, both_len;
    size_t out_cap, err_cap, both_cap;
    size_t limit;
    bool truncated;
    bool nomem;
} stream_output;

/* Start empty buffers; limit 0 = 16 MiB.  Returns -1 on no memory. */
int stream_output_init(stream_output *o, size_t limit);

/* The stream_frame_fn that appends to a stream_output (ud = the output). */
int stream_output_append(int type, const char *data, size_t len, void *ud);

/* Free the buffers and zero *o. */
void stream_output_free(stream_output *o);

#endif
