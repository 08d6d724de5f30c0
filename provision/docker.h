/*
 * provision/docker: the typed Docker Engine API operations the provisioner
 * uses, on top of provision/engine (transport) and provision/stream.
 *
 * Conventions of every function here:
 *   - `c` is a client from eng_client_new; the first call negotiates the API
 *     version.
 *   - A container, image, network or volume is named by name or id.
 *   - Errors are eng_error values.  An HTTP error keeps its status in
 *     err->http_status, so callers can tell "not there" (404) from "already
 *     there" (409) from a real failure; docker_not_found() and
 *     docker_conflict() say it in words.  The message names the object and
 *     carries the daemon's own text.
 *   - String lists are NULL-terminated arrays of C strings; NULL = none.
 *   - Out-structs are filled on success only; the _free functions accept
 *     zeroed structs.
 */
#ifndef PROVISION_DOCKER_H
#define PROVISION_DOCKER_H

#include <stdbool.h>
#include <stddef.h>

#include "provision/engine.h"
#include "provision/stream.h"

enum { DOCKER_ID_MAX = 80, DOCKER_NAME_MAX = 256 };

/* err is ENG_ERR_HTTP with status 404 / 409. */
bool docker_not_found(const eng_error *err);
bool docker_conflict(const eng_error *err);

/* ------------------------------------------------------------------------ */
/* Engine                                                                   */

typedef struct {
    char api_version[16];      /* negotiated version in use */
    char server_version[64];   /* GET /version: "20.10.24+dfsg1" */
    char os[32], arch[32];
} docker_version_info;

/* Connect, negotiate the version and ask GET /version.  `out` may be NULL.
 * The error for a daemon that does not answer names DOCKER_HOST. */
eng_status docker_ping(eng_client *c, docker_version_info *out, eng_error *err);

typedef struct {
    char local_state[16];      /* Swarm.LocalNodeState: "inactive", "active", "pending"... */
    bool is_manager;           /* Swarm.ControlAvailable */
    char node_id[DOCKER_ID_MAX];   /* Swarm.NodeID, "" outside a swarm */
    char node_addr[64];        /* Swarm.NodeAddr */
    char name[DOCKER_NAME_MAX];    /* the engine's host name (Info.Name) */
    int ncpu;
    long long mem_total;       /* bytes */
} docker_engine_info;

/* GET /info: is this engine in a swarm, and a manager?  Host name, CPUs, memory. */
eng_status docker_info(eng_client *c, docker_engine_info *out, eng_error *err);

/* ------------------------------------------------------------------------ */
/* Images                                                                   */

typedef struct {
    const char *context_dir;          /* the build context directory */
    const char *dockerfile;           /* path inside the context; NULL = "Dockerfile" */
    const char *const *tags;          /* "name:tag" each; NULL = untagged */
    const char *const *buildargs;     /* "KEY=VALUE" each */
    const char *const *labels;        /* "key=value" each */
    bool no_cache;
    bool pull;                        /* always try to pull newer base images */
    stream_event_fn progress;         /* each stream line (may be NULL) */
    void *ud;
} docker_build_opts;

/* Build an image: the context dir (minus what its .dockerignore excludes) is
 * sent as a tar stream (provision/buildctx).  Progress lines go to
 * opts->progress as they come.  On success image_id gets aux.ID
 * ("sha256:..."; may be "" on engines that do not send it; id_len >= DOCKER_ID_MAX
 * recommended).  A failing instruction is ENG_ERR_STREAM with the daemon's
 * message although the HTTP status is 200; a missing Dockerfile ENG_ERR_HTTP
 * (500) with the daemon's message; an unreadable context ENG_ERR_IO. */
eng_status docker_image_build(eng_client *c, const docker_build_opts *opts, char *image_id,
                              size_t id_len, eng_error *err);

/* POST /images/create?fromSrc=-: a root filesystem tar read from `tar` to
 * its end (sent chunked, as it may be a pipe) becomes image repo:tag;
 * `changes` (NULL-terminated, may be NULL) are Dockerfile instructions
 * applied to it ("LABEL k=v", "ENV K=V", "CMD [\"bash\"]"), as
 * `docker import --change` sends them.  An error in the stream is
 * ENG_ERR_STREAM with the daemon's message. */
eng_status docker_image_import(eng_client *c, FILE *tar, const char *repo, const char *tag,
                               const char *const *changes, eng_error *err);

/* POST /images/{source}/tag?repo=&tag=: give image `source` the name repo:tag
 * (tag NULL = "latest").  404 when source does not exist. */
eng_status docker_image_tag(eng_client *c, const char *source, const char *repo,
                            const char *tag, eng_error *err);

