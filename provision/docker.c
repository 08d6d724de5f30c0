/*
 * provision/docker: typed Docker Engine API operations.  See docker.h.
 *
 * Every function builds its request JSON with jansson, sends it through
 * eng_request, and copies what callers need out of the answer into plain C
 * structs, so the rest of the provisioner never walks JSON.
 */
#include "provision/docker.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provision/buildctx.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

bool docker_not_found(const eng_error *err)
{
    return err && err->code == ENG_ERR_HTTP && err->http_status == 404;
}

bool docker_conflict(const eng_error *err)
{
    return err && err->code == ENG_ERR_HTTP && err->http_status == 409;
}

/* Put "what: " in front of the message of a failure; st passes through. */
static eng_status wrap(eng_error *err, eng_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static eng_status wrap(eng_error *err, eng_status st, const char *fmt, ...)
{
    if (st == ENG_OK || !err)
        return st;
    char prefix[300], old[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    /* Long messages are cut at the end: the prefix says what failed. */
    if (snprintf(err->message, sizeof err->message, "%s: %s", prefix, old) < 0)
        memcpy(err->message, old, sizeof old);
    return st;
}

static eng_status nomem(eng_error *err) { return eng_fail(err, ENG_ERR_NOMEM, "out of memory"); }

static void copy(char *dst, size_t n, const char *src)
{
    if (n)
        snprintf(dst, n, "%s", src ? src : "");
}

/* A name or id for a URL path: keep what references are made of, escape
 * anything else (names come from users). */
static char *path_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~:@/", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* printf into a malloc'd string; "%P" is not a thing, so callers escape first. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, f);
    int n = vasprintf(&s, f, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

/* "/prefix/<escaped name>/suffix" */
static char *obj_path(const char *prefix, const char *name, const char *suffix)
{
    char *e = path_escape(name);
    if (!e)
        return NULL;
    char *p = fmt("%s/%s%s", prefix, e, suffix ? suffix : "");
    free(e);
    return p;
}

/* Walk "A.B.C" through nested objects. */
static json_t *jget(json_t *j, const char *dotted)
{
    char key[128];
    while (j && *dotted) {
        size_t n = strcspn(dotted, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, dotted, n);
        key[n] = '\0';
        j = json_object_get(j, key);
        dotted += n + (dotted[n] == '.');
    }
    return j;
}

static const char *jstr(json_t *j, const char *dotted)
{
    return json_string_value(jget(j, dotted));
}

static void jcopy(char *dst, size_t n, json_t *j, const char *dotted)
{
    copy(dst, n, jstr(j, dotted));
}

static long long jint(json_t *j, const char *dotted)
{
    json_t *v = jget(j, dotted);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static bool jbool(json_t *j, const char *dotted) { return json_is_true(jget(j, dotted)); }

/* NULL-terminated list -> JSON array of strings. */
static json_t *jarray(const char *const *list)
{
    json_t *a = json_array();
    for (const char *const *p = list; a && p && *p; p++)
        if (json_array_append_new(a, json_string(*p)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* "key=value" list -> JSON object ("key" alone -> ""). */
static json_t *jkv(const char *const *list)
{
    json_t *o = json_object();
    for (const char *const *p = list; o && p && *p; p++) {
        const char *eq = strchr(*p, '=');
        char *k = eq ? strndup(*p, (size_t)(eq - *p)) : strdup(*p);
        if (!k || json_object_set_new(o, k, json_string(eq ? eq + 1 : "")) != 0) {
            free(k);
            json_decref(o);
            return NULL;
        }
        free(k);
    }
    return o;
}

/* JSON array of strings -> malloc'd NULL-terminated list (never NULL unless
 * out of memory). */
static char **strlist(json_t *arr)
{
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0, k = 0;
    char **l = calloc(n + 1, sizeof *l);
    for (size_t i = 0; l && i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s && !(l[k++] = strdup(s))) {
            for (size_t j = 0; j + 1 < k; j++)
                free(l[j]);
            free(l);
            return NULL;
        }
    }
    return l;
}

/* JSON object of strings -> "key=value" list. */
static char **kvlist(json_t *obj)
{
    size_t n = json_is_object(obj) ? json_object_size(obj) : 0, k = 0;
    char **l = calloc(n + 1, sizeof *l);
    const char *key;
    json_t *v;
    if (l && n) {
        json_object_foreach(obj, key, v) {
            const char *s = json_string_value(v);
            if (!(l[k++] = fmt("%s=%s", key, s ? s : ""))) {
                for (size_t j = 0; j + 1 < k; j++)
                    free(l[j]);
                free(l);
                return NULL;
            }
        }
    }
    return l;
}

static void strlist_free(char **l)
{
    for (char **p = l; p && *p; p++)
        free(*p);
    free(l);
}

const char *docker_label_get(char *const *labels, const char *key)
{
    size_t n = strlen(key);
    for (char *const *p = labels; p && *p; p++)
        if (strncmp(*p, key, n) == 0 && (*p)[n] == '=')
            return *p + n + 1;
    return NULL;
}

/* Simple request with an owned path (freed here; NULL means out of memory).
 * *resp is always left safe to clear. */
static eng_status call(eng_client *c, const char *method, char *path, json_t *body,
                       eng_response *resp, eng_error *err)
{
    if (!path) {
        if (resp)
            memset(resp, 0, sizeof *resp);
        json_decref(body);
        return nomem(err);
    }
    eng_response local;
    eng_status st = eng_json(c, method, path, body, resp ? resp : &local, err);
    if (!resp)
        eng_response_clear(&local);
    json_decref(body);
    free(path);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Engine                                                                   */

eng_status docker_ping(eng_client *c, docker_version_info *out, eng_error *err)
{
    eng_status st = eng_client_connect(c, err);
    if (st != ENG_OK)
        return st;
    eng_response r;
    st = eng_json(c, "GET", "/version", NULL, &r, err);
    if (st == ENG_OK && out) {
        memset(out, 0, sizeof *out);
        copy(out->api_version, sizeof out->api_version, eng_client_api_version(c));
        jcopy(out->server_version, sizeof out->server_version, r.json, "Version");
        jcopy(out->os, sizeof out->os, r.json, "Os");
        jcopy(out->arch, sizeof out->arch, r.json, "Arch");
    }
    eng_response_clear(&r);
    return st;
}

eng_status docker_info(eng_client *c, docker_engine_info *out, eng_error *err)
{
    eng_response r;
    eng_status st = eng_json(c, "GET", "/info", NULL, &r, err);
    if (st == ENG_OK) {
        memset(out, 0, sizeof *out);
        jcopy(out->local_state, sizeof out->local_state, r.json, "Swarm.LocalNodeState");
        out->is_manager = jbool(r.json, "Swarm.ControlAvailable");
        jcopy(out->node_id, sizeof out->node_id, r.json, "Swarm.NodeID");
        jcopy(out->node_addr, sizeof out->node_addr, r.json, "Swarm.NodeAddr");
        jcopy(out->name, sizeof out->name, r.json, "Name");
        out->ncpu = (int)jint(r.json, "NCPU");
        out->mem_total = jint(r.json, "MemTotal");
    }
    eng_response_clear(&r);
    return wrap(err, st, "engine info");
}

/* ------------------------------------------------------------------------ */
/* Images                                                                   */

static int feed_json(const char *data, size_t len, void *ud)
{
    /* A garbled line is remembered in the parser and reported at the end;
     * the rest of the stream may still hold the daemon's error. */
    stream_json_feed(ud, data, len);
    return 0;
}

/* Append "&name=<escaped value>" to *q (no '&' right after the '?'). */
static bool query_add(char **q, const char *name, const char *value)
{
    char *e = eng_escape(value);
    if (!e)
        return false;
    size_t ql = strlen(*q);
    bool first = ql > 0 && (*q)[ql - 1] == '?';
    char *n = fmt("%s%s%s=%s", *q, first ? "" : "&", name, e);
    free(e);
    if (!n)
        return false;
    free(*q);
    *q = n;
    return true;
}

static bool query_add_json(char **q, const char *name, json_t *j)
{
    if (!j)
        return false;
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    bool ok = s && query_add(q, name, s);
    free(s);
    return ok;
}

/* path (owned, freed here) with filters={"label":[...]} added when there are
 * label filters; NULL when out of memory. */
static char *with_label_filters(char *path, const char *const *label_filters)
{
    if (path && label_filters && label_filters[0] &&
        !query_add_json(&path, "filters", json_pack("{s:o}", "label", jarray(label_filters))))
        path = (free(path), NULL);
    return path;
}

/* GET path (owned, freed here), which answers a JSON array: *r holds it
 * (eng_response_clear it), *cnt is its length.  On error *r is cleared. */
static eng_status get_array(eng_client *c, char *path, eng_response *r, size_t *cnt, eng_error *err)
{
    eng_status st = call(c, "GET", path, NULL, r, err);
    if (st != ENG_OK) {
        eng_response_clear(r);
        return st;
    }
    *cnt = json_is_array(r->json) ? json_array_size(r->json) : 0;
    return ENG_OK;
}

eng_status docker_image_build(eng_client *c, const docker_build_opts *o, char *image_id,
                              size_t id_len, eng_error *err)
{
    FILE *tar = NULL;
    long long size = 0;
    eng_status st = buildctx_write_tar(o->context_dir, o->dockerfile, &tar, &size, NULL, err);
    if (st != ENG_OK)
        return st;

    char *q = strdup("/build?rm=1&forcerm=1");
    bool ok = q != NULL;
    for (const char *const *t = o->tags; ok && t && *t; t++)
        ok = query_add(&q, "t", *t);
    if (ok && o->dockerfile)
        ok = query_add(&q, "dockerfile", o->dockerfile);
    if (ok && o->buildargs)
        ok = query_add_json(&q, "buildargs", jkv(o->buildargs));
    if (ok && o->labels)
        ok = query_add_json(&q, "labels", jkv(o->labels));
    if (ok && o->no_cache)
        ok = query_add(&q, "nocache", "1");
    if (ok && o->pull)
        ok = query_add(&q, "pull", "1");
    if (!ok) {
        free(q);
        fclose(tar);
        return nomem(err);
    }

    stream_json js;
    stream_json_init(&js, o->progress, o->ud);
    eng_request_opts ro = {
        .content_type = "application/x-tar",
        .upload = tar,
        .upload_len = size,
        .on_data = feed_json,
        .ud = &js,
    };
    eng_response r;
    st = eng_request(c, "POST", q, &ro, &r, err);
    eng_response_clear(&r);
    fclose(tar);
    free(q);
    const char *what = o->tags && o->tags[0] ? o->tags[0] : o->context_dir;
    if (st == ENG_OK) {
        stream_json_finish(&js);
        st = stream_json_result(&js, "build", err);
        if (st == ENG_OK && image_id)
            copy(image_id, id_len, js.aux_id);
    }
    stream_json_free(&js);
    if (st == ENG_ERR_STREAM || st == ENG_ERR_PROTOCOL)
        return wrap(err, st, "image %s", what);
    return wrap(err, st, "build image %s", what);
}

eng_status docker_image_import(eng_client *c, FILE *tar, const char *repo, const char *tag,
                               const char *const *changes, eng_error *err)
{
    char *q = strdup("/images/create?fromSrc=-");
    bool ok = q && query_add(&q, "repo", repo) && query_add(&q, "tag", tag ? tag : "latest");
    for (const char *const *ch = changes; ok && ch && *ch; ch++)
        ok = query_add(&q, "changes", *ch);
    if (!ok) {
        free(q);
        return nomem(err);
    }
    stream_json js;
    stream_json_init(&js, NULL, NULL);
    eng_request_opts ro = {
        .content_type = "application/x-tar",
        .upload = tar,
        .upload_len = -1,
        .on_data = feed_json,
        .ud = &js,
    };
    eng_response r;
    eng_status st = eng_request(c, "POST", q, &ro, &r, err);
    eng_response_clear(&r);
    free(q);
    if (st == ENG_OK) {
        stream_json_finish(&js);
        st = stream_json_result(&js, "import", err);
    }
    stream_json_free(&js);
    return wrap(err, st, "import image %s:%s", repo, tag ? tag : "latest");
}

eng_status docker_image_tag(eng_client *c, const char *source, const char *repo,
                            const char *tag, eng_error *err)
{
    char *p = obj_path("/images", source, "/tag?");
    if (p && !query_add(&p, "repo", repo))
        p = (free(p), NULL);
    if (p && !query_add(&p, "tag", tag ? tag : "latest"))
        p = (free(p), NULL);
    return wrap(err, call(c, "POST", p, NULL, NULL, err), "tag %s as %s:%s", source, repo,
                tag ? tag : "latest");
}

/* Push and pull share this: a POST whose answer is a JSON-lines stream,
 * with X-Registry-Auth for the image's registry. */
static eng_status registry_stream(eng_client *c, char *path, const char *image,
                                  const char *auth_config, stream_event_fn progress, void *ud,
                                  stream_json *js, eng_error *err)
{
    /* first: the caller frees js whatever happens below */
    stream_json_init(js, progress, ud);
    if (!path)
        return nomem(err);
    char registry[256];
    eng_registry_of_image(image, registry, sizeof registry);
    char *auth = NULL;
    char warning[1024];
    eng_status st =
        eng_registry_auth(auth_config, registry, &auth, NULL, warning, sizeof warning, err);
    if (st != ENG_OK) {
        free(path);
        return st;
    }
    if (warning[0] && progress) /* said where the user sees the push */
        progress(&(stream_event){.warning = warning, .current = -1, .total = -1}, ud);
    char *hdr = fmt("X-Registry-Auth: %s", auth);
    explicit_bzero(auth, strlen(auth));
    free(auth);
    if (!hdr) {
        free(path);
        return nomem(err);
    }
    const char *headers[] = {hdr, NULL};
    eng_request_opts ro = {.headers = headers, .on_data = feed_json, .ud = js};
    eng_response r;
    st = eng_request(c, "POST", path, &ro, &r, err);
    eng_response_clear(&r);
    explicit_bzero(hdr, strlen(hdr));
    free(hdr);
    free(path);
    if (st == ENG_OK) {
        stream_json_finish(js);
        st = stream_json_result(js, "the daemon reported", err);
    }
    return st;
}

eng_status docker_image_push(eng_client *c, const char *repo, const char *tag,
                             const char *auth_config, stream_event_fn progress, void *ud,
                             char *digest, size_t digest_len, eng_error *err)
{
    const char *t = tag ? tag : "latest";
    char *p = obj_path("/images", repo, "/push?");
    if (p && !query_add(&p, "tag", t))
        p = (free(p), NULL);
    stream_json js;
    eng_status st = registry_stream(c, p, repo, auth_config, progress, ud, &js, err);
    if (st == ENG_OK && !js.digest[0])
        st = eng_fail(err, ENG_ERR_PROTOCOL, "the push stream ended without aux.Digest");
    if (st == ENG_OK && digest)
        copy(digest, digest_len, js.digest);
    stream_json_free(&js);
    return wrap(err, st, "push %s:%s", repo, t);
}

eng_status docker_image_pull(eng_client *c, const char *repo, const char *tag,
                             const char *auth_config, stream_event_fn progress, void *ud,
                             eng_error *err)
{
    const char *t = tag ? tag : "latest";
    char *p = strdup("/images/create?");
    if (p && !query_add(&p, "fromImage", repo))
        p = (free(p), NULL);
    if (p && !query_add(&p, "tag", t))
        p = (free(p), NULL);
    stream_json js;
    eng_status st = registry_stream(c, p, repo, auth_config, progress, ud, &js, err);
    stream_json_free(&js);
    return wrap(err, st, "pull %s:%s", repo, t);
}

eng_status docker_image_inspect(eng_client *c, const char *name, docker_image_info *out,
                                eng_error *err)
{
    eng_response r;
    eng_status st = call(c, "GET", obj_path("/images", name, "/json"), NULL, &r, err);
    if (st == ENG_OK) {
        memset(out, 0, sizeof *out);
        jcopy(out->id, sizeof out->id, r.json, "Id");
        jcopy(out->created, sizeof out->created, r.json, "Created");
        out->size = jint(r.json, "Size");
        json_t *test = jget(r.json, "Config.Healthcheck.Test");
        const char *t0 = json_string_value(json_array_get(test, 0));
        copy(out->healthcheck, sizeof out->healthcheck,
             !t0 ? "" : strcmp(t0, "NONE") == 0 ? "none" : "set");
        out->repo_tags = strlist(jget(r.json, "RepoTags"));
        out->repo_digests = strlist(jget(r.json, "RepoDigests"));
        out->labels = kvlist(jget(r.json, "Config.Labels"));
        if (!out->repo_tags || !out->repo_digests || !out->labels) {
            docker_image_info_free(out);
            st = nomem(err);
        }
    }
    eng_response_clear(&r);
    return wrap(err, st, "image %s", name);
}

void docker_image_info_free(docker_image_info *info)
{
    strlist_free(info->repo_tags);
    strlist_free(info->repo_digests);
    strlist_free(info->labels);
    info->repo_tags = info->repo_digests = info->labels = NULL;
}

eng_status docker_image_remove(eng_client *c, const char *name, bool force, eng_error *err)
{
    char *p = obj_path("/images", name, force ? "?force=1" : "");
    return wrap(err, call(c, "DELETE", p, NULL, NULL, err), "remove image %s", name);
}

/* ------------------------------------------------------------------------ */
/* Networks and volumes                                                     */

eng_status docker_network_create(eng_client *c, const docker_network_spec *spec, char *id,
                                 size_t id_len, eng_error *err)
{
    json_t *b = json_pack("{s:s, s:s, s:b, s:b, s:o*}", "Name", spec->name, "Driver",
                          spec->driver ? spec->driver : "bridge", "Attachable",
                          (int)spec->attachable, "CheckDuplicate", 1, "Labels",
                          spec->labels ? jkv(spec->labels) : NULL);
    if (b && spec->subnet) {
        json_t *cfg = json_pack("{s:s}", "Subnet", spec->subnet);
        if (cfg && spec->gateway)
            json_object_set_new(cfg, "Gateway", json_string(spec->gateway));
        if (cfg && spec->ip_range)
            json_object_set_new(cfg, "IPRange", json_string(spec->ip_range));
        json_t *ipam = cfg ? json_pack("{s:s, s:[o]}", "Driver", "default", "Config", cfg) : NULL;
        if (!ipam || json_object_set_new(b, "IPAM", ipam) != 0) {
            json_decref(b);
            b = NULL;
        }
    }
    if (!b)
        return nomem(err);
    eng_response r;
    eng_status st = call(c, "POST", strdup("/networks/create"), b, &r, err);
    if (st == ENG_OK && id)
        jcopy(id, id_len, r.json, "Id");
    eng_response_clear(&r);
    return wrap(err, st, "create network %s", spec->name);
}

eng_status docker_network_inspect(eng_client *c, const char *name, docker_network_info *out,
                                  eng_error *err)
{
    eng_response r;
    eng_status st = call(c, "GET", obj_path("/networks", name, NULL), NULL, &r, err);
    if (st == ENG_OK) {
        memset(out, 0, sizeof *out);
        jcopy(out->id, sizeof out->id, r.json, "Id");
        jcopy(out->name, sizeof out->name, r.json, "Name");
        jcopy(out->driver, sizeof out->driver, r.json, "Driver");
        jcopy(out->scope, sizeof out->scope, r.json, "Scope");
        out->attachable = jbool(r.json, "Attachable");
        json_t *cs = jget(r.json, "Containers");
        out->containers = json_is_object(cs) ? (int)json_object_size(cs) : 0;
        json_t *cfg = json_array_get(jget(jget(r.json, "IPAM"), "Config"), 0);
        jcopy(out->subnet, sizeof out->subnet, cfg, "Subnet");
        jcopy(out->gateway, sizeof out->gateway, cfg, "Gateway");
        jcopy(out->ip_range, sizeof out->ip_range, cfg, "IPRange");
    }
    eng_response_clear(&r);
    return wrap(err, st, "network %s", name);
}

eng_status docker_network_remove(eng_client *c, const char *name, eng_error *err)
{
    return wrap(err, call(c, "DELETE", obj_path("/networks", name, NULL), NULL, NULL, err),
                "remove network %s", name);
}

eng_status docker_volume_create(eng_client *c, const char *name, const char *const *labels,
                                eng_error *err)
{
    json_t *b = json_pack("{s:s, s:s, s:o*}", "Name", name, "Driver", "local", "Labels",
                          labels ? jkv(labels) : NULL);
    if (!b)
        return nomem(err);
    return wrap(err, call(c, "POST", strdup("/volumes/create"), b, NULL, err),
                "create volume %s", name);
}

eng_status docker_volume_exists(eng_client *c, const char *name, bool *exists, eng_error *err)
{
    eng_status st = call(c, "GET", obj_path("/volumes", name, NULL), NULL, NULL, err);
    *exists = st == ENG_OK;
    if (docker_not_found(err) && st == ENG_ERR_HTTP)
        return ENG_OK;
    return wrap(err, st, "volume %s", name);
}

eng_status docker_volume_remove(eng_client *c, const char *name, bool force, eng_error *err)
{
    char *p = obj_path("/volumes", name, force ? "?force=1" : "");
    return wrap(err, call(c, "DELETE", p, NULL, NULL, err), "remove volume %s", name);
}

/* ------------------------------------------------------------------------ */
/* Containers                                                               */

static json_t *mounts_json(const docker_mount *m, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *e = json_pack("{s:s, s:s, s:s, s:b}", "Type", m[i].bind ? "bind" : "volume",
                              "Source", m[i].source, "Target", m[i].target, "ReadOnly",
                              (int)m[i].read_only);
        if (!e || json_array_append_new(a, e) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *health_none(void) { return json_pack("{s:[s]}", "Test", "NONE"); }

/* The body of POST /containers/create. */
static json_t *container_body(const docker_container_spec *s)
{
    json_t *b = json_object(), *hc = json_object();
    if (!b || !hc)
        goto fail;
    bool ok = json_object_set_new(b, "Image", json_string(s->image)) == 0;
    if (s->hostname)
        ok = ok && json_object_set_new(b, "Hostname", json_string(s->hostname)) == 0;
    if (s->env)
        ok = ok && json_object_set_new(b, "Env", jarray(s->env)) == 0;
    if (s->cmd)
        ok = ok && json_object_set_new(b, "Cmd", jarray(s->cmd)) == 0;
    if (s->entrypoint)
        ok = ok && json_object_set_new(b, "Entrypoint", jarray(s->entrypoint)) == 0;
    if (s->labels)
        ok = ok && json_object_set_new(b, "Labels", jkv(s->labels)) == 0;
    if (s->stop_timeout >= 0)
        ok = ok && json_object_set_new(b, "StopTimeout", json_integer(s->stop_timeout)) == 0;
    if (s->stop_signal)
        ok = ok && json_object_set_new(b, "StopSignal", json_string(s->stop_signal)) == 0;
    if (s->health == DOCKER_HEALTH_NONE)
        ok = ok && json_object_set_new(b, "Healthcheck", health_none()) == 0;

    if (s->memory > 0)
        ok = ok && json_object_set_new(hc, "Memory", json_integer(s->memory)) == 0;
    if (s->memory_swap != 0)
        ok = ok && json_object_set_new(hc, "MemorySwap", json_integer(s->memory_swap)) == 0;
    ok = ok && json_object_set_new(hc, "RestartPolicy",
                                   json_pack("{s:s, s:i}", "Name",
                                             s->restart_policy ? s->restart_policy : "no",
                                             "MaximumRetryCount", s->restart_max)) == 0;
    if (s->network)
        ok = ok && json_object_set_new(hc, "NetworkMode", json_string(s->network)) == 0;
    if (s->n_mounts)
        ok = ok && json_object_set_new(hc, "Mounts", mounts_json(s->mounts, s->n_mounts)) == 0;
    if (s->init)
        ok = ok && json_object_set_new(hc, "Init", json_true()) == 0;
    if (s->n_ports) {
        json_t *exposed = json_object(), *bind = json_object();
        ok = ok && exposed && bind;
        for (size_t i = 0; ok && i < s->n_ports; i++) {
            const docker_port *p = &s->ports[i];
            char key[32], hp[16];
            snprintf(key, sizeof key, "%u/%s", p->container_port, p->proto ? p->proto : "tcp");
            snprintf(hp, sizeof hp, "%u", p->host_port);
            json_t *list = json_object_get(bind, key);
            if (!list) {
                ok = json_object_set_new(bind, key, list = json_array()) == 0 && list;
                ok = ok && json_object_set_new(exposed, key, json_object()) == 0;
            }
            ok = ok && json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp",
                                                             p->host_ip ? p->host_ip : "",
                                                             "HostPort",
                                                             p->host_port ? hp : "")) == 0;
        }
        ok = ok && json_object_set_new(b, "ExposedPorts", exposed) == 0;
        ok = ok && json_object_set_new(hc, "PortBindings", bind) == 0;
    }
    ok = ok && json_object_set(b, "HostConfig", hc) == 0;

    if (ok && s->network) {
        json_t *ep = json_object();
        if (s->aliases)
            ok = ep && json_object_set_new(ep, "Aliases", jarray(s->aliases)) == 0;
        if (s->ipv4_address)
            ok = ok && ep && json_object_set_new(ep, "IPAMConfig", json_pack("{s:s}", "IPv4Address",
                                                                            s->ipv4_address)) == 0;
        json_t *nc = json_pack("{s:{s:o}}", "EndpointsConfig", s->network, ep);
        ok = ok && nc && json_object_set_new(b, "NetworkingConfig", nc) == 0;
    }
    json_decref(hc);
    if (ok)
        return b;
fail:
    json_decref(b);
    json_decref(hc);
    return NULL;
}

eng_status docker_container_create(eng_client *c, const docker_container_spec *spec, char *id,
                                   size_t id_len, eng_error *err)
{
    json_t *b = container_body(spec);
    char *p = strdup("/containers/create?");
    if (p && !query_add(&p, "name", spec->name))
        p = (free(p), NULL);
    if (!b) {
        free(p);
        return nomem(err);
    }
    eng_response r;
    eng_status st = call(c, "POST", p, b, &r, err);
    if (st == ENG_OK && id)
        jcopy(id, id_len, r.json, "Id");
    eng_response_clear(&r);
    return wrap(err, st, "create container %s", spec->name);
}

/* What a container took unchanged from its image, dropped from its Config
 * so that the new image supplies its own: the Env entries and Labels the
 * image set to the same value, and the values (Cmd, Entrypoint, ...) equal
 * to the image's.  What the container's creator chose stays. */
static bool strip_image_defaults(json_t *cfg, json_t *image_cfg)
{
    static const char *const whole[] = {"Cmd",    "Entrypoint", "Healthcheck", "ExposedPorts",
                                        "Volumes", "WorkingDir", "User",        "StopSignal",
                                        "Shell",   "OnBuild",    "ArgsEscaped"};
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
        json_t *mine = json_object_get(cfg, whole[i]);
        if (mine && json_equal(mine, json_object_get(image_cfg, whole[i])))
            json_object_del(cfg, whole[i]);
    }
    json_t *env = json_object_get(cfg, "Env"), *image_env = json_object_get(image_cfg, "Env");
    if (json_is_array(env) && json_is_array(image_env)) {
        json_t *kept = json_array();
        size_t i, k;
        json_t *e, *ie;
        json_array_foreach(env, i, e) {
            bool from_image = false;
            json_array_foreach(image_env, k, ie) from_image |= json_equal(e, ie);
            if (!from_image && (!kept || json_array_append(kept, e) != 0))
                return json_decref(kept), false;
        }
        if (!kept || json_object_set_new(cfg, "Env", kept) != 0)
            return false;
    }
    json_t *labels = json_object_get(cfg, "Labels");
    json_t *image_labels = json_object_get(image_cfg, "Labels");
    if (json_is_object(labels) && json_is_object(image_labels)) {
        const char *key;
        json_t *v, *tmp;
        json_object_foreach_safe(labels, tmp, key, v) {
            if (json_equal(v, json_object_get(image_labels, key)))
                json_object_del(labels, key);
        }
    }
    return true;
}

/* The body of POST /containers/create that makes `cj` (an inspect answer)
 * again from `image`; NULL when out of memory. */
static json_t *recreate_body(json_t *cj, json_t *old_image_cfg, const char *image)
{
    json_t *body = json_deep_copy(jget(cj, "Config"));
    json_t *host = json_deep_copy(jget(cj, "HostConfig"));
    json_t *endpoints = json_object();
    if (!body || !host || !endpoints || !strip_image_defaults(body, old_image_cfg) ||
        json_object_set_new(body, "Image", json_string(image)) != 0)
        goto fail;
    /* the network it is on, with its aliases (not its own short id: the
     * new container gets its own) and its fixed address if it had one */
    const char *mode = jstr(cj, "HostConfig.NetworkMode"), *id = jstr(cj, "Id");
    json_t *nets = jget(cj, "NetworkSettings.Networks"), *n;
    const char *net;
    json_object_foreach(nets, net, n) {
        if (mode && strcmp(mode, net) != 0)
            continue;
        json_t *ep = json_object(), *aliases = json_array(), *a;
        size_t i;
        if (!ep || !aliases || json_object_set_new(endpoints, net, ep) != 0) {
            json_decref(aliases);
            goto fail;
        }
        json_array_foreach(jget(n, "Aliases"), i, a) {
            const char *al = json_string_value(a);
            if (al && !(id && strlen(al) == 12 && strncmp(al, id, 12) == 0))
                json_array_append(aliases, a);
        }
        json_object_set_new(ep, "Aliases", aliases);
        json_t *ipam = jget(n, "IPAMConfig");
        if (json_is_object(ipam))
            json_object_set(ep, "IPAMConfig", ipam);
    }
    if (json_object_set_new(body, "HostConfig", host) != 0) {
        host = NULL;
        goto fail;
    }
    host = NULL;
    json_t *nc = json_pack("{s:o}", "EndpointsConfig", endpoints);
    endpoints = NULL;
    if (!nc || json_object_set_new(body, "NetworkingConfig", nc) != 0)
        goto fail;
    return body;
fail:
    json_decref(body);
    json_decref(host);
    json_decref(endpoints);
    return NULL;
}

eng_status docker_container_recreate(eng_client *c, const char *name, const char *image,
                                     char *old_image, size_t old_len, eng_error *err)
{
    eng_response cr = {0}, ir = {0}, r = {0};
    eng_status st = call(c, "GET", obj_path("/containers", name, "/json"), NULL, &cr, err);
    if (st != ENG_OK) {
        eng_response_clear(&cr);
        return wrap(err, st, "container %s", name);
    }
    const char *was = jstr(cr.json, "Image");
    if (old_image)
        copy(old_image, old_len, "");
    st = call(c, "GET", obj_path("/images", was ? was : "", "/json"), NULL, &ir, err);
    if (st != ENG_OK) {
        st = wrap(err, st, "container %s: its image %s (what it took from it can't be told "
                  "apart from its own settings)", name, was ? was : "?");
        goto out;
    }
    json_t *body = recreate_body(cr.json, jget(ir.json, "Config"), image);
    if (!body) {
        st = nomem(err);
        goto out;
    }
    st = call(c, "DELETE", obj_path("/containers", name, "?force=1"), NULL, &r, err);
    eng_response_clear(&r);
    if (st != ENG_OK) {
        json_decref(body);
        st = wrap(err, st, "remove container %s", name);
        goto out;
    }
    if (old_image)
        copy(old_image, old_len, was);
    json_t *again = json_deep_copy(body); /* to put the old one back */
    char *p = strdup("/containers/create?");
    if (p && !query_add(&p, "name", name))
        p = (free(p), NULL);
    st = call(c, "POST", p, body, &r, err);
    eng_response_clear(&r);
    st = wrap(err, st, "create container %s from %s", name, image);
    if (st != ENG_OK && again && was &&
        json_object_set_new(again, "Image", json_string(was)) == 0) {
        /* e.g. no such image: the container as it was, so nothing changed */
        eng_error ignored;
        p = strdup("/containers/create?");
        if (p && !query_add(&p, "name", name))
            p = (free(p), NULL);
        if (call(c, "POST", p, again, &r, &ignored) == ENG_OK && old_image)
            old_image[0] = '\0';
        again = NULL;
        eng_response_clear(&r);
    }
    json_decref(again);
out:
    eng_response_clear(&cr);
    eng_response_clear(&ir);
    return st;
}

eng_status docker_container_start(eng_client *c, const char *name, bool *already,
                                  eng_error *err)
{
    eng_response r;
    eng_status st = call(c, "POST", obj_path("/containers", name, "/start"), NULL, &r, err);
    if (already)
        *already = st == ENG_OK && r.status == 304;
    eng_response_clear(&r);
    return wrap(err, st, "start container %s", name);
}

eng_status docker_container_stop(eng_client *c, const char *name, int timeout_s, eng_error *err)
{
    char suffix[32] = "/stop";
    if (timeout_s >= 0)
        snprintf(suffix, sizeof suffix, "/stop?t=%d", timeout_s);
    return wrap(err, call(c, "POST", obj_path("/containers", name, suffix), NULL, NULL, err),
                "stop container %s", name);
}

eng_status docker_container_remove(eng_client *c, const char *name, bool force, bool volumes,
                                   eng_error *err)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, "?force=%d&v=%d", force, volumes);
    return wrap(err, call(c, "DELETE", obj_path("/containers", name, suffix), NULL, NULL, err),
                "remove container %s", name);
}

eng_status docker_container_inspect(eng_client *c, const char *name, const char *network,
                                    docker_container_info *out, eng_error *err)
{
    eng_response r;
    eng_status st = call(c, "GET", obj_path("/containers", name, "/json"), NULL, &r, err);
    if (st != ENG_OK) {
        eng_response_clear(&r);
        return wrap(err, st, "container %s", name);
    }
    json_t *j = r.json;
    memset(out, 0, sizeof *out);
    jcopy(out->id, sizeof out->id, j, "Id");
    const char *nm = jstr(j, "Name");
    copy(out->name, sizeof out->name, nm && nm[0] == '/' ? nm + 1 : nm);
    jcopy(out->image, sizeof out->image, j, "Image");
    jcopy(out->image_ref, sizeof out->image_ref, j, "Config.Image");
    jcopy(out->hostname, sizeof out->hostname, j, "Config.Hostname");
    jcopy(out->status, sizeof out->status, j, "State.Status");
    out->running = jbool(j, "State.Running");
    out->restarting = jbool(j, "State.Restarting");
    out->exit_code = (int)jint(j, "State.ExitCode");
    out->oom_killed = jbool(j, "State.OOMKilled");
    out->pid = (int)jint(j, "State.Pid");
    jcopy(out->error, sizeof out->error, j, "State.Error");
    jcopy(out->health, sizeof out->health, j, "State.Health.Status");
    json_t *log = jget(j, "State.Health.Log");
    if (json_is_array(log) && json_array_size(log) > 0) {
        json_t *last = json_array_get(log, json_array_size(log) - 1);
        jcopy(out->health_log, sizeof out->health_log, last, "Output");
    }
    jcopy(out->started_at, sizeof out->started_at, j, "State.StartedAt");
    jcopy(out->finished_at, sizeof out->finished_at, j, "State.FinishedAt");
    out->restart_count = (int)jint(j, "RestartCount");
    out->memory = jint(j, "HostConfig.Memory");

    json_t *nets = jget(j, "NetworkSettings.Networks"), *n;
    const char *key;
    if (network && json_is_object(nets) && (n = json_object_get(nets, network))) {
        copy(out->network, sizeof out->network, network);
        jcopy(out->ip, sizeof out->ip, n, "IPAddress");
    } else if (!network && json_is_object(nets)) {
        json_object_foreach(nets, key, n) {
            const char *ip = jstr(n, "IPAddress");
            if (ip && *ip) {
                copy(out->network, sizeof out->network, key);
                copy(out->ip, sizeof out->ip, ip);
                break;
            }
        }
    }
    out->labels = kvlist(jget(j, "Config.Labels"));
    out->env = strlist(jget(j, "Config.Env"));
    eng_response_clear(&r);
    if (!out->labels || !out->env) {
        docker_container_info_free(out);
        return nomem(err);
    }
    return ENG_OK;
}

void docker_container_info_free(docker_container_info *info)
{
    strlist_free(info->labels);
    strlist_free(info->env);
    info->labels = info->env = NULL;
}

/* Logs: framed unless the container has a TTY.  Decided on the first byte:
 * a frame starts with 0, 1 or 2, which no text log does. */
struct logsink {
    stream_frames frames;
    stream_output *out;
    int mode; /* 0 undecided, 1 frames, 2 raw */
};

static int feed_log(const char *data, size_t len, void *ud)
{
    struct logsink *s = ud;
    if (s->mode == 0 && len > 0)
        s->mode = (unsigned char)data[0] <= STREAM_STDERR ? 1 : 2;
    if (s->mode == 2)
        return stream_output_append(STREAM_STDOUT, data, len, s->out);
    return stream_frames_feed(&s->frames, data, len);
}

static eng_status read_frames(eng_client *c, const char *method, char *path, json_t *body,
                              long timeout_ms, stream_output *out, eng_error *err)
{
    if (!path) {
        json_decref(body);
        return nomem(err);
    }
    struct logsink s = {.out = out};
    stream_frames_init(&s.frames, stream_output_append, out);
    eng_request_opts ro = {.json_body = body, .on_data = feed_log, .ud = &s,
                           .timeout_ms = timeout_ms};
    eng_response r;
    eng_status st = eng_request(c, method, path, &ro, &r, err);
    eng_response_clear(&r);
    json_decref(body);
    free(path);
    if (st == ENG_ERR_IO && (s.frames.bad || out->nomem))
        st = out->nomem ? nomem(err)
                        : eng_fail(err, ENG_ERR_PROTOCOL, "%s", s.frames.bad_message);
    if (st == ENG_OK && s.mode == 1 && stream_frames_finish(&s.frames) != 0)
        st = eng_fail(err, ENG_ERR_PROTOCOL, "%s", s.frames.bad_message);
    return st;
}

eng_status docker_container_logs(eng_client *c, const char *name, int tail, stream_output *out,
                                 eng_error *err)
{
    if (stream_output_init(out, 0) != 0)
        return nomem(err);
    char suffix[64] = "/logs?stdout=1&stderr=1";
    if (tail > 0)
        snprintf(suffix, sizeof suffix, "/logs?stdout=1&stderr=1&tail=%d", tail);
    eng_status st = read_frames(c, "GET", obj_path("/containers", name, suffix), NULL, 0, out,
                                err);
    if (st != ENG_OK)
        stream_output_free(out);
    return wrap(err, st, "logs of container %s", name);
}

eng_status docker_container_list(eng_client *c, const char *const *label_filters, bool all,
                                 docker_container_summary **out, size_t *n, eng_error *err)
{
    *out = NULL;
    *n = 0;
    char *p = strdup(all ? "/containers/json?all=1" : "/containers/json?all=0");
    eng_response r;
    size_t cnt;
    eng_status st = get_array(c, with_label_filters(p, label_filters), &r, &cnt, err);
    if (st != ENG_OK)
        return wrap(err, st, "list containers");
    docker_container_summary *l = calloc(cnt ? cnt : 1, sizeof *l);
    if (!l) {
        eng_response_clear(&r);
        return nomem(err);
    }
    for (size_t i = 0; i < cnt; i++) {
        json_t *e = json_array_get(r.json, i);
        jcopy(l[i].id, sizeof l[i].id, e, "Id");
        const char *nm = json_string_value(json_array_get(json_object_get(e, "Names"), 0));
        copy(l[i].name, sizeof l[i].name, nm && nm[0] == '/' ? nm + 1 : nm);
        jcopy(l[i].image, sizeof l[i].image, e, "Image");
        jcopy(l[i].state, sizeof l[i].state, e, "State");
        jcopy(l[i].status, sizeof l[i].status, e, "Status");
        if (!(l[i].labels = kvlist(json_object_get(e, "Labels")))) {
            docker_container_list_free(l, cnt);
            eng_response_clear(&r);
            return nomem(err);
        }
    }
    eng_response_clear(&r);
    *out = l;
    *n = cnt;
    return ENG_OK;
}

void docker_container_list_free(docker_container_summary *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        strlist_free(list[i].labels);
    free(list);
}

/* ------------------------------------------------------------------------ */
/* Exec                                                                     */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* POST /containers/{name}/exec: the exec's id in id (DOCKER_ID_MAX). */
static eng_status exec_create(eng_client *c, const char *container, const char *const *cmd,
                              const char *const *env, const char *user, bool attach, char *id,
                              eng_error *err)
{
    id[0] = '\0';
    json_t *b = json_pack("{s:b, s:b, s:b, s:o}", "AttachStdin", 0, "AttachStdout", attach,
                          "AttachStderr", attach, "Cmd", jarray(cmd));
    if (b && env)
        json_object_set_new(b, "Env", jarray(env));
    if (b && user)
        json_object_set_new(b, "User", json_string(user));
    if (!b)
        return nomem(err);
    eng_response r;
    eng_status st = call(c, "POST", obj_path("/containers", container, "/exec"), b, &r, err);
    if (st == ENG_OK) {
        jcopy(id, DOCKER_ID_MAX, r.json, "Id");
        if (!id[0])
            st = eng_fail(err, ENG_ERR_PROTOCOL, "exec create answered without an Id");
    }
    eng_response_clear(&r);
    return st;
}

eng_status docker_exec_poll(eng_client *c, const char *exec_id, bool *running, int *exit_code,
                            eng_error *err)
{
    eng_response r;
    eng_status st = call(c, "GET", obj_path("/exec", exec_id, "/json"), NULL, &r, err);
    if (st == ENG_OK) {
        json_t *ec = json_object_get(r.json, "ExitCode");
        /* ExitCode is null until the process has ended */
        *running = jbool(r.json, "Running") || !json_is_integer(ec);
        *exit_code = json_is_integer(ec) ? (int)json_integer_value(ec) : -1;
    }
    eng_response_clear(&r);
    return wrap(err, st, "exec %s", exec_id);
}

eng_status docker_exec(eng_client *c, const char *container, const char *const *cmd,
                       const char *const *env, const char *user, long timeout_ms,
                       docker_exec_result *out, eng_error *err)
{
    memset(out, 0, sizeof *out);
    out->exit_code = -1;
    if (!cmd || !cmd[0])
        return eng_fail(err, ENG_ERR_CONFIG, "exec in %s: no command", container);
    if (stream_output_init(&out->output, 0) != 0)
        return nomem(err);
    long long start = now_ms();

    char id[DOCKER_ID_MAX];
    eng_status st = exec_create(c, container, cmd, env, user, true, id, err);
    if (st == ENG_OK) {
        json_t *sb = json_pack("{s:b, s:b}", "Detach", 0, "Tty", 0);
        long left = 0;
        if (timeout_ms > 0) {
            left = (long)(timeout_ms - (now_ms() - start));
            if (left < 1)
                left = 1;
        }
        st = read_frames(c, "POST", obj_path("/exec", id, "/start"), sb, left, &out->output,
                         err);
        if (st == ENG_ERR_TIMEOUT)
            eng_fail(err, ENG_ERR_TIMEOUT, "no exit within %ld ms (it may still run)",
                     timeout_ms);
    }

    /* The exit code: the stream's end and the exec's end are not the same
     * instant, so wait a little for Running to turn false. */
    for (int tries = 0; st == ENG_OK; tries++) {
        bool running;
        st = docker_exec_poll(c, id, &running, &out->exit_code, err);
        if (st != ENG_OK || !running)
            break;
        if (tries >= 100 || (timeout_ms > 0 && now_ms() - start > timeout_ms)) {
            st = eng_fail(err, ENG_ERR_TIMEOUT, "output ended but the command is still running");
            break;
        }
        nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    }
    if (st != ENG_OK) {
        docker_exec_result_free(out);
        out->exit_code = -1;
    }
    return wrap(err, st, "exec %s in container %s", cmd[0], container);
}

eng_status docker_exec_detached(eng_client *c, const char *container, const char *const *cmd,
                                const char *const *env, char *exec_id, eng_error *err)
{
    if (!cmd || !cmd[0])
        return eng_fail(err, ENG_ERR_CONFIG, "exec in %s: no command", container);
    eng_status st = exec_create(c, container, cmd, env, NULL, false, exec_id, err);
    if (st == ENG_OK)
        st = call(c, "POST", obj_path("/exec", exec_id, "/start"),
                  json_pack("{s:b, s:b}", "Detach", 1, "Tty", 0), NULL, err);
    return wrap(err, st, "exec %s in container %s", cmd[0], container);
}

void docker_exec_result_free(docker_exec_result *r)
{
    stream_output_free(&r->output);
}

/* ------------------------------------------------------------------------ */
/* Swarm mode                                                               */

eng_status docker_node_list(eng_client *c, docker_node **out, size_t *n, eng_error *err)
{
    *out = NULL;
    *n = 0;
    eng_response r;
    size_t cnt;
    eng_status st = get_array(c, strdup("/nodes"), &r, &cnt, err);
    if (st != ENG_OK)
        return wrap(err, st, "list swarm nodes");
    docker_node *l = calloc(cnt ? cnt : 1, sizeof *l);
    if (!l) {
        eng_response_clear(&r);
        return nomem(err);
    }
    for (size_t i = 0; i < cnt; i++) {
        json_t *e = json_array_get(r.json, i);
        jcopy(l[i].id, sizeof l[i].id, e, "ID");
        jcopy(l[i].hostname, sizeof l[i].hostname, e, "Description.Hostname");
        jcopy(l[i].role, sizeof l[i].role, e, "Spec.Role");
        jcopy(l[i].availability, sizeof l[i].availability, e, "Spec.Availability");
        jcopy(l[i].state, sizeof l[i].state, e, "Status.State");
        jcopy(l[i].addr, sizeof l[i].addr, e, "Status.Addr");
    }
    eng_response_clear(&r);
    *out = l;
    *n = cnt;
    return ENG_OK;
}

/* Standard base64 (Go's []byte in JSON), malloc'd. */
static char *base64_std(const unsigned char *d, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *p = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
        *p++ = tab[v >> 18 & 63];
        *p++ = tab[v >> 12 & 63];
        *p++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
        *p++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *p = '\0';
    return out;
}

eng_status docker_secret_create(eng_client *c, const char *name, const void *data, size_t len,
                                const char *const *labels, char *id, size_t id_len, eng_error *err)
{
    char *b64 = base64_std(data, len);
    json_t *b = b64 ? json_pack("{s:s, s:s, s:o*}", "Name", name, "Data", b64, "Labels",
                                labels ? jkv(labels) : NULL) : NULL;
    if (b64) {
        explicit_bzero(b64, strlen(b64));
        free(b64);
    }
    if (!b) return nomem(err);
    eng_response r = {0};
    eng_status st = call(c, "POST", strdup("/secrets/create"), b, &r, err);
    if (st == ENG_OK && id) jcopy(id, id_len, r.json, "ID");
    eng_response_clear(&r);
    return wrap(err, st, "create secret %s", name);
}

eng_status docker_secret_find(eng_client *c, const char *name, char *id, size_t id_len,
                              bool *exists, eng_error *err)
{
    eng_response r = {0};
    eng_status st = call(c, "GET", obj_path("/secrets", name, NULL), NULL, &r, err);
    *exists = st == ENG_OK;
    if (st == ENG_OK) jcopy(id, id_len, r.json, "ID");
    eng_response_clear(&r);
    if (st == ENG_ERR_HTTP && docker_not_found(err)) return ENG_OK;
    return wrap(err, st, "secret %s", name);
}

eng_status docker_secret_remove(eng_client *c, const char *name, eng_error *err)
{
    return wrap(err, call(c, "DELETE", obj_path("/secrets", name, NULL), NULL, NULL, err),
                "remove secret %s", name);
}

static json_t *secrets_json(const docker_secret_ref *s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *e = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:i}}", "SecretID", s[i].id, "SecretName",
                              s[i].name, "File", "Name", s[i].target, "UID", "0", "GID", "0", "Mode", 0400);
        if (!e || json_array_append_new(a, e) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *service_body(const docker_service_spec *s)
{
    json_t *cs = json_pack("{s:s}", "Image", s->image);
    json_t *tt = json_object(), *b = json_object();
    bool ok = cs && tt && b;
    if (ok && s->hostname)
        ok = json_object_set_new(cs, "Hostname", json_string(s->hostname)) == 0;
    if (ok && s->env)
        ok = json_object_set_new(cs, "Env", jarray(s->env)) == 0;
    if (ok && s->args)
        ok = json_object_set_new(cs, "Args", jarray(s->args)) == 0;
    if (ok && s->labels)
        ok = json_object_set_new(cs, "Labels", jkv(s->labels)) == 0;
    if (ok && s->n_mounts)
        ok = json_object_set_new(cs, "Mounts", mounts_json(s->mounts, s->n_mounts)) == 0;
    if (ok && s->n_secrets)
        ok = json_object_set_new(cs, "Secrets", secrets_json(s->secrets, s->n_secrets)) == 0;
    if (ok && s->stop_timeout >= 0)
        ok = json_object_set_new(cs, "StopGracePeriod",
                                 json_integer((json_int_t)s->stop_timeout * 1000000000LL)) == 0;
    if (ok && s->health == DOCKER_HEALTH_NONE)
        ok = json_object_set_new(cs, "Healthcheck", health_none()) == 0;
    ok = ok && json_object_set(tt, "ContainerSpec", cs) == 0;
    if (ok && s->memory > 0)
        ok = json_object_set_new(tt, "Resources",
                                 json_pack("{s:{s:I}}", "Limits", "MemoryBytes",
                                           (json_int_t)s->memory)) == 0;
    ok = ok && json_object_set_new(tt, "RestartPolicy",
                                   json_pack("{s:s}", "Condition",
                                             s->restart_condition ? s->restart_condition
                                                                  : "any")) == 0;
    if (ok && (s->constraints || s->spread)) {
        json_t *pl = json_object();
        ok = pl && json_object_set_new(tt, "Placement", pl) == 0;
        if (ok && s->constraints)
            ok = json_object_set_new(pl, "Constraints", jarray(s->constraints)) == 0;
        if (ok && s->spread)
            ok = json_object_set_new(pl, "Preferences",
                                     json_pack("[{s:{s:s}}]", "Spread", "SpreadDescriptor",
                                               s->spread)) == 0;
    }
    if (ok && s->network) {
        json_t *n = json_pack("{s:s}", "Target", s->network);
        if (n && s->aliases)
            json_object_set_new(n, "Aliases", jarray(s->aliases));
        ok = n && json_object_set_new(tt, "Networks", json_pack("[o]", n)) == 0;
    }
    ok = ok && json_object_set_new(b, "Name", json_string(s->name)) == 0;
    if (ok && s->labels)
        ok = json_object_set_new(b, "Labels", jkv(s->labels)) == 0;
    ok = ok && json_object_set(b, "TaskTemplate", tt) == 0;
    ok = ok && json_object_set_new(b, "Mode",
                                   json_pack("{s:{s:i}}", "Replicated", "Replicas", 1)) == 0;
    if (ok && s->dnsrr)
        ok = json_object_set_new(b, "EndpointSpec", json_pack("{s:s}", "Mode", "dnsrr")) == 0;
    json_decref(cs);
    json_decref(tt);
    if (!ok) {
        json_decref(b);
        return NULL;
    }
    return b;
}

eng_status docker_service_create(eng_client *c, const docker_service_spec *spec, char *id,
                                 size_t id_len, eng_error *err)
{
    json_t *b = service_body(spec);
    if (!b)
        return nomem(err);
    char registry[256];
    eng_registry_of_image(spec->image, registry, sizeof registry);
    char *auth = NULL;
    eng_status st = eng_registry_auth(spec->auth_config, registry, &auth, NULL, NULL, 0, err);
    if (st != ENG_OK) {
        json_decref(b);
        return wrap(err, st, "create service %s", spec->name);
    }
    char *hdr = fmt("X-Registry-Auth: %s", auth);
    explicit_bzero(auth, strlen(auth));
    free(auth);
    if (!hdr) {
        json_decref(b);
        return nomem(err);
    }
    const char *headers[] = {hdr, NULL};
    eng_request_opts ro = {.json_body = b, .headers = headers};
    eng_response r;
    st = eng_request(c, "POST", "/services/create", &ro, &r, err);
    if (st == ENG_OK && id)
        jcopy(id, id_len, r.json, "ID");
    eng_response_clear(&r);
    explicit_bzero(hdr, strlen(hdr));
    free(hdr);
    json_decref(b);
    return wrap(err, st, "create service %s", spec->name);
}

eng_status docker_service_set_image(eng_client *c, const char *name, const char *image,
                                   const char *auth_config, char *old_image, size_t old_len,
                                   eng_error *err)
{
    if (old_image)
        copy(old_image, old_len, "");
    eng_response r;
    eng_status st = call(c, "GET", obj_path("/services", name, NULL), NULL, &r, err);
    if (st != ENG_OK) {
        eng_response_clear(&r);
        return wrap(err, st, "service %s", name);
    }
    long long version = jint(r.json, "Version.Index");
    const char *id = jstr(r.json, "ID");
    json_t *spec = json_deep_copy(jget(r.json, "Spec"));
    json_t *cs = jget(spec, "TaskTemplate.ContainerSpec");
    char was[2 * DOCKER_NAME_MAX];
    copy(was, sizeof was, jstr(cs, "Image"));
    char *path = id ? fmt("/services/%s/update?version=%lld", id, version) : NULL;
    eng_response_clear(&r);
    if (!spec || !json_is_object(cs) || !path ||
        json_object_set_new(cs, "Image", json_string(image)) != 0) {
        json_decref(spec);
        free(path);
        return nomem(err);
    }
    char registry[256];
    eng_registry_of_image(image, registry, sizeof registry);
    char *auth = NULL;
    st = eng_registry_auth(auth_config, registry, &auth, NULL, NULL, 0, err);
    char *hdr = st == ENG_OK ? fmt("X-Registry-Auth: %s", auth) : NULL;
    if (auth) {
        explicit_bzero(auth, strlen(auth));
        free(auth);
    }
    if (st == ENG_OK && !hdr)
        st = nomem(err);
    if (st == ENG_OK) {
        const char *headers[] = {hdr, NULL};
        eng_request_opts ro = {.json_body = spec, .headers = headers};
        st = eng_request(c, "POST", path, &ro, &r, err);
        eng_response_clear(&r);
    }
    if (hdr) {
        explicit_bzero(hdr, strlen(hdr));
        free(hdr);
    }
    free(path);
    json_decref(spec);
    if (st == ENG_OK && old_image)
        copy(old_image, old_len, was);
    return wrap(err, st, "update service %s to %s", name, image);
}

eng_status docker_service_remove(eng_client *c, const char *name, eng_error *err)
{
    return wrap(err, call(c, "DELETE", obj_path("/services", name, NULL), NULL, NULL, err),
                "remove service %s", name);
}

/* One service object of GET /services or /services/{id} into *out. */
static bool service_from_json(json_t *e, docker_service_info *out)
{
    memset(out, 0, sizeof *out);
    jcopy(out->id, sizeof out->id, e, "ID");
    jcopy(out->name, sizeof out->name, e, "Spec.Name");
    jcopy(out->image, sizeof out->image, e, "Spec.TaskTemplate.ContainerSpec.Image");
    json_t *r = jget(e, "Spec.Mode.Replicated.Replicas");
    out->replicas = json_is_integer(r) ? (int)json_integer_value(r) : -1;
    out->labels = kvlist(jget(e, "Spec.Labels"));
    out->constraints = strlist(jget(e, "Spec.TaskTemplate.Placement.Constraints"));
    if (!out->labels || !out->constraints) {
        docker_service_info_free(out);
        return false;
    }
    return true;
}

eng_status docker_service_inspect(eng_client *c, const char *name, docker_service_info *out,
                                  eng_error *err)
{
    eng_response r;
    eng_status st = call(c, "GET", obj_path("/services", name, NULL), NULL, &r, err);
    if (st == ENG_OK && !service_from_json(r.json, out))
        st = nomem(err);
    eng_response_clear(&r);
    return wrap(err, st, "service %s", name);
}

void docker_service_info_free(docker_service_info *info)
{
    strlist_free(info->labels);
    strlist_free(info->constraints);
    info->labels = info->constraints = NULL;
}

eng_status docker_names_by_label(eng_client *c, const char *kind, const char *const *label_filters,
                                 char ***names, size_t *n, eng_error *err)
{
    *names = NULL;
    *n = 0;
    char *p = with_label_filters(fmt("/%s?", kind), label_filters);
    eng_response r;
    eng_status st = call(c, "GET", p, NULL, &r, err);
    if (st != ENG_OK) {
        eng_response_clear(&r);
        return wrap(err, st, "list %s", kind);
    }
    /* /networks answers an array; /volumes {"Volumes": [...]} */
    json_t *arr = json_is_array(r.json) ? r.json : json_object_get(r.json, "Volumes");
    size_t cnt = json_is_array(arr) ? json_array_size(arr) : 0;
    char **v = calloc(cnt + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < cnt; i++) {
        const char *name = jstr(json_array_get(arr, i), "Name");
        if (name && !(v[k++] = strdup(name)))
            v = (strlist_free(v), NULL);
    }
    eng_response_clear(&r);
    if (!v)
        return nomem(err);
    *names = v;
    *n = k;
    return ENG_OK;
}

void docker_names_free(char **names)
{
    strlist_free(names);
}

eng_status docker_service_list(eng_client *c, const char *const *label_filters,
                               docker_service_info **out, size_t *n, eng_error *err)
{
    *out = NULL;
    *n = 0;
    eng_response r;
    size_t cnt;
    eng_status st =
        get_array(c, with_label_filters(strdup("/services?"), label_filters), &r, &cnt, err);
    if (st != ENG_OK)
        return wrap(err, st, "list services");
    docker_service_info *l = calloc(cnt ? cnt : 1, sizeof *l);
    for (size_t i = 0; l && i < cnt; i++)
        if (!service_from_json(json_array_get(r.json, i), &l[i])) {
            docker_service_list_free(l, i);
            l = NULL;
        }
    eng_response_clear(&r);
    if (!l)
        return nomem(err);
    *out = l;
    *n = cnt;
    return ENG_OK;
}

void docker_service_list_free(docker_service_info *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        docker_service_info_free(&list[i]);
    free(list);
}

/* RFC 3339 times with a variable-length fraction: compare as numbers. */
static int time_cmp(const char *a, const char *b)
{
    size_t la = strcspn(a, ".Z+"), lb = strcspn(b, ".Z+");
    int c = strncmp(a, b, la < lb ? la : lb);
    if (c || la != lb)
        return c ? c : (la < lb ? -1 : 1);
    char fa[10] = "000000000", fb[10] = "000000000";
    if (a[la] == '.')
        for (size_t i = 0; i < 9 && a[la + 1 + i] >= '0' && a[la + 1 + i] <= '9'; i++)
            fa[i] = a[la + 1 + i];
    if (b[lb] == '.')
        for (size_t i = 0; i < 9 && b[lb + 1 + i] >= '0' && b[lb + 1 + i] <= '9'; i++)
            fb[i] = b[lb + 1 + i];
    return strcmp(fa, fb);
}

static int newest_first(const void *x, const void *y)
{
    const docker_task *a = x, *b = y;
    return time_cmp(b->updated_at, a->updated_at);
}

eng_status docker_task_list(eng_client *c, const char *service, const char *network,
                            docker_task **out, size_t *n, eng_error *err)
{
    *out = NULL;
    *n = 0;
    char *p = strdup("/tasks?");
    json_t *f = json_pack("{s:[s]}", "service", service);
    if (p && !query_add_json(&p, "filters", f))
        p = (free(p), NULL);
    eng_response r;
    size_t cnt;
    eng_status st = get_array(c, p, &r, &cnt, err);
    if (st != ENG_OK)
        return wrap(err, st, "tasks of service %s", service);
    docker_task *l = calloc(cnt ? cnt : 1, sizeof *l);
    if (!l) {
        eng_response_clear(&r);
        return nomem(err);
    }
    for (size_t i = 0; i < cnt; i++) {
        json_t *e = json_array_get(r.json, i);
        jcopy(l[i].id, sizeof l[i].id, e, "ID");
        jcopy(l[i].service_id, sizeof l[i].service_id, e, "ServiceID");
        jcopy(l[i].node_id, sizeof l[i].node_id, e, "NodeID");
        jcopy(l[i].state, sizeof l[i].state, e, "Status.State");
        jcopy(l[i].desired_state, sizeof l[i].desired_state, e, "DesiredState");
        jcopy(l[i].message, sizeof l[i].message, e, "Status.Message");
        jcopy(l[i].error, sizeof l[i].error, e, "Status.Err");
        jcopy(l[i].container_id, sizeof l[i].container_id, e,
              "Status.ContainerStatus.ContainerID");
        l[i].exit_code = (int)jint(e, "Status.ContainerStatus.ExitCode");
        jcopy(l[i].updated_at, sizeof l[i].updated_at, e, "UpdatedAt");
        jcopy(l[i].image, sizeof l[i].image, e, "Spec.ContainerSpec.Image");
        json_t *atts = json_object_get(e, "NetworksAttachments");
        for (size_t k = 0; json_is_array(atts) && k < json_array_size(atts); k++) {
            json_t *att = json_array_get(atts, k);
            const char *nn = jstr(att, "Network.Spec.Name");
            if (network && (!nn || strcmp(nn, network) != 0))
                continue;
            const char *addr = json_string_value(json_array_get(json_object_get(att, "Addresses"), 0));
            if (addr) {
                copy(l[i].addr, sizeof l[i].addr, addr);
                l[i].addr[strcspn(l[i].addr, "/")] = '\0';
                break;
            }
        }
    }
    eng_response_clear(&r);
    qsort(l, cnt, sizeof *l, newest_first);
    *out = l;
    *n = cnt;
    return ENG_OK;
}
