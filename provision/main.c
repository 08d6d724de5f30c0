/*
 * cass-provision: build the cass-entry image, push it to a registry, and run
 * a Cassandra cluster from it, all through the Docker Engine API.
 *
 * main reads like the table of contents: parse the command line, connect to
 * the engine as the docker CLI would (DOCKER_HOST, DOCKER_TLS_VERIFY, ...),
 * run one command, print its error once.  The work is in provision/cluster
 * (up, status, down on one engine), provision/swarm (the same on a swarm, when
 * DOCKER_HOST is a swarm manager) and provision/docker (build, tag, push).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cassandra_version.h" /* generated from image/cassandra.version */
#include "provision/cluster.h"
#include "provision/pki.h"
#include "provision/docker.h"
#include "provision/engine.h"
#include "provision/swarm.h"
#include "provision/secretfile.h"

#define PROG "cass-provision"
#define DEFAULT_IMAGE "cass-entry:" CASSANDRA_VERSION /* what image/build.sh builds */
#define DEFAULT_BASE "cass-entry/cassandra:" CASSANDRA_VERSION
#define DEFAULT_REGISTRY "127.0.0.1:5000"
#define DEFAULT_REPO "cass-entry"               /* the name in the registry */

static const char usage_text[] =
    "Usage: " PROG " COMMAND [OPTIONS]\n"
    "\n"
    "Builds the cass-entry image, pushes it to a registry and runs a Cassandra\n"
    "cluster from it on a Docker engine, through the Engine API.\n"
    "\n"
    "Commands:\n"
    "  build    build an image (default: the product image from the repository's\n"
    "           Dockerfile) from a context sent as a tar stream\n"
    "  import [--change INSTRUCTION]... IMAGE  a root filesystem tar on standard\n"
    "           input becomes IMAGE (as docker import)\n"
    "  image-label IMAGE KEY  print the image's label KEY (exit 4: no such image)\n"
    "  push     tag the image for the registry and push it; prints the digest\n"
    "  up       create or complete the cluster; ends with the ring table\n"
    "  status   the ring table of a running cluster\n"
    "  restart  a rolling restart: each node drained, stopped, started and ready\n"
    "           (UN, CQL) before the next (--stop-timeout, --timeout, --poll; on a\n"
    "           swarm, --engine for each host)\n"
    "  upgrade --image IMAGE  a rolling upgrade: each node not on IMAGE yet (the\n"
    "           first is the canary) drained, stopped, made again from IMAGE with\n"
    "           the rest of its container as it was and its data, and ready (UN,\n"
    "           CQL) before the next; a node that fails on IMAGE is rolled back to\n"
    "           its image and the upgrade stops there (on a swarm: each service's\n"
    "           image updated, by digest; --engine for each host)\n"
    "  remove NODE  a scale-down: NODE (the highest-numbered, not a seed; cass4 or 4)\n"
    "           decommissioned (its data streamed to the others), then removed with\n"
    "           its data volume; refused when a keyspace's replication factor would\n"
    "           exceed the nodes that remain (--timeout, --poll, --stop-timeout;\n"
    "           on a swarm, --engine for each host)\n"
    "  replace NODE  a dead node (stopped or gone; not a seed) replaced on a new\n"
    "           volume: the new node takes the dead one's place in the ring\n"
    "           (replace_address_first_boot) and streams its data from the others;\n"
    "           give it up's options (image, -e, --tls...); on a swarm, --engine too\n"
    "  down     drain and remove the cluster (data volumes kept)\n"
    "\n"
    "build [--context DIR] [--dockerfile FILE] [--base-image IMAGE] [-t IMAGE]...\n"
    "      [--build-arg K=V]... [--label K=V]... [--no-cache] [--quiet]\n"
    "  --context DIR       build context (default .: the repository's root)\n"
    "  --base-image IMAGE  BASE_IMAGE build argument (default " DEFAULT_BASE ")\n"
    "  --build-arg K=V     another build argument, repeatable\n"
    "  --label K=V         a label of the result, repeatable\n"
    "  -t, --tag IMAGE     name of the result, repeatable (default " DEFAULT_IMAGE ")\n"
    "\n"
    "push [--image IMAGE] [--registry HOST:PORT] [--repo NAME[:TAG]] [--digest-file FILE]\n"
    "  --image IMAGE       the local image to push (default " DEFAULT_IMAGE ")\n"
    "  --registry R        default " DEFAULT_REGISTRY "; credentials, when needed, come\n"
    "                      from the docker config file ($DOCKER_CONFIG/config.json or\n"
    "                      ~/.docker/config.json): its credential helper (credHelpers,\n"
    "                      credsStore: docker-credential-NAME get) or its \"auths\"\n"
    "  --repo NAME[:TAG]   name in the registry (default " DEFAULT_REPO ":<the image's tag>)\n"
    "  --digest-file FILE  write REGISTRY/NAME@sha256:... there\n"
    "\n"
    "up [-n N] [--image IMAGE] [--registry R] [--sequential|--fresh] [--seeds LIST] [options]\n"
    "  -n, --nodes N         nodes wanted (default 3).  A brand-new cluster (no node, no\n"
    "                        data volume) starts all at once, each node a seed with its\n"
    "                        own interleaved initial tokens and auto_bootstrap false;\n"
    "                        nodes added to an existing cluster join one at a time,\n"
    "                        each once the one before is UN and answers CQL\n"
    "  --image IMAGE         node image (default REGISTRY/" DEFAULT_REPO ":" CASSANDRA_VERSION ", pulled\n"
    "                        from the registry when missing)\n"
    "  --sequential          new nodes one at a time even on a brand-new cluster\n"
    "  --fresh               insist on the all-at-once start: an error over kept data\n"
    "                        volumes or with -e CASSANDRA_NUM_TOKENS\n"
    "  --seeds LIST          seed list (default <prefix>1)\n"
    "  --cluster-name NAME   (default cass-entry)\n"
    "  --dc DC, --rack RACK  data centre and rack of new nodes\n"
    "  --num-tokens T        tokens per node (default 16)\n"
    "  --memory SIZE         memory limit per node, e.g. 1.5g (default 1.5g; no swap)\n"
    "  --stop-timeout S      seconds `docker stop` waits (default 120)\n"
    "  --restart POLICY      no, unless-stopped (default), always, on-failure\n"
    "  -e, --env KEY=VALUE   extra node environment, repeatable (cass-entry reads\n"
    "                        CASSANDRA_* and CASSANDRA_CFG_YAML_<KEY>)\n"
    "  --jvm-extra-opts OPTS JVM_EXTRA_OPTS of the nodes\n"
    "  --publish[=N[:PORT]]  publish node N's CQL port (default 1) on 127.0.0.1:PORT\n"
    "                        (default 9042)\n"
    "  --timeout S           readiness limit per node (default 300)\n"
    "  --poll S              nodetool status at most every S seconds (default 3)\n"
    "  --auth                a superuser instead of cassandra/cassandra: its password is\n"
    "                        made once (random, mode 0600) and kept with the cluster in\n"
    "                        ~/.cass-provision/<prefix>/superuser-password; the nodes get\n"
    "                        it as CASSANDRA_PASSWORD_FILE (a read-only bind mount; on a\n"
    "                        swarm, the secret <prefix>-superuser-password), and\n"
    "                        cass-entry's first start replaces the default superuser\n"
    "  --user NAME           the superuser of --auth (default admin)\n"
    "  --password-file FILE  another place for that password (absolute; made if missing)\n"
    "  --tls                 every connection encrypted: a CA of the cluster and a\n"
    "                        certificate per node (RSA 2048, its name as CN and DNS name),\n"
    "                        made once, mode 0600, kept in ~/.cass-provision/<prefix>/tls\n"
    "                        with client.pem/client-key.pem for your clients; the nodes\n"
    "                        get them as read-only bind mounts: internode encryption all,\n"
    "                        client encryption required with a client certificate (mTLS);\n"
    "                        on a swarm, as the secrets <node>-tls-cert, <node>-tls-key\n"
    "                        and <prefix>-tls-ca\n"
    "  --tls-dir DIR         another place for them (absolute)\n"
    "\n"
    "On a swarm (DOCKER_HOST is a swarm manager), each node is a service pinned to\n"
    "one swarm node, on an attachable overlay network; the image must be pinned by\n"
    "digest or resolvable in a registry every swarm node reaches:\n"
    "  --engine HOST         DOCKER_HOST of another swarm node's engine, repeatable:\n"
    "                        nodes are checked through exec where they run, so only\n"
    "                        swarm nodes whose engine is known (and the manager) get\n"
    "                        Cassandra nodes (up, status, down)\n"
    "  --place LIST          swarm nodes (host name or id), comma-separated, for new\n"
    "                        nodes in turn (default: spread, the fewest nodes first);\n"
    "                        a node whose data volume exists goes back to its host\n"
    "  --schedule-timeout S  how long a task may wait for a swarm node (default 120)\n"
    "  --no-swarm            on a swarm manager, run plain containers on it instead\n"
    "\n"
    "Options of up, status, restart, upgrade, remove, replace and down:\n"
    "  --prefix P        names: P1..PN, P1-data.., P-net (default cass)\n"
    "  --network NAME    the bridge network (default <prefix>-net)\n"
    "  --volumes         down: remove the data volumes too\n"
    "\n"
    "The engine is found like the docker CLI finds it: DOCKER_HOST, DOCKER_TLS_VERIFY,\n"
    "DOCKER_TLS, DOCKER_CERT_PATH, DOCKER_API_VERSION.\n"
    "\n"
    "Exit status: 0 done; 1 failed (a node not ready, a build or push error);\n"
    "2 bad usage; 3 the engine can't be reached; 4 the image is missing.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '" PROG " --help'.\n");
    va_end(ap);
    return PROV_EXIT_USAGE;
}