/* Push repo:tag (repo includes the registry, "127.0.0.1:5000/cass-entry").
 * X-Registry-Auth is always sent: credentials for the repo's registry from
 * the docker config file (auth_config NULL = the default one, see
 * eng_registry_auth) when it has them, "e30=" otherwise; they are never
 * printed.  digest (digest_len >= DOCKER_ID_MAX recommended) gets aux.Digest
 * ("sha256:..."), the manifest digest the registry stores, for pinning
 * services to repo@digest.  Registry unreachable / refused:
 * ENG_ERR_STREAM with the daemon's message.  A stream that ends without a
 * digest is ENG_ERR_PROTOCOL. */
eng_status docker_image_push(eng_client *c, const char *repo, const char *tag,
                             const char *auth_config, stream_event_fn progress, void *ud,
                             char *digest, size_t digest_len, eng_error *err);

/* POST /images/create?fromImage=&tag=: pull an image (same auth rules as push). */
eng_status docker_image_pull(eng_client *c, const char *repo, const char *tag,
                             const char *auth_config, stream_event_fn progress, void *ud,
                             eng_error *err);

typedef struct {
    char id[DOCKER_ID_MAX];           /* "sha256:..." */
    char **repo_tags;                 /* NULL-terminated (never NULL after success) */
    char **repo_digests;              /* "repo@sha256:...", NULL-terminated */
    long long size;
    char created[40];
    char healthcheck[16];             /* Config.Healthcheck: "none" ("NONE" test),
                                         "set", or "" when the image has none */
    char **labels;                    /* Config.Labels as "KEY=VALUE", NULL-terminated */
} docker_image_info;

/* GET /images/{name}/json.  404 (docker_not_found) when there is no such image. */
eng_status docker_image_inspect(eng_client *c, const char *name, docker_image_info *out,
                                eng_error *err);
void docker_image_info_free(docker_image_info *info);

/* DELETE /images/{name}?force=&noprune=0. */
eng_status docker_image_remove(eng_client *c, const char *name, bool force, eng_error *err);

/* ------------------------------------------------------------------------ */
/* Networks and volumes                                                     */

typedef struct {
    const char *name;
    const char *driver;               /* "bridge" (NULL) or "overlay" */
    bool attachable;                  /* overlay: plain containers may join */
    const char *const *labels;        /* "key=value" */
    /* IPAM (all NULL = the engine picks a free subnet): the subnet, its
     * gateway, and the range the engine gives addresses from; an address
     * outside it (but in the subnet) is free for a container to pin. */
    const char *subnet;               /* "172.18.0.0/16" */
    const char *gateway;
    const char *ip_range;
} docker_network_spec;

/* POST /networks/create with CheckDuplicate.  id may be NULL.  An existing
 * name is ENG_ERR_HTTP 409 (docker_conflict). */
eng_status docker_network_create(eng_client *c, const docker_network_spec *spec, char *id,
                                 size_t id_len, eng_error *err);

typedef struct {
    char id[DOCKER_ID_MAX];
    char name[DOCKER_NAME_MAX];
    char driver[32];
    char scope[16];                   /* "local", "swarm" */
    bool attachable;
    int containers;                   /* containers attached (on this engine) */
    /* the first IPAM config: "" when the network has none */
    char subnet[64];
    char gateway[64];
    char ip_range[64];
} docker_network_info;

/* GET /networks/{name}.  404 when missing. */
eng_status docker_network_inspect(eng_client *c, const char *name, docker_network_info *out,
                                  eng_error *err);

/* DELETE /networks/{name}.  404 when missing; 403/409-ish when still in use. */
eng_status docker_network_remove(eng_client *c, const char *name, eng_error *err);

/* POST /volumes/create (local driver).  Creating an existing volume succeeds
 * (the daemon returns the existing one). */
eng_status docker_volume_create(eng_client *c, const char *name, const char *const *labels,
                                eng_error *err);

/* GET /volumes/{name}: *exists false on 404 (not an error). */
eng_status docker_volume_exists(eng_client *c, const char *name, bool *exists, eng_error *err);

/* DELETE /volumes/{name}?force=.  404 when missing; 409 when in use. */
eng_status docker_volume_remove(eng_client *c, const char *name, bool force, eng_error *err);

/* ------------------------------------------------------------------------ */
/* Containers                                                               */

typedef struct {
    const char *source;      /* volume name, or host path for a bind */
    const char *target;      /* path in the container */
    bool bind;               /* false: named volume (created if missing) */
    bool read_only;
} docker_mount;

