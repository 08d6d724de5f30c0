/*
 * cql-cli: the cql/ session client from the command line, for the cql suite
 * and for capturing real RESULT bodies as unit-test data.
 *
 *   cql-cli [-u USER] [-p PASSWORD_FILE] [-c CONSISTENCY] [-s] [-w BODY_FILE]
 *           HOST PORT STATEMENT [VALUE...]
 *   cql-cli --split FILE        print the statements of a .cql file
 *   cql-cli -u U -p F --agree HOST PORT   wait for schema agreement
 *
 * Rows print one per line as name=value pairs (text, boolean, uuid, int and
 * bigint decoded; other types as hex).  -s runs with serial consistency SERIAL.
 * -P prepares the statement and executes it (-w then writes the PREPARED body).
 * Exit: 0, 1 a CQL error (its message on stderr), 2 usage.
 */
#include "cql/session.h"
#include "cql/split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_value(const cql_value *v, uint16_t type)
{
    if (v->len < 0) {
        fputs("null", stdout);
        return;
    }
    if (type == 0x000D || type == 0x0001) { /* varchar, ascii */
        fwrite(v->data, 1, (size_t)v->len, stdout);
    } else if (type == 0x0004) {
        fputs(cql_value_bool(v) ? "true" : "false", stdout);
    } else if ((type == 0x000C || type == 0x000F) && v->len == 16) {
        char u[37];
        cql_value_uuid(v, u);
        fputs(u, stdout);
    } else if ((type == 0x0009 && v->len == 4) || (type == 0x0002 && v->len == 8)) {
        long long n = 0;
        for (int i = 0; i < v->len; i++) n = (long long)((unsigned long long)n << 8) | v->data[i];
        if (v->len == 4) n = (int32_t)n;
        printf("%lld", n);
    } else {
        fputs("0x", stdout);
        for (int i = 0; i < v->len; i++) printf("%02x", v->data[i]);
    }
}

static int split_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int ch;
    while ((ch = fgetc(f)) != EOF) fputc(ch, mem);
    fclose(f);
    fclose(mem);
    cql_script s;
    cql_split_error e;
    int rc = 0;
    if (!cql_split(buf, len, &s, &e)) {
        fprintf(stderr, "%s:%u:%u: %s\n", path, e.line, e.column, e.message);
        rc = 1;
    } else {
        for (size_t i = 0; i < s.n; i++) printf("%u:%u: %s\n", s.items[i].line, s.items[i].column, s.items[i].text);
        cql_script_free(&s);
    }
    free(buf);
    return rc;
}

static char *read_secret(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char line[512];
    char *r = fgets(line, sizeof line, f) ? strdup(strtok(line, "\n") ? line : "") : NULL;
    fclose(f);
    return r;
}

int main(int argc, char **argv)
{
    const char *user = NULL, *passfile = NULL, *body_file = NULL;
    int consistency = CQL_CL_ONE, opt;
    bool serial = false, agree = false, prepare = false;
    if (argc == 3 && strcmp(argv[1], "--split") == 0) return split_file(argv[2]);
    if (argc > 1 && strcmp(argv[1], "--agree") == 0) {
        agree = true;
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    while ((opt = getopt(argc, argv, "u:p:c:sw:P")) != -1) {
        switch (opt) {
        case 'u': user = optarg; break;
        case 'p': passfile = optarg; break;
        case 'c': consistency = atoi(optarg); break;
        case 's': serial = true; break;
        case 'w': body_file = optarg; break;
        case 'P': prepare = true; break;
        default: return 2;
        }
    }
    if (argc - optind < (agree ? 2 : 3)) {
        fprintf(stderr, "usage: cql-cli [-u USER -p PASSWORD_FILE] [-c N] [-s] [-w FILE] HOST PORT STATEMENT [VALUE...]\n");
        return 2;
    }
    char *password = passfile ? read_secret(passfile) : NULL;
    if (passfile && !password) {
        perror(passfile);
        return 2;
    }
    cql_session *s;
    cql_error err;
    cql_status st = cql_session_open(argv[optind], (unsigned)atoi(argv[optind + 1]), user, password,
                                     10000, &s, &err);
    free(password);
    if (st != CQL_OK) {
        fprintf(stderr, "cql-cli: [%s] %s\n", cql_status_name(st), err.message);
        return 1;
    }
    if (agree) {
        st = cql_schema_agreement(s, 30000, &err);
        cql_session_close(s);
        if (st != CQL_OK) fprintf(stderr, "cql-cli: [%s] %s\n", cql_status_name(st), err.message);
        return st == CQL_OK ? 0 : 1;
    }
    size_t n = (size_t)(argc - optind - 3);
    cql_value values[16];
    for (size_t i = 0; i < n && i < 16; i++) values[i] = cql_text_value(argv[optind + 3 + i]);
    cql_result r, prepared = {0};
    if (prepare) {
        cql_prepared p;
        st = cql_prepare(s, argv[optind + 2], 30000, &p, &prepared, &err);
        if (st == CQL_OK)
            st = cql_execute(s, &p, (cql_consistency)consistency, serial ? CQL_CL_SERIAL : 0, values,
                             n < 16 ? n : 16, 30000, &r, &err);
    } else {
        st = cql_query(s, argv[optind + 2], (cql_consistency)consistency, serial ? CQL_CL_SERIAL : 0, values,
                       n < 16 ? n : 16, 30000, &r, &err);
    }
    cql_session_close(s);
    if (st != CQL_OK) {
        cql_result_free(&prepared);
        fprintf(stderr, "cql-cli: [%s] %s\n", cql_status_name(st), err.message);
        return 1;
    }
    if (prepare) {
        printf("prepared: %zu-byte id, %zu values\n", prepared.prepared_id_len, prepared.n_params);
        if (body_file) { /* the PREPARED body is the one kept */
            cql_result_free(&r);
            r = prepared;
        } else {
            cql_result_free(&prepared);
        }
    }
    if (body_file) {
        FILE *f = fopen(body_file, "wb");
        if (!f || fwrite(r.body, 1, r.body_len, f) != r.body_len || fclose(f) != 0) {
            perror(body_file);
            return 1;
        }
    }
    printf("kind %d, %zu columns, %zu rows\n", r.kind, r.n_cols, r.n_rows);
    for (size_t row = 0; row < r.n_rows; row++) {
        for (size_t c = 0; c < r.n_cols; c++) {
            printf("%s%s=", c ? " " : "", r.names[c] ? r.names[c] : "?");
            print_value(cql_cell(&r, row, c), r.types[c]);
        }
        putchar('\n');
    }
    cql_result_free(&r);
    return 0;
}
