/*
 * engine-cli: a thin command line over provision/docker, for the engine
 * integration suite (tests/suites/engine.sh).  Connects with DOCKER_HOST &
 * co. like cass-provision.
 *
 *   engine-cli ping                       "api 1.41 server 20.10.24"
 *   engine-cli info                       swarm state of the engine
 *   engine-cli build DIR TAG [DOCKERFILE] progress on stderr, image id on stdout
 *   engine-cli tag SOURCE REPO TAG
 *   engine-cli push REPO TAG              progress on stderr, digest on stdout
 *   engine-cli image NAME                 "id <id> healthcheck <none|set|>"
 *   engine-cli run NAME IMAGE [CMD...]    create (label io.cass-entry.test=engine,
 *                                         64 MiB, stop timeout 3 s) and start
 *   engine-cli inspect NAME [NETWORK]     "status S running R exit N oom O ip IP"
 *   engine-cli logs NAME TAIL             stdout and stderr, in order
 *   engine-cli exec CONTAINER CMD...      its stdout/stderr; exits with its code
 *   engine-cli exec-detached CONTAINER CMD...
 *                                         starts it, prints "started in N ms", then
 *                                         "exit N" or "still running"
 *                                         (time limit ENGINE_CLI_EXEC_TIMEOUT_MS, 60 s)
 *   engine-cli stop NAME SECONDS | rm NAME
 *   engine-cli net-create NAME | net-rm NAME | vol-create NAME | vol-rm NAME
 *   engine-cli list LABEL                 names of containers with that label
 *
 * An engine error prints "engine-cli: [kind] message" (kind as
 * eng_status_name) and exits 125; usage errors exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provision/docker.h"

enum { EXIT_ENGINE = 125, EXIT_USAGE = 2 };

static int fail(const eng_error *err)
{
    fprintf(stderr, "engine-cli: [%s] %s\n", eng_status_name(err->code), err->message);
    return EXIT_ENGINE;
}

static void on_progress(const stream_event *ev, void *ud)
{
    (void)ud;
    if (ev->warning)
        fprintf(stderr, "engine-cli: warning: %s\n", ev->warning);
    else if (ev->stream)
        fputs(ev->stream, stderr);
    else if (ev->status && ev->id)
        fprintf(stderr, "%s %s %s\n", ev->id, ev->status, ev->progress ? ev->progress : "");
    else if (ev->status)
        fprintf(stderr, "%s\n", ev->status);
}

static int usage(void)
{
    fputs("usage: engine-cli ping|info|build DIR TAG [DOCKERFILE]|tag SRC REPO TAG|push REPO TAG|\n"
          "       image NAME|run NAME IMAGE [CMD...]|inspect NAME [NET]|logs NAME TAIL|\n"
          "       exec CONTAINER CMD...|stop NAME SECONDS|rm NAME|net-create NAME|net-rm NAME|\n"
          "       vol-create NAME|vol-rm NAME|list LABEL\n",
          stderr);
    return EXIT_USAGE;
}

static int run(eng_client *c, int argc, char **argv)
{
    eng_error err = {0};
    const char *cmd = argv[1];
    if (strcmp(cmd, "ping") == 0 && argc == 2) {
        docker_version_info v;
        if (docker_ping(c, &v, &err) != ENG_OK)
            return fail(&err);
        printf("api %s server %s\n", v.api_version, v.server_version);
    } else if (strcmp(cmd, "info") == 0 && argc == 2) {
        docker_engine_info i;
        if (docker_info(c, &i, &err) != ENG_OK)
            return fail(&err);
        printf("name %s swarm %s manager %d ncpu %d\n", i.name,
               i.local_state[0] ? i.local_state : "-", i.is_manager, i.ncpu);
    } else if (strcmp(cmd, "build") == 0 && (argc == 4 || argc == 5)) {
        const char *tags[] = {argv[3], NULL};
        docker_build_opts o = {.context_dir = argv[2], .tags = tags,
                               .dockerfile = argc == 5 ? argv[4] : NULL,
                               .progress = on_progress};
        char id[DOCKER_ID_MAX];
        if (docker_image_build(c, &o, id, sizeof id, &err) != ENG_OK)
            return fail(&err);
        printf("%s\n", id);
    } else if (strcmp(cmd, "tag") == 0 && argc == 5) {
        if (docker_image_tag(c, argv[2], argv[3], argv[4], &err) != ENG_OK)
            return fail(&err);
    } else if (strcmp(cmd, "push") == 0 && argc == 4) {
        char digest[DOCKER_ID_MAX];
        if (docker_image_push(c, argv[2], argv[3], NULL, on_progress, NULL, digest,
                              sizeof digest, &err) != ENG_OK)
            return fail(&err);
        printf("%s\n", digest);
    } else if (strcmp(cmd, "image") == 0 && argc == 3) {
        docker_image_info i;
        if (docker_image_inspect(c, argv[2], &i, &err) != ENG_OK)
            return fail(&err);
        printf("id %s healthcheck %s\n", i.id, i.healthcheck[0] ? i.healthcheck : "-");
        docker_image_info_free(&i);
    } else if (strcmp(cmd, "run") == 0 && argc >= 4) {
        const char *labels[] = {"io.cass-entry.test=engine", NULL};
        docker_container_spec s = {
            .name = argv[2], .image = argv[3], .hostname = argv[2],
            .cmd = argc > 4 ? (const char *const *)argv + 4 : NULL,
            .labels = labels, .memory = 64 << 20, .memory_swap = 64 << 20,
            .stop_timeout = 3, .health = DOCKER_HEALTH_NONE,
        };
        char id[DOCKER_ID_MAX];
        if (docker_container_create(c, &s, id, sizeof id, &err) != ENG_OK)
            return fail(&err);
        if (docker_container_start(c, argv[2], NULL, &err) != ENG_OK)
            return fail(&err);
        printf("%s\n", id);
    } else if (strcmp(cmd, "inspect") == 0 && (argc == 3 || argc == 4)) {
        docker_container_info i;
        if (docker_container_inspect(c, argv[2], argc == 4 ? argv[3] : NULL, &i, &err) != ENG_OK)
            return fail(&err);
        printf("status %s running %d exit %d oom %d health %s ip %s memory %lld\n", i.status,
               i.running, i.exit_code, i.oom_killed, i.health[0] ? i.health : "-",
               i.ip[0] ? i.ip : "-", i.memory);
        docker_container_info_free(&i);
    } else if (strcmp(cmd, "logs") == 0 && argc == 4) {
        stream_output o;
        if (docker_container_logs(c, argv[2], atoi(argv[3]), &o, &err) != ENG_OK)
            return fail(&err);
        fwrite(o.both, 1, o.both_len, stdout);
        stream_output_free(&o);
    } else if (strcmp(cmd, "exec") == 0 && argc >= 4) {
        docker_exec_result r;
        const char *t = getenv("ENGINE_CLI_EXEC_TIMEOUT_MS");
        long timeout_ms = t && *t ? atol(t) : 60000;
        if (docker_exec(c, argv[2], (const char *const *)argv + 3, NULL, NULL, timeout_ms, &r,
                        &err) != ENG_OK)
            return fail(&err);
        fwrite(r.output.out, 1, r.output.out_len, stdout);
        fwrite(r.output.err, 1, r.output.err_len, stderr);
        int code = r.exit_code;
        docker_exec_result_free(&r);
        return code;
    } else if (strcmp(cmd, "exec-detached") == 0 && argc >= 4) {
        /* start, say how long starting took, then poll until it ends or
         * ENGINE_CLI_EXEC_TIMEOUT_MS passes: "exit N" or "still running" */
        const char *t = getenv("ENGINE_CLI_EXEC_TIMEOUT_MS");
        long timeout_ms = t && *t ? atol(t) : 60000;
        char id[DOCKER_ID_MAX];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (docker_exec_detached(c, argv[2], (const char *const *)argv + 3, NULL, id, &err) !=
            ENG_OK)
            return fail(&err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long start_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        printf("started in %ld ms\n", start_ms);
        for (long waited = 0;; waited += 100) {
            bool running;
            int code;
            if (docker_exec_poll(c, id, &running, &code, &err) != ENG_OK)
                return fail(&err);
            if (!running) {
                printf("exit %d\n", code);
                break;
            }
            if (waited >= timeout_ms) {
                printf("still running\n");
                break;
            }
            nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
        }
    } else if (strcmp(cmd, "stop") == 0 && argc == 4) {
        if (docker_container_stop(c, argv[2], atoi(argv[3]), &err) != ENG_OK)
            return fail(&err);
    } else if (strcmp(cmd, "rm") == 0 && argc == 3) {
        if (docker_container_remove(c, argv[2], true, true, &err) != ENG_OK)
            return fail(&err);
    } else if (strcmp(cmd, "net-create") == 0 && argc == 3) {
        const char *labels[] = {"io.cass-entry.test=engine", NULL};
        docker_network_spec s = {.name = argv[2], .labels = labels};
        char id[DOCKER_ID_MAX];
        if (docker_network_create(c, &s, id, sizeof id, &err) != ENG_OK)
            return fail(&err);
        printf("%s\n", id);
    } else if (strcmp(cmd, "net-rm") == 0 && argc == 3) {
        if (docker_network_remove(c, argv[2], &err) != ENG_OK)
            return fail(&err);
    } else if (strcmp(cmd, "vol-create") == 0 && argc == 3) {
        if (docker_volume_create(c, argv[2], NULL, &err) != ENG_OK)
            return fail(&err);
    } else if (strcmp(cmd, "vol-rm") == 0 && argc == 3) {
        if (docker_volume_remove(c, argv[2], false, &err) != ENG_OK)
            return fail(&err);
    } else if (strcmp(cmd, "list") == 0 && argc == 3) {
        const char *filters[] = {argv[2], NULL};
        docker_container_summary *l;
        size_t n;
        if (docker_container_list(c, filters, true, &l, &n, &err) != ENG_OK)
            return fail(&err);
        for (size_t i = 0; i < n; i++)
            printf("%s %s\n", l[i].name, l[i].state);
        docker_container_list_free(l, n);
    } else {
        return usage();
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    eng_env env;
    eng_env_from_environ(&env);
    eng_config cfg;
    eng_error err = {0};
    if (eng_config_from_env(&cfg, &env, &err) != ENG_OK)
        return fail(&err);
    eng_client *c;
    if (eng_client_new(&cfg, &c, &err) != ENG_OK)
        return fail(&err);
    int rc = run(c, argc, argv);
    eng_client_free(c);
    return rc;
}