typedef struct {
    unsigned container_port; /* 9042 */
    const char *proto;       /* "tcp" (NULL) or "udp" */
    const char *host_ip;     /* "127.0.0.1"; NULL = all addresses */
    unsigned host_port;      /* 0 = any free port */
} docker_port;

typedef enum {
    DOCKER_HEALTH_INHERIT = 0, /* the image's HEALTHCHECK */
    DOCKER_HEALTH_NONE         /* disable it (Test ["NONE"]) */
} docker_health;

typedef struct {
    const char *name;                  /* required */
    const char *image;                 /* required: name:tag or name@digest or id */
    const char *hostname;              /* NULL = Docker's (the id prefix) */
    const char *const *env;            /* "KEY=VALUE" */
    const char *const *cmd;            /* NULL = the image's CMD */
    const char *const *entrypoint;     /* NULL = the image's ENTRYPOINT */
    const char *const *labels;         /* "key=value" */
    long long memory;                  /* bytes, 0 = no limit */
    long long memory_swap;             /* bytes incl. memory; 0 = Docker's default
                                          (2 x memory), -1 = unlimited; set it equal
                                          to memory for no swap */
    int stop_timeout;                  /* seconds for `stop` before SIGKILL; <0 = Docker's 10 */
    const char *stop_signal;           /* NULL = the image's */
    const char *restart_policy;        /* "no" (NULL), "always", "unless-stopped",
                                          "on-failure" */
    int restart_max;                   /* on-failure: max retries, 0 = unlimited */
    const char *network;               /* NetworkMode and the one endpoint; NULL = default bridge */
    const char *const *aliases;        /* DNS aliases on that network */
    const char *ipv4_address;          /* pinned on that network (its IPAM must have a
                                          subnet of its user's); NULL = the engine's choice */
    const docker_mount *mounts;
    size_t n_mounts;
    docker_health health;
    const docker_port *ports;          /* published ports */
    size_t n_ports;
    bool init;                         /* HostConfig.Init (docker-init as PID 1) */
} docker_container_spec;

/* POST /containers/create?name=.  id may be NULL.  Name taken: 409
 * (docker_conflict); image missing: 404 (docker_not_found), the message
 * names the image. */
eng_status docker_container_create(eng_client *c, const docker_container_spec *spec, char *id,
                                   size_t id_len, eng_error *err);

/* POST /containers/{name}/start.  Already running (304) is success, with
 * *already = true (already may be NULL). */
eng_status docker_container_start(eng_client *c, const char *name, bool *already,
                                  eng_error *err);

/* POST /containers/{name}/stop?t=: SIGTERM (or the stop signal), then SIGKILL
 * after timeout_s (<0 = the container's StopTimeout).  Already stopped (304)
 * is success.  The request waits the whole timeout if need be. */
eng_status docker_container_stop(eng_client *c, const char *name, int timeout_s,
                                 eng_error *err);

/* Make container `name` again from `image`, with everything its creator
 * gave it: its Config (environment, labels, hostname...) less what it took
 * unchanged from its old image (the new image supplies its own ENV, labels,
 * CMD, healthcheck...), its HostConfig (mounts, ports, restart policy,
 * limits) and its network with its aliases.  The container must be stopped;
 * it is removed (its named volumes stay) and created again, not started.
 * old_image (may be NULL) gets the id of the image it ran. */
eng_status docker_container_recreate(eng_client *c, const char *name, const char *image,
                                     char *old_image, size_t old_len, eng_error *err);

/* DELETE /containers/{name}?force=&v=.  v removes anonymous volumes only
 * (named volumes stay).  404 when missing. */
eng_status docker_container_remove(eng_client *c, const char *name, bool force, bool volumes,
                                   eng_error *err);

typedef struct {
    char id[DOCKER_ID_MAX];
    char name[DOCKER_NAME_MAX];        /* without the leading '/' */
    char image[DOCKER_ID_MAX];         /* image id */
    char image_ref[DOCKER_NAME_MAX];   /* Config.Image as created */
    char hostname[DOCKER_NAME_MAX];
    char status[16];                   /* "created", "running", "exited", "restarting"... */
    bool running;
    bool restarting;
    int exit_code;
    bool oom_killed;
    int pid;
    char error[256];                   /* State.Error */
    char health[16];                   /* "starting", "healthy", "unhealthy"; "" = no healthcheck */
    char health_log[512];              /* output of the last health probe, "" if none */
    char started_at[40], finished_at[40];
    int restart_count;
    char ip[64];                       /* on the network asked for, or the first one; "" if none */
    char network[DOCKER_NAME_MAX];     /* the network `ip` is on */
    long long memory;                  /* HostConfig.Memory */
    char **labels;                     /* "key=value", NULL-terminated (never NULL after success) */
    char **env;                        /* Config.Env, NULL-terminated */
} docker_container_info;