/* getopt_long's complaint, said once, naming the program, the command and
 * the option (getopt's own would say "up: unrecognized option"; opterr is 0). */
static int bad_option(const char *cmd, const char *optstring, char *const argv[])
{
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    bool known = optopt > 255 || (optopt > 0 && strchr(optstring, optopt));
    if (known)
        return usage_error("%s: option '%s' needs a value", cmd, word);
    if (optopt > 0 && word[0] == '-' && word[1] != '-')
        return usage_error("%s: unknown option '-%c'", cmd, optopt);
    return usage_error("%s: unknown option '%s'", cmd, word);
}

static int report(const prov_error *err)
{
    fprintf(stderr, PROG ": error: %s\n", err->message);
    return err->exit_code ? err->exit_code : PROV_EXIT_FAIL;
}

/* "1.5g", "1536m", "2G", "1073741824" -> bytes; -1 when malformed. */
static long long parse_size(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    double mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end)
        return -1;
    return (long long)(v * mult);
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max || s[0] == '-')
        return false;
    *out = (unsigned)v;
    return true;
}

/* The engine client from DOCKER_* (a bad value is an engine error: exit 3). */
static int connect_client(eng_client **c, prov_error *err)
{
    eng_env env;
    eng_config cfg;
    eng_error e;
    eng_env_from_environ(&env);
    if (eng_config_from_env(&cfg, &env, &e) != ENG_OK ||
        eng_client_new(&cfg, c, &e) != ENG_OK)
        return prov_fail_engine(err, &e, "Docker engine settings");
    return 0;
}

