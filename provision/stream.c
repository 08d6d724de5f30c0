/*
 * provision/stream: JSON-lines progress streams and multiplexed exec/log
 * frames.  See stream.h.
 */
#include "provision/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ------------------------------------------------------------------------ */
/* JSON lines                                                               */

void stream_json_init(stream_json *s, stream_event_fn on_event, void *ud)
{
    memset(s, 0, sizeof *s);
    s->on_event = on_event;
    s->ud = ud;
}

void stream_json_free(stream_json *s)
{
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
}

static const char *str_field(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static long long num_field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static int bad_line(stream_json *s, const char *why)
{
    if (!s->bad) {
        s->bad = true;
        snprintf(s->bad_message, sizeof s->bad_message, "line %lu of the stream: %s",
                 s->physical, why);
    }
    return -1;
}

/* One complete line (without its line end). */
static int parse_line(stream_json *s, const char *line, size_t len)
{
    s->physical++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    while (len && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    if (len == 0)
        return 0;
    json_error_t jerr;
    json_t *j = json_loadb(line, len, 0, &jerr);
    if (!j)
        return bad_line(s, "not JSON");
    if (!json_is_object(j)) {
        json_decref(j);
        return bad_line(s, "not a JSON object");
    }
    s->lines++;

    stream_event ev = {.current = -1, .total = -1};
    ev.stream = str_field(j, "stream");
    ev.status = str_field(j, "status");
    ev.id = str_field(j, "id");
    ev.progress = str_field(j, "progress");
    json_t *pd = json_object_get(j, "progressDetail");
    if (json_is_object(pd)) {
        ev.current = num_field(pd, "current");
        ev.total = num_field(pd, "total");
    }
    /* errorDetail.message is the documented field; "error" is the older
     * duplicate.  Either alone means failure. */
    json_t *ed = json_object_get(j, "errorDetail");
    const char *msg = json_is_object(ed) ? str_field(ed, "message") : NULL;
    if (!msg)
        msg = str_field(j, "error");
    if (!msg && (json_object_get(j, "error") || json_is_object(ed)))
        msg = "the daemon reported an error without a message";
    ev.error = msg;
    json_t *aux = json_object_get(j, "aux");
    if (json_is_object(aux)) {
        ev.aux_id = str_field(aux, "ID");
        ev.aux_digest = str_field(aux, "Digest");
    }

    if (ev.error && !s->failed) {
        s->failed = true;
        snprintf(s->error, sizeof s->error, "%s", ev.error);
        /* Messages end in newlines at times; the error is one line. */
        for (char *p = s->error; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        size_t el = strlen(s->error);
        while (el && s->error[el - 1] == ' ')
            s->error[--el] = '\0';
    }
    if (ev.aux_id)
        snprintf(s->aux_id, sizeof s->aux_id, "%s", ev.aux_id);
    if (ev.aux_digest)
        snprintf(s->digest, sizeof s->digest, "%s", ev.aux_digest);
    if (s->on_event)
        s->on_event(&ev, s->ud);
    json_decref(j);
    return 0;
}

int stream_json_feed(stream_json *s, const char *data, size_t len)
{
    int rc = 0;
    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        if (s->skipping) {
            /* The rest of a line already reported as too long. */
            if (nl)
                s->skipping = false;
        } else if (s->len == 0 && nl && take <= STREAM_LINE_MAX) {
            /* A whole line in the input: no copy. */
            if (parse_line(s, data, take) != 0)
                rc = -1;
        } else {
            if (s->len + take > STREAM_LINE_MAX) {
                s->physical++;
                bad_line(s, "longer than 1 MiB");
                s->len = 0;
                s->skipping = nl == NULL;
                rc = -1;
                if (!nl)
                    break;
                data = nl + 1;
                len -= take + 1;
                continue;
            }
            if (s->len + take + 1 > s->cap) {
                size_t cap = s->cap ? s->cap : 1024;
                while (cap < s->len + take + 1)
                    cap *= 2;
                char *nb = realloc(s->buf, cap);
                if (!nb)
                    return bad_line(s, "out of memory");
                s->buf = nb;
                s->cap = cap;
            }
            memcpy(s->buf + s->len, data, take);
            s->len += take;
            if (nl) {
                if (parse_line(s, s->buf, s->len) != 0)
                    rc = -1;
                s->len = 0;
            }
        }
        if (!nl)
            break;
        data = nl + 1;
        len -= take + 1;
    }
    return rc;
}

int stream_json_finish(stream_json *s)
{
    int rc = 0;
    if (s->len) {
        rc = parse_line(s, s->buf, s->len);
        s->len = 0;
    }
    return rc;
}

eng_status stream_json_result(const stream_json *s, const char *what, eng_error *err)
{
    if (s->failed)
        return eng_fail(err, ENG_ERR_STREAM, "%s: %s", what, s->error);
    if (s->bad)
        return eng_fail(err, ENG_ERR_PROTOCOL, "%s: %s", what, s->bad_message);
    return ENG_OK;
}

/* ------------------------------------------------------------------------ */
/* Frames                                                                   */

void stream_frames_init(stream_frames *f, stream_frame_fn on_payload, void *ud)
{
    memset(f, 0, sizeof *f);
    f->on_payload = on_payload;
    f->ud = ud;
}

int stream_frames_feed(stream_frames *f, const char *data, size_t len)
{
    if (f->bad)
        return -1;
    while (len) {
        if (f->remaining == 0) {
            size_t take = sizeof f->hdr - f->hdr_have;
            if (take > len)
                take = len;
            memcpy(f->hdr + f->hdr_have, data, take);
            f->hdr_have += take;
            data += take;
            len -= take;
            if (f->hdr_have < sizeof f->hdr)
                break;
            f->hdr_have = 0;
            if (f->hdr[0] > STREAM_STDERR || f->hdr[1] || f->hdr[2] || f->hdr[3]) {
                f->bad = true;
                snprintf(f->bad_message, sizeof f->bad_message,
                         "frame %lu: header %02x %02x %02x %02x is not [0-2] 0 0 0 "
                         "(a TTY stream?)",
                         f->frames + 1, f->hdr[0], f->hdr[1], f->hdr[2], f->hdr[3]);
                return -1;
            }
            f->frames++;
            f->type = f->hdr[0];
            f->remaining = (uint32_t)f->hdr[4] << 24 | (uint32_t)f->hdr[5] << 16 |
                           (uint32_t)f->hdr[6] << 8 | f->hdr[7];
            continue; /* an empty frame is legal */
        }
        size_t take = f->remaining < len ? f->remaining : len;
        if (f->on_payload && f->on_payload(f->type, data, take, f->ud) != 0)
            return -1;
        f->remaining -= (uint32_t)take;
        data += take;
        len -= take;
    }
    return 0;
}

int stream_frames_finish(stream_frames *f)
{
    if (f->bad)
        return -1;
    if (f->hdr_have) {
        snprintf(f->bad_message, sizeof f->bad_message,
                 "stream ended inside a frame header (%zu of 8 bytes)", f->hdr_have);
        f->bad = true;
        return -1;
    }
    if (f->remaining) {
        snprintf(f->bad_message, sizeof f->bad_message,
                 "stream ended %lu bytes short of the end of frame %lu",
                 (unsigned long)f->remaining, f->frames);
        f->bad = true;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Output sink                                                              */

enum { DEFAULT_LIMIT = 16 << 20 };

int stream_output_init(stream_output *o, size_t limit)
{
    memset(o, 0, sizeof *o);
    o->limit = limit ? limit : DEFAULT_LIMIT;
    o->out = calloc(1, 1);
    o->err = calloc(1, 1);
    o->both = calloc(1, 1);
    o->out_cap = o->err_cap = o->both_cap = 1;
    if (!o->out || !o->err || !o->both) {
        stream_output_free(o);
        return -1;
    }
    return 0;
}

/* Append to one buffer; keep the last `limit` bytes. */
static int append(stream_output *o, char **buf, size_t *len, size_t *cap, const char *data,
                  size_t n)
{
    if (n >= o->limit) {
        data += n - o->limit;
        n = o->limit;
        *len = 0;
        o->truncated = true;
    } else if (*len + n > o->limit) {
        size_t drop = *len + n - o->limit;
        memmove(*buf, *buf + drop, *len - drop);
        *len -= drop;
        o->truncated = true;
    }
    if (*len + n + 1 > *cap) {
        size_t c = *cap < 256 ? 256 : *cap;
        while (c < *len + n + 1)
            c *= 2;
        char *nb = realloc(*buf, c);
        if (!nb) {
            o->nomem = true;
            return -1;
        }
        *buf = nb;
        *cap = c;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

int stream_output_append(int type, const char *data, size_t len, void *ud)
{
    stream_output *o = ud;
    int rc = 0;
    if (type == STREAM_STDERR)
        rc |= append(o, &o->err, &o->err_len, &o->err_cap, data, len);
    else
        rc |= append(o, &o->out, &o->out_len, &o->out_cap, data, len);
    rc |= append(o, &o->both, &o->both_len, &o->both_cap, data, len);
    return rc;
}

void stream_output_free(stream_output *o)
{
    free(o->out);
    free(o->err);
    free(o->both);
    memset(o, 0, sizeof *o);
}