/* GET /containers/{name}/json.  `network` (may be NULL) picks whose IP goes
 * in out->ip.  404 when missing. */
eng_status docker_container_inspect(eng_client *c, const char *name, const char *network,
                                    docker_container_info *out, eng_error *err);
void docker_container_info_free(docker_container_info *info);

/* GET /containers/{name}/logs?stdout=1&stderr=1&tail=N (tail <= 0: all),
 * frames decoded into *out (stream_output_free it).  A TTY container's log is
 * raw text: it lands in out->out and out->both. */
eng_status docker_container_logs(eng_client *c, const char *name, int tail, stream_output *out,
                                 eng_error *err);

typedef struct {
    char id[DOCKER_ID_MAX];
    char name[DOCKER_NAME_MAX];        /* first name, without '/' */
    char image[DOCKER_NAME_MAX];
    char state[16];                    /* "running", "exited"... */
    char status[128];                  /* "Up 3 minutes (healthy)" */
    char **labels;                     /* "key=value", NULL-terminated */
} docker_container_summary;

/* GET /containers/json?all=&filters={"label":[...]}: containers carrying
 * every label filter ("key" or "key=value").  *out is an array of *n
 * (free with docker_container_list_free). */
eng_status docker_container_list(eng_client *c, const char *const *label_filters, bool all,
                                 docker_container_summary **out, size_t *n, eng_error *err);
void docker_container_list_free(docker_container_summary *list, size_t n);

/* GET /networks or /volumes (kind "networks" or "volumes") with
 * filters={"label":[...]}: the names of those carrying every label filter.
 * *names is NULL-terminated, *n names long (free with docker_names_free). */
eng_status docker_names_by_label(eng_client *c, const char *kind, const char *const *label_filters,
                                 char ***names, size_t *n, eng_error *err);
void docker_names_free(char **names);

/* The value of label `key` in a "key=value" list, NULL if absent. */
const char *docker_label_get(char *const *labels, const char *key);

/* ------------------------------------------------------------------------ */
/* Exec                                                                     */

typedef struct {
    int exit_code;           /* the command's exit status (126/127: could not run) */
    stream_output output;    /* stdout, stderr, both */
} docker_exec_result;

/* Run cmd in a running container (exec create, start attached, inspect):
 * env "KEY=VALUE" adds to the container's environment, user NULL = the
 * container's.  timeout_ms bounds the whole exec (0 = none); on time-out
 * ENG_ERR_TIMEOUT (the process may still run inside the container).  The
 * command's own failure is NOT an error: look at out->exit_code.  A container
 * that is not running is ENG_ERR_HTTP 409.  Free with docker_exec_result_free. */
eng_status docker_exec(eng_client *c, const char *container, const char *const *cmd,
                       const char *const *env, const char *user, long timeout_ms,
                       docker_exec_result *out, eng_error *err);
void docker_exec_result_free(docker_exec_result *r);

/* Start cmd in a running container and return at once (exec create, start
 * detached: its output is not kept); exec_id (DOCKER_ID_MAX) is for
 * docker_exec_poll.  For commands run in several containers at the same time. */
eng_status docker_exec_detached(eng_client *c, const char *container, const char *const *cmd,
                                const char *const *env, char *exec_id, eng_error *err);

/* GET /exec/{id}/json: *running until the process has ended, then its
 * *exit_code (-1 while running). */
eng_status docker_exec_poll(eng_client *c, const char *exec_id, bool *running, int *exit_code,
                            eng_error *err);

/* ------------------------------------------------------------------------ */
/* Swarm mode (multi-host)                                                  */

typedef struct {
    char id[DOCKER_ID_MAX];
    char hostname[DOCKER_NAME_MAX];
    char role[16];           /* "manager", "worker" */
    char state[16];          /* Status.State: "ready", "down" */
    char availability[16];   /* "active", "pause", "drain" */
    char addr[64];           /* Status.Addr */
} docker_node;

/* GET /nodes (manager only; 503 elsewhere). */
eng_status docker_node_list(eng_client *c, docker_node **out, size_t *n, eng_error *err);

/* A swarm secret given to a service's containers as /run/secrets/<target>
 * (root's, mode 0400). */
typedef struct {
    const char *id;
    const char *name;
    const char *target;
} docker_secret_ref;

/* POST /secrets/create: secret `name` holding len bytes of data, labelled;
 * its ID into id.  A name taken is 409 (docker_conflict). */