/* ---- build ---------------------------------------------------------------- */

static void build_progress(const stream_event *ev, void *ud)
{
    bool quiet = *(const bool *)ud;
    if (!quiet && ev->stream) {
        fputs(ev->stream, stdout);
        fflush(stdout);
    }
}

static int cmd_build(int argc, char **argv)
{
    static const struct option opts[] = {
        {"context", required_argument, NULL, 'C'}, {"dockerfile", required_argument, NULL, 'f'},
        {"base-image", required_argument, NULL, 'b'}, {"tag", required_argument, NULL, 't'},
        {"no-cache", no_argument, NULL, 'N'}, {"quiet", no_argument, NULL, 'q'},
        {"build-arg", required_argument, NULL, 'A'}, {"label", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *context = ".", *dockerfile = NULL, *base = DEFAULT_BASE;
    const char *tags[17] = {NULL};
    size_t n_tags = 0;
    /* KEY=VALUE lists; the first build argument is BASE_IMAGE (see below). */
    const char *buildargs[18] = {NULL}, *labels[17] = {NULL};
    size_t n_args = 1, n_labels = 0;
    bool no_cache = false, quiet = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "t:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'C': context = optarg; break;
        case 'f': dockerfile = optarg; break;
        case 'b': base = optarg; break;
        case 't':
            if (n_tags == 16)
                return usage_error("build: at most 16 tags");
            tags[n_tags++] = optarg;
            break;
        case 'N': no_cache = true; break;
        case 'q': quiet = true; break;
        case 'A':
        case 'L':
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return usage_error("build: --%s '%s': expected KEY=VALUE",
                                   ch == 'A' ? "build-arg" : "label", optarg);
            if (ch == 'A' && n_args == 17)
                return usage_error("build: at most 16 --build-arg");
            if (ch == 'L' && n_labels == 16)
                return usage_error("build: at most 16 --label");
            if (ch == 'A')
                buildargs[n_args++] = optarg;
            else
                labels[n_labels++] = optarg;
            break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: return bad_option("build", "t:qh", argv);
        }
    }
    if (optind < argc)
        return usage_error("build: unexpected argument '%s'", argv[optind]);
    if (n_tags == 0)
        tags[n_tags++] = DEFAULT_IMAGE;
    char buildarg[1024];
    snprintf(buildarg, sizeof buildarg, "BASE_IMAGE=%s", base);
    buildargs[0] = buildarg;
    docker_build_opts bo = {.context_dir = context, .dockerfile = dockerfile, .tags = tags,
                            .buildargs = buildargs, .labels = n_labels ? labels : NULL,
                            .no_cache = no_cache, .progress = build_progress, .ud = &quiet};
    prov_error err = {0};
    eng_client *c = NULL;
    if (connect_client(&c, &err) != 0)
        return report(&err);
    eng_error e;
    char id[DOCKER_ID_MAX] = "";
    if (docker_ping(c, NULL, &e) != ENG_OK) {
        prov_fail_engine(&err, &e, "the Docker engine does not answer");
    } else if (docker_image_build(c, &bo, id, sizeof id, &e) != ENG_OK) {
        prov_fail_engine(&err, &e, "building %s from %s", tags[0], context);
    }
    eng_client_free(c);
    if (err.message[0])
        return report(&err);
    printf("built %s (%s) on %s\n", tags[0], id[0] ? id : "id not reported", base);
    return 0;
}