eng_status docker_secret_create(eng_client *c, const char *name, const void *data, size_t len,
                                const char *const *labels, char *id, size_t id_len, eng_error *err);
/* GET /secrets/{name}: its ID, or *exists false (404 is not an error). */
eng_status docker_secret_find(eng_client *c, const char *name, char *id, size_t id_len,
                              bool *exists, eng_error *err);
/* DELETE /secrets/{name}. */
eng_status docker_secret_remove(eng_client *c, const char *name, eng_error *err);

typedef struct {
    const char *name;                  /* required */
    const char *image;                 /* pin as repo@sha256:... */
    const char *hostname;
    const char *const *env;
    const char *const *args;           /* ContainerSpec.Args (after the ENTRYPOINT) */
    const char *const *labels;         /* service labels, and container labels too */
    long long memory;                  /* Resources.Limits.MemoryBytes, 0 = none */
    int stop_timeout;                  /* ContainerSpec.StopGracePeriod, seconds; <0 = default */
    const char *const *constraints;    /* Placement.Constraints ("node.id==...") */
    const char *spread;                /* Placement.Preferences spread descriptor, NULL = none */
    const char *network;               /* attachable overlay to join */
    const char *const *aliases;
    const docker_mount *mounts;        /* named volumes are per swarm node */
    size_t n_mounts;
    const docker_secret_ref *secrets;  /* ContainerSpec.Secrets */
    size_t n_secrets;
    docker_health health;
    const char *restart_condition;     /* "none", "on-failure", "any" (NULL = "any") */
    bool dnsrr;                        /* EndpointSpec.Mode "dnsrr" (Cassandra needs it) */
    const char *auth_config;           /* for X-Registry-Auth, NULL = default file */
} docker_service_spec;

/* POST /services/create with one replica (X-Registry-Auth sent).  id may be
 * NULL.  Name taken: 409. */
eng_status docker_service_create(eng_client *c, const docker_service_spec *spec, char *id,
                                 size_t id_len, eng_error *err);

/* POST /services/{id}/update: the service's spec as it is, with
 * ContainerSpec.Image = image (X-Registry-Auth sent); swarm replaces its
 * task.  old_image (may be NULL) gets the image it had, "" when nothing
 * changed. */
eng_status docker_service_set_image(eng_client *c, const char *name, const char *image,
                                   const char *auth_config, char *old_image, size_t old_len,
                                   eng_error *err);

/* DELETE /services/{name}.  404 when missing. */
eng_status docker_service_remove(eng_client *c, const char *name, eng_error *err);

typedef struct {
    char id[DOCKER_ID_MAX];
    char name[DOCKER_NAME_MAX];
    char image[2 * DOCKER_NAME_MAX];  /* ContainerSpec.Image (repo@digest as created) */
    int replicas;                     /* Mode.Replicated.Replicas, -1 if not replicated */
    char **labels;                    /* Spec.Labels "key=value", NULL-terminated */
    char **constraints;               /* Placement.Constraints, NULL-terminated */
} docker_service_info;

/* GET /services/{name}.  404 when missing.  Free with docker_service_info_free. */
eng_status docker_service_inspect(eng_client *c, const char *name, docker_service_info *out,
                                  eng_error *err);
void docker_service_info_free(docker_service_info *info);

/* GET /services?filters={"label":[...]}: services carrying every label filter.
 * Free with docker_service_list_free. */
eng_status docker_service_list(eng_client *c, const char *const *label_filters,
                               docker_service_info **out, size_t *n, eng_error *err);
void docker_service_list_free(docker_service_info *list, size_t n);

typedef struct {
    char id[DOCKER_ID_MAX];
    char service_id[DOCKER_ID_MAX];
    char node_id[DOCKER_ID_MAX];
    char state[16];           /* Status.State: "new"... "running", "rejected", "failed" */
    char desired_state[16];
    char message[256];        /* Status.Message */
    char error[512];          /* Status.Err (why a task was rejected) */
    char container_id[DOCKER_ID_MAX]; /* Status.ContainerStatus.ContainerID */
    int exit_code;
    char addr[64];            /* first address on the network asked for, without /prefix */
    char updated_at[40];
    char image[2 * DOCKER_NAME_MAX]; /* Spec.ContainerSpec.Image: what it runs */
} docker_task;

/* GET /tasks?filters={"service":[service]}: the service's tasks, newest
 * first.  `network` (may be NULL) picks whose address goes in addr.  Free
 * with free(). */
eng_status docker_task_list(eng_client *c, const char *service, const char *network,
                            docker_task **out, size_t *n, eng_error *err);

#endif