/* ---- import ----------------------------------------------------------------- */

/* import [--change INSTRUCTION]... IMAGE: a root filesystem tar on standard
 * input becomes IMAGE (what image/build-base.sh makes with debootstrap). */
static int cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {
        {"change", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *changes[33] = {NULL};
    size_t n = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            if (n == 32)
                return usage_error("import: at most 32 --change");
            changes[n++] = optarg;
            break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: return bad_option("import", "c:h", argv);
        }
    }
    if (optind + 1 != argc)
        return usage_error("import: usage: " PROG " import [--change INSTRUCTION]... IMAGE < ROOTFS.tar");
    char name[512];
    snprintf(name, sizeof name, "%s", argv[optind]);
    const char *tag = "latest";
    char *colon = strrchr(name, ':');
    if (colon && !strchr(colon, '/')) {
        *colon = '\0';
        tag = colon + 1;
    }
    if (isatty(STDIN_FILENO))
        return usage_error("import: the root filesystem tar comes on standard input");
    prov_error err = {0};
    eng_client *c = NULL;
    if (connect_client(&c, &err) != 0)
        return report(&err);
    eng_error e;
    if (docker_ping(c, NULL, &e) != ENG_OK)
        prov_fail_engine(&err, &e, "the Docker engine does not answer");
    else if (docker_image_import(c, stdin, name, tag, changes, &e) != ENG_OK)
        prov_fail_engine(&err, &e, "importing %s", argv[optind]);
    eng_client_free(c);
    if (err.message[0])
        return report(&err);
    printf("imported %s:%s\n", name, tag);
    return 0;
}

/* ---- image-label -------------------------------------------------------- */

/* The scripts' cache check (is the image there, built from these inputs?)
 * without the docker CLI: prints the label's value, an empty line when the
 * image has no such label; exit 4 when there is no such image. */
static int cmd_image_label(int argc, char **argv)
{
    if (argc != 3 || argv[1][0] == '-')
        return usage_error("image-label: usage: " PROG " image-label IMAGE KEY");
    const char *image = argv[1], *key = argv[2];
    prov_error err = {0};
    eng_client *c = NULL;
    if (connect_client(&c, &err) != 0)
        return report(&err);
    eng_error e;
    docker_image_info info;
    eng_status st = docker_image_inspect(c, image, &info, &e);
    if (st == ENG_OK) {
        const char *v = docker_label_get(info.labels, key);
        printf("%s\n", v ? v : "");
        docker_image_info_free(&info);
    } else if (docker_not_found(&e)) {
        prov_fail(&err, PROV_EXIT_IMAGE, "image %s is not on the engine", image);
    } else {
        prov_fail_engine(&err, &e, "inspecting image %s", image);
    }
    eng_client_free(c);
    return err.message[0] ? report(&err) : 0;
}

/* ---- push ----------------------------------------------------------------- */

static void push_progress(const stream_event *ev, void *ud)
{
    (void)ud;
    /* One line per layer event that says something ("Pushed", "Layer already
     * exists"), not the progress bars. */
    if (ev->status && ev->id && !ev->progress && ev->current < 0) {
        printf("  %s: %s\n", ev->id, ev->status);
        fflush(stdout);
    } else if (ev->warning) {
        fflush(stdout);
        fprintf(stderr, "cass-provision: warning: %s\n", ev->warning);
    }
}

static int cmd_push(int argc, char **argv)
{
    static const struct option opts[] = {
        {"image", required_argument, NULL, 'i'}, {"registry", required_argument, NULL, 'r'},
        {"repo", required_argument, NULL, 'R'}, {"digest-file", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *image = DEFAULT_IMAGE, *registry = DEFAULT_REGISTRY, *repo_opt = NULL;
    const char *digest_file = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'i': image = optarg; break;
        case 'r': registry = optarg; break;
        case 'R': repo_opt = optarg; break;
        case 'd': digest_file = optarg; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: return bad_option("push", "h", argv);
        }
    }
    if (optind < argc)
        return usage_error("push: unexpected argument '%s'", argv[optind]);
    /* REGISTRY/NAME:TAG; the tag defaults to the local image's */
    const char *colon = strrchr(image, ':');
    const char *image_tag = colon && !strchr(colon, '/') ? colon + 1 : "latest";
    char name[512], repo[768];
    snprintf(name, sizeof name, "%s", repo_opt ? repo_opt : DEFAULT_REPO);
    char *tcolon = strrchr(name, ':');
    const char *tag = image_tag;
    if (tcolon && !strchr(tcolon, '/')) {
        *tcolon = '\0';
        tag = tcolon + 1;
    }
    snprintf(repo, sizeof repo, "%s/%s", registry, name);

    prov_error err = {0};
    eng_client *c = NULL;
    if (connect_client(&c, &err) != 0)
        return report(&err);
    eng_error e;
    char digest[DOCKER_ID_MAX] = "";
    if (docker_ping(c, NULL, &e) != ENG_OK) {
        prov_fail_engine(&err, &e, "the Docker engine does not answer");
    } else if (docker_image_tag(c, image, repo, tag, &e) != ENG_OK) {
        prov_fail_engine(&err, &e, "tagging %s as %s:%s", image, repo, tag);
        if (docker_not_found(&e)) {
            err.exit_code = PROV_EXIT_IMAGE;
            snprintf(err.message, sizeof err.message,
                     "image %s is not on the engine: build it first (" PROG " build)", image);
        }
    } else {
        printf("pushing %s:%s to %s\n", repo, tag, registry);
        fflush(stdout);
        if (docker_image_push(c, repo, tag, NULL, push_progress, NULL, digest, sizeof digest,
                              &e) != ENG_OK) {
            prov_fail_engine(&err, &e, "push failed");
            if (e.code == ENG_ERR_STREAM)
                snprintf(err.message + strlen(err.message),
                         sizeof err.message - strlen(err.message),
                         " (is the registry at %s running and reachable from the engine?)",
                         registry);
        }
    }
    eng_client_free(c);
    if (err.message[0])
        return report(&err);
    printf("pushed %s:%s\ndigest %s\nimage %s@%s\n", repo, tag, digest, repo, digest);
    if (digest_file) {
        FILE *f = fopen(digest_file, "w");
        if (!f || fprintf(f, "%s@%s\n", repo, digest) < 0 || fclose(f) != 0) {
            fprintf(stderr, PROG ": error: writing %s: %s\n", digest_file, strerror(errno));
            return PROV_EXIT_FAIL;
        }
    }
    return 0;
}

/* ---- up, status, down ----------------------------------------------------- */

enum {
    OPT_PREFIX = 256, OPT_NETWORK, OPT_IMAGE, OPT_REGISTRY, OPT_FRESH, OPT_SEEDS,
    OPT_CLUSTER_NAME, OPT_DC, OPT_RACK, OPT_NUM_TOKENS, OPT_MEMORY, OPT_STOP_TIMEOUT,
    OPT_RESTART, OPT_JVM, OPT_PUBLISH, OPT_TIMEOUT, OPT_POLL, OPT_VOLUMES,
    OPT_ENGINE, OPT_PLACE, OPT_SCHEDULE_TIMEOUT, OPT_NO_SWARM, OPT_SEQUENTIAL,
    OPT_AUTH, OPT_USER, OPT_PASSWORD_FILE, OPT_TLS, OPT_TLS_DIR
};

/* "a,b,,c" -> {"a", "b", "c", NULL} in place (buf is modified); at most max. */
static size_t split_list(char *buf, const char **out, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok && n < max;
         tok = strtok_r(NULL, ", ", &save))
        out[n++] = tok;
    out[n] = NULL;
    return n;
}

static int cmd_cluster(const char *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"nodes", required_argument, NULL, 'n'}, {"env", required_argument, NULL, 'e'},
        {"prefix", required_argument, NULL, OPT_PREFIX},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"image", required_argument, NULL, OPT_IMAGE},
        {"registry", required_argument, NULL, OPT_REGISTRY},
        {"fresh", no_argument, NULL, OPT_FRESH}, {"seeds", required_argument, NULL, OPT_SEEDS},
        {"sequential", no_argument, NULL, OPT_SEQUENTIAL},
        {"cluster-name", required_argument, NULL, OPT_CLUSTER_NAME},
        {"dc", required_argument, NULL, OPT_DC}, {"rack", required_argument, NULL, OPT_RACK},
        {"num-tokens", required_argument, NULL, OPT_NUM_TOKENS},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
        {"restart", required_argument, NULL, OPT_RESTART},
        {"jvm-extra-opts", required_argument, NULL, OPT_JVM},
        {"publish", optional_argument, NULL, OPT_PUBLISH},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"poll", required_argument, NULL, OPT_POLL},
        {"volumes", no_argument, NULL, OPT_VOLUMES},
        {"engine", required_argument, NULL, OPT_ENGINE},
        {"place", required_argument, NULL, OPT_PLACE},
        {"schedule-timeout", required_argument, NULL, OPT_SCHEDULE_TIMEOUT},
        {"no-swarm", no_argument, NULL, OPT_NO_SWARM},
        {"auth", no_argument, NULL, OPT_AUTH}, {"user", required_argument, NULL, OPT_USER},
        {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
        {"tls", no_argument, NULL, OPT_TLS}, {"tls-dir", required_argument, NULL, OPT_TLS_DIR},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    cluster_opts o;
    cluster_opts_init(&o);
    swarm_opts so;
    swarm_opts_init(&so, &o);
    enum { MAX_ENGINES = 64, MAX_PLACE = CLUSTER_MAX_NODES };
    const char *engines[MAX_ENGINES + 1] = {NULL}, *place[MAX_PLACE + 1] = {NULL};
    char place_buf[4096] = "";
    size_t n_engines = 0;
    bool no_swarm = false, auth = false, tls = false;
    const char *tls_dir_opt = NULL;
    char tls_dir[4096];
    const char *auth_user = NULL, *password_file = NULL;
    char password_path[4096];
    bool is_up = strcmp(cmd, "up") == 0, is_down = strcmp(cmd, "down") == 0;
    bool is_restart = strcmp(cmd, "restart") == 0, is_remove = strcmp(cmd, "remove") == 0;
    bool is_replace = strcmp(cmd, "replace") == 0, is_upgrade = strcmp(cmd, "upgrade") == 0;
    const char *registry = DEFAULT_REGISTRY, *image = NULL;
    const char **env = calloc((size_t)argc + 1, sizeof *env);
    size_t n_env = 0;
    if (!env) {
        fprintf(stderr, PROG ": error: out of memory\n");
        return PROV_EXIT_FAIL;
    }
    int ch, rc = 0;
    unsigned u;
    long long size;
    while (rc == 0 && (ch = getopt_long(argc, argv, "n:e:h", opts, NULL)) != -1) {
        /* options that only make sense for up, or down, are refused elsewhere */
        bool up_only = ch == 'n' || ch == 'e' || (ch >= OPT_IMAGE && ch <= OPT_POLL) ||
                       ch == OPT_PLACE || ch == OPT_SCHEDULE_TIMEOUT || ch == OPT_AUTH ||
                       ch == OPT_USER || ch == OPT_PASSWORD_FILE || ch == OPT_TLS ||
                       ch == OPT_TLS_DIR;
        bool restart_too = ch == OPT_STOP_TIMEOUT || ch == OPT_TIMEOUT || ch == OPT_POLL;
        bool upgrade_too = restart_too || ch == OPT_IMAGE || ch == OPT_REGISTRY;
        if ((up_only && !is_up && !is_replace && !((is_restart || is_remove) && restart_too) &&
             !(is_upgrade && upgrade_too)) ||
            (ch == OPT_VOLUMES && !is_down)) {
            rc = usage_error("this option is not one of %s's", cmd);
            break;
        }
        switch (ch) {
        case 'n':
            if (!parse_uint(optarg, CLUSTER_MAX_NODES, &o.nodes) || o.nodes == 0)
                rc = usage_error("-n '%s': expected a node count from 1 to 99", optarg);
            break;
        case 'e': env[n_env++] = optarg; break;
        case OPT_PREFIX: o.prefix = optarg; break;
        case OPT_NETWORK: o.network = optarg; break;
        case OPT_IMAGE: image = optarg; break;
        case OPT_REGISTRY: registry = optarg; break;
        case OPT_FRESH: o.fresh = true; break;
        case OPT_SEQUENTIAL: o.sequential = true; break;
        case OPT_SEEDS: o.seeds = optarg; break;
        case OPT_CLUSTER_NAME: o.cluster_name = optarg; break;
        case OPT_DC: o.dc = optarg; break;
        case OPT_RACK: o.rack = optarg; break;
        case OPT_NUM_TOKENS:
            if (!parse_uint(optarg, 1536, &o.num_tokens) || o.num_tokens == 0)
                rc = usage_error("--num-tokens '%s': expected 1 to 1536", optarg);
            break;
        case OPT_MEMORY:
            size = parse_size(optarg);
            if (size < 0 || (size > 0 && size < 512LL * 1024 * 1024))
                rc = usage_error("--memory '%s': expected a size of at least 512m (e.g. 1.5g), "
                                 "or 0 for no limit",
                                 optarg);
            o.memory = size;
            break;
        case OPT_STOP_TIMEOUT:
            if (!parse_uint(optarg, 3600, &u))
                rc = usage_error("--stop-timeout '%s': expected seconds (0 to 3600)", optarg);
            o.stop_timeout = (int)u;
            break;
        case OPT_RESTART:
            if (strcmp(optarg, "no") && strcmp(optarg, "always") &&
                strcmp(optarg, "unless-stopped") && strcmp(optarg, "on-failure"))
                rc = usage_error("--restart '%s': expected no, always, unless-stopped or "
                                 "on-failure",
                                 optarg);
            o.restart = optarg;
            break;
        case OPT_JVM: o.jvm_extra_opts = optarg; break;
        case OPT_PUBLISH:
            o.publish_node = 1;
            if (optarg) {
                char buf[64];
                snprintf(buf, sizeof buf, "%s", optarg);
                char *colon = strchr(buf, ':');
                if (colon)
                    *colon = '\0';
                if ((buf[0] && (!parse_uint(buf, CLUSTER_MAX_NODES, &o.publish_node) ||
                                o.publish_node == 0)) ||
                    (colon && (!parse_uint(colon + 1, 65535, &o.publish_port) ||
                               o.publish_port == 0)))
                    rc = usage_error("--publish='%s': expected NODE, NODE:PORT or :PORT", optarg);
                if (!buf[0])
                    o.publish_node = 1;
            }
            break;
        case OPT_TIMEOUT:
            if (!parse_uint(optarg, 86400, &u) || u == 0)
                rc = usage_error("--timeout '%s': expected seconds", optarg);
            o.node_timeout_s = (int)u;
            break;
        case OPT_POLL:
            if (!parse_uint(optarg, 600, &u) || u == 0)
                rc = usage_error("--poll '%s': expected seconds", optarg);
            o.poll_s = (int)u;
            break;
        case OPT_VOLUMES: o.volumes = true; break;
        case OPT_ENGINE:
            if (n_engines == MAX_ENGINES)
                rc = usage_error("--engine: at most %d engines", MAX_ENGINES);
            else
                engines[n_engines++] = optarg;
            break;
        case OPT_PLACE:
            snprintf(place_buf, sizeof place_buf, "%s", optarg);
            if (split_list(place_buf, place, MAX_PLACE) == 0)
                rc = usage_error("--place '%s': expected swarm node names or ids, comma-separated",
                                 optarg);
            break;
        case OPT_SCHEDULE_TIMEOUT:
            if (!parse_uint(optarg, 86400, &u) || u == 0)
                rc = usage_error("--schedule-timeout '%s': expected seconds", optarg);
            so.schedule_timeout_s = (int)u;
            break;
        case OPT_NO_SWARM: no_swarm = true; break;
        case OPT_AUTH: auth = true; break;
        case OPT_USER: auth_user = optarg; break;
        case OPT_PASSWORD_FILE: password_file = optarg; break;
        case OPT_TLS: tls = true; break;
        case OPT_TLS_DIR: tls_dir_opt = optarg; break;
        case 'h': fputs(usage_text, stdout); free(env); return 0;
        default: rc = bad_option(cmd, "n:e:h", argv); break;
        }
    }
    char remove_name[128] = "";
    if (rc == 0 && (is_remove || is_replace)) {
        if (optind >= argc)
            rc = usage_error("%s: which node? (e.g. %s4, or 4)", cmd, o.prefix);
        else if (argv[optind][0] && strspn(argv[optind], "0123456789") == strlen(argv[optind]))
            snprintf(remove_name, sizeof remove_name, "%s%s", o.prefix, argv[optind]);
        else
            snprintf(remove_name, sizeof remove_name, "%s", argv[optind]);
        optind++;
    }
    if (rc == 0 && optind < argc)
        rc = usage_error("unexpected argument '%s'", argv[optind]);
    if (rc == 0 && o.fresh && o.sequential)
        rc = usage_error("--fresh and --sequential ask for opposite starts: give one");
    if (rc == 0 && !auth && (auth_user || password_file))
        rc = usage_error("--user and --password-file go with --auth");
    if (rc == 0 && auth_user && (!*auth_user || strpbrk(auth_user, "\"'\n")))
        rc = usage_error("--user '%s': a role name without quotes", auth_user);
    if (rc == 0 && auth) {
        char why[512];
        bool created = false;
        if (password_file)
            snprintf(password_path, sizeof password_path, "%s", password_file);
        else if (secretfile_default_path(o.prefix, password_path, sizeof password_path) != 0)
            rc = usage_error("--auth: no place for the password file (set --password-file)");
        if (rc == 0 && password_path[0] != '/')
            rc = usage_error("--password-file '%s': an absolute path (the engine bind-mounts it)",
                             password_path);
        if (rc == 0 && secretfile_ensure(password_path, &created, why, sizeof why) != 0) {
            fprintf(stderr, PROG ": error: %s\n", why);
            rc = PROV_EXIT_USAGE;
        }
        if (rc == 0) {
            o.auth_user = auth_user ? auth_user : "admin";
            o.auth_password_file = password_path;
            fprintf(o.out, "superuser %s: its password is in %s (mode 0600%s)\n", o.auth_user,
                    password_path, created ? ", made now" : "");
        }
    }
    if (rc == 0 && tls_dir_opt && !tls)
        rc = usage_error("--tls-dir goes with --tls");
    if (rc == 0 && tls) {
        char why[512];
        bool created = false;
        if (tls_dir_opt)
            snprintf(tls_dir, sizeof tls_dir, "%s", tls_dir_opt);
        else if (pki_default_dir(o.prefix, tls_dir, sizeof tls_dir) != 0)
            rc = usage_error("--tls: no place for the certificates (set --tls-dir)");
        if (rc == 0 && tls_dir[0] != '/')
            rc = usage_error("--tls-dir '%s': an absolute path (the engine bind-mounts its files)",
                             tls_dir);
        if (rc == 0 && pki_ensure_ca(tls_dir, &created, why, sizeof why) != 0) {
            fprintf(stderr, PROG ": error: %s\n", why);
            rc = PROV_EXIT_USAGE;
        }
        if (rc == 0) {
            o.tls_dir = tls_dir;
            fprintf(o.out, "TLS: the cluster's CA%s and certificates are in %s (mode 0600); "
                           "clients connect with ca.pem, client.pem and client-key.pem\n",
                    created ? " (made now)" : "", tls_dir);
        }
    }
    if (rc != 0) {
        free(env);
        return rc;
    }
    o.env = n_env ? env : NULL;
    char default_image[512];
    snprintf(default_image, sizeof default_image, "%s/%s:%s", registry, DEFAULT_REPO, CASSANDRA_VERSION);
    o.image = image ? image : default_image;

    eng_env envs;
    eng_env_from_environ(&envs);
    so.env = &envs;
    so.engines = engines;
    so.place = place[0] ? place : NULL;

    prov_error err = {0};
    eng_client *c = NULL;
    bool manager = false;
    if (connect_client(&c, &err) == 0 && (no_swarm || swarm_detect(c, &manager, &err) == 0)) {
        if (!manager && (n_engines > 0 || so.place))
            rc = usage_error("--engine and --place are for a swarm, and %s is %s",
                             eng_client_config(c)->host,
                             no_swarm ? "used without swarm mode (--no-swarm)"
                                      : "not a swarm manager");
        else if (manager && is_remove)
            rc = swarm_remove(c, &so, remove_name, &err);
        else if (manager && is_replace)
            rc = swarm_replace(c, &so, remove_name, &err);
        else if (manager && is_upgrade)
            rc = swarm_upgrade(c, &so, &err);
        else if (manager && is_restart)
            rc = swarm_restart(c, &so, &err);
        else if (manager && is_up)
            rc = swarm_up(c, &so, &err);
        else if (manager && is_down)
            rc = swarm_down(c, &so, &err);
        else if (manager)
            rc = swarm_status(c, &so, &err);
        else if (is_up)
            rc = cluster_up(c, &o, &err);
        else if (is_down)
            rc = cluster_down(c, &o, &err);
        else if (is_restart)
            rc = cluster_restart(c, &o, &err);
        else if (is_remove)
            rc = cluster_remove(c, &o, remove_name, &err);
        else if (is_replace)
            rc = cluster_replace(c, &o, remove_name, &err);
        else if (is_upgrade)
            rc = cluster_upgrade(c, &o, &err);
        else
            rc = cluster_status(c, &o, &err);
    }
    eng_client_free(c);
    free(env);
    if (err.message[0])
        return report(&err);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return PROV_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    opterr = 0; /* bad_option says it, with our name */
    /* getopt_long sees the command's own options: argv[1] becomes argv[0] */
    argc--;
    argv++;
    if (!strcmp(cmd, "build"))
        return cmd_build(argc, argv);
    if (!strcmp(cmd, "push"))
        return cmd_push(argc, argv);
    if (!strcmp(cmd, "image-label"))
        return cmd_image_label(argc, argv);
    if (!strcmp(cmd, "import"))
        return cmd_import(argc, argv);
    if (!strcmp(cmd, "up") || !strcmp(cmd, "status") || !strcmp(cmd, "down") ||
        !strcmp(cmd, "restart") || !strcmp(cmd, "remove") || !strcmp(cmd, "replace") ||
        !strcmp(cmd, "upgrade"))
        return cmd_cluster(cmd, argc, argv);
    return usage_error("unknown command '%s' (build, push, import, image-label, up, status, "
                       "restart, upgrade, remove, replace, down)", cmd);
}
