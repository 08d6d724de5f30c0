/* Unit tests of entrypoint/addrs: address parsing, CIDR matching, /etc/hosts
 * parsing on fake trees, getifaddrs conversion and the "auto" choice. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entrypoint/addrs.h"

/* ---- helpers ---- */

static addrs_ip ip(const char *text)
{
    addrs_ip out;
    assert_true(addrs_ip_parse(text, &out));
    return out;
}

static const char *text_of(const addrs_ip *a)
{
    static char buf[ADDRS_TEXT_MAX];
    return addrs_ip_text(a, buf, sizeof buf);
}

static addrs_cidr cidr(const char *text)
{
    addrs_cidr out;
    entry_error err;
    assert_true(addrs_cidr_parse(text, &out, &err));
    return out;
}

/* A fake /etc: a temporary directory holding `hosts` with the given text. */
static char *fake_etc(const char *hosts)
{
    char tmpl[] = "/tmp/test_addrs.XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char path[256];
    snprintf(path, sizeof path, "%s/hosts", dir);
    if (hosts) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(hosts, f);
        fclose(f);
    }
    return strdup(dir);
}

static void remove_etc(char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/hosts", dir);
    if (remove(path) != 0)
        rmdir(path); /* the test that made hosts a directory */
    rmdir(dir);
    free(dir);
}

/* ---- addresses ---- */

static void test_ip_parse_and_text(void **state)
{
    (void)state;
    addrs_ip a;
    assert_true(addrs_ip_parse("172.18.0.2", &a));
    assert_int_equal(a.family, AF_INET);
    assert_string_equal(text_of(&a), "172.18.0.2");
    assert_true(addrs_ip_parse("FD00:0:0::2", &a));
    assert_int_equal(a.family, AF_INET6);
    assert_string_equal(text_of(&a), "fd00::2");
    assert_false(addrs_ip_parse("172.18.0", &a));
    assert_false(addrs_ip_parse("300.1.1.1", &a));
    assert_false(addrs_ip_parse("[fd00::2]", &a));
    assert_false(addrs_ip_parse("fe80::1%eth0", &a));
    assert_false(addrs_ip_parse("eth0", &a));
    assert_false(addrs_ip_parse("", &a));
    assert_false(addrs_ip_parse(NULL, &a));
}

static void test_ip_classes(void **state)
{
    (void)state;
    addrs_ip a = ip("0.0.0.0"), b = ip("::"), c = ip("127.0.1.1"), d = ip("::1"),
             e = ip("169.254.3.4"), f = ip("fe80::1"), g = ip("febf::1"), h = ip("fec0::1"),
             k = ip("10.0.0.1");
    assert_true(addrs_ip_is_wildcard(&a));
    assert_true(addrs_ip_is_wildcard(&b));
    assert_false(addrs_ip_is_wildcard(&k));
    assert_true(addrs_ip_is_loopback(&c));
    assert_true(addrs_ip_is_loopback(&d));
    assert_false(addrs_ip_is_loopback(&k));
    assert_true(addrs_ip_is_link_local(&e));
    assert_true(addrs_ip_is_link_local(&f));
    assert_true(addrs_ip_is_link_local(&g));  /* fe80::/10 ends at febf */
    assert_false(addrs_ip_is_link_local(&h)); /* fec0:: is outside it */
    assert_false(addrs_ip_is_link_local(&k));
    addrs_ip k2 = ip("10.0.0.1"), v6 = ip("::ffff:10.0.0.1");
    assert_true(addrs_ip_equal(&k, &k2));
    assert_false(addrs_ip_equal(&k, &v6)); /* never across families */
}

/* ---- CIDR ---- */

static void test_cidr_v4(void **state)
{
    (void)state;
    addrs_cidr net = cidr("10.1.2.3/16"); /* host bits ignored, like ip(8) */
    addrs_ip in1 = ip("10.1.200.1"), out1 = ip("10.2.0.1"), v6 = ip("::ffff:10.1.0.1");
    assert_int_equal(net.prefix, 16);
    assert_true(addrs_cidr_contains(&net, &in1));
    assert_false(addrs_cidr_contains(&net, &out1));
    assert_false(addrs_cidr_contains(&net, &v6));

    addrs_cidr n20 = cidr("172.16.16.0/20"); /* a boundary inside a byte */
    addrs_ip a = ip("172.16.31.255"), b = ip("172.16.32.0"), c = ip("172.16.15.255");
    assert_true(addrs_cidr_contains(&n20, &a));
    assert_false(addrs_cidr_contains(&n20, &b));
    assert_false(addrs_cidr_contains(&n20, &c));

    addrs_cidr all = cidr("0.0.0.0/0"), one = cidr("192.168.1.5");
    addrs_ip any = ip("8.8.8.8"), same = ip("192.168.1.5"), next = ip("192.168.1.6");
    assert_true(addrs_cidr_contains(&all, &any));
    assert_int_equal(one.prefix, 32);
    assert_true(addrs_cidr_contains(&one, &same));
    assert_false(addrs_cidr_contains(&one, &next));
}

static void test_cidr_v6(void **state)
{
    (void)state;
    addrs_cidr net = cidr("fd00:1::/64");
    addrs_ip in1 = ip("fd00:1::abcd"), out1 = ip("fd00:2::1"), v4 = ip("10.0.0.1");
    assert_int_equal(net.prefix, 64);
    assert_true(addrs_cidr_contains(&net, &in1));
    assert_false(addrs_cidr_contains(&net, &out1));
    assert_false(addrs_cidr_contains(&net, &v4));
    addrs_cidr ula = cidr("fc00::/7");
    addrs_ip fd = ip("fd12::1"), fe = ip("fe80::1");
    assert_true(addrs_cidr_contains(&ula, &fd));
    assert_false(addrs_cidr_contains(&ula, &fe));
    addrs_cidr host = cidr("fd00::5/128");
    addrs_ip five = ip("fd00::5"), six = ip("fd00::6");
    assert_true(addrs_cidr_contains(&host, &five));
    assert_false(addrs_cidr_contains(&host, &six));
}

static void test_cidr_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x",
                                      "10.0.0.0/-1", "10.0.0.0/8/8", "eth0/8", "", "10.0/8"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        addrs_cidr net;
        entry_error err = {0};
        if (addrs_cidr_parse(bad[i], &net, &err))
            fail_msg("'%s' was accepted as a network", bad[i]);
        assert_true(strlen(err.message) > 0);
    }
}

/* ---- /etc/hosts ---- */

static void test_hosts_parsing(void **state)
{
    (void)state;
    char *etc = fake_etc("127.0.0.1\tlocalhost\n"
                         "::1 localhost ip6-localhost\n"
                         "# 10.9.9.9 node1   (a comment is not an entry)\n"
                         "172.18.0.2\tNODE1.example.org node1   # Docker's line\n"
                         "not-an-address node1\n"
                         "10.0.5.7 other node1x\n"
                         "fd00::2 node1\n"
                         "\n"
                         "   \n"
                         "10.0.5.8 node1");          /* no final newline */
    addrs_facts f;
    entry_error err;
    addrs_facts_init(&f);
    strcpy(f.hostname, "Node1");                    /* case-insensitive */
    assert_true(addrs_facts_read_hosts(&f, etc, &err));
    assert_int_equal(f.n_hosts, 3);
    assert_string_equal(text_of(&f.hosts[0]), "172.18.0.2");
    assert_string_equal(text_of(&f.hosts[1]), "fd00::2");
    assert_string_equal(text_of(&f.hosts[2]), "10.0.5.8");

    /* The canonical name matches too. */
    addrs_facts_init(&f);
    strcpy(f.hostname, "node1.example.org");
    assert_true(addrs_facts_read_hosts(&f, etc, &err));
    assert_int_equal(f.n_hosts, 1);
    assert_string_equal(text_of(&f.hosts[0]), "172.18.0.2");
    remove_etc(etc);
}

static void test_hosts_missing_and_unreadable(void **state)
{
    (void)state;
    addrs_facts f;
    entry_error err = {0};
    char *etc = fake_etc(NULL); /* no hosts file at all: nothing, no error */
    addrs_facts_init(&f);
    strcpy(f.hostname, "node1");
    assert_true(addrs_facts_read_hosts(&f, etc, &err));
    assert_int_equal(f.n_hosts, 0);

    /* hosts is a directory: reading it fails, and the error names the file. */
    char path[256];
    snprintf(path, sizeof path, "%s/hosts", etc);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_false(addrs_facts_read_hosts(&f, etc, &err));
    assert_non_null(strstr(err.message, path));
    remove_etc(etc);
}

/* ---- getifaddrs conversion ---- */

static void test_add_ifaddrs(void **state)
{
    (void)state;
    struct sockaddr_in lo4 = {.sin_family = AF_INET}, eth4 = {.sin_family = AF_INET};
    struct sockaddr_in6 eth6 = {.sin6_family = AF_INET6}, ll6 = {.sin6_family = AF_INET6};
    struct sockaddr other = {.sa_family = AF_UNIX};
    inet_pton(AF_INET, "127.0.0.1", &lo4.sin_addr);
    inet_pton(AF_INET, "172.18.0.2", &eth4.sin_addr);
    inet_pton(AF_INET6, "fd00::2", &eth6.sin6_addr);
    inet_pton(AF_INET6, "fe80::42", &ll6.sin6_addr);
    struct ifaddrs l[6];
    memset(l, 0, sizeof l);
    char lo[] = "lo", eth0[] = "eth0", eth1[] = "eth1";
    l[0] = (struct ifaddrs){.ifa_next = &l[1], .ifa_name = lo,
                            .ifa_flags = IFF_UP | IFF_RUNNING | IFF_LOOPBACK,
                            .ifa_addr = (struct sockaddr *)&lo4};
    l[1] = (struct ifaddrs){.ifa_next = &l[2], .ifa_name = eth0, .ifa_flags = IFF_UP,
                            .ifa_addr = &other}; /* AF_PACKET-like: skipped */
    l[2] = (struct ifaddrs){.ifa_next = &l[3], .ifa_name = eth0, .ifa_flags = IFF_UP | IFF_RUNNING,
                            .ifa_addr = (struct sockaddr *)&eth4};
    l[3] = (struct ifaddrs){.ifa_next = &l[4], .ifa_name = eth1, .ifa_flags = 0,
                            .ifa_addr = NULL}; /* no address: skipped */
    l[4] = (struct ifaddrs){.ifa_next = &l[5], .ifa_name = eth0, .ifa_flags = IFF_UP | IFF_RUNNING,
                            .ifa_addr = (struct sockaddr *)&eth6};
    /* Up but without a carrier, like an idle docker0 bridge: not up. */
    l[5] = (struct ifaddrs){.ifa_next = NULL, .ifa_name = eth1, .ifa_flags = IFF_UP,
                            .ifa_addr = (struct sockaddr *)&ll6};
    addrs_facts f;
    addrs_facts_init(&f);
    addrs_facts_add_ifaddrs(&f, l);
    assert_int_equal(f.n_ifaces, 4);
    assert_string_equal(f.ifaces[0].name, "lo");
    assert_true(f.ifaces[0].loopback);
    assert_true(f.ifaces[0].up);
    assert_string_equal(f.ifaces[1].name, "eth0");
    assert_string_equal(text_of(&f.ifaces[1].ip), "172.18.0.2");
    assert_false(f.ifaces[1].loopback);
    assert_false(f.ifaces[1].link_local);
    assert_string_equal(text_of(&f.ifaces[2].ip), "fd00::2");
    assert_true(f.ifaces[2].up);
    assert_string_equal(f.ifaces[3].name, "eth1");
    assert_false(f.ifaces[3].up);
    assert_true(f.ifaces[3].link_local);
}

static void test_facts_capacity(void **state)
{
    (void)state;
    addrs_facts f;
    addrs_facts_init(&f);
    size_t added = 0;
    for (int i = 0; i < ADDRS_MAX_IFACES + 5; i++) {
        char a[32];
        snprintf(a, sizeof a, "10.1.%d.%d", i / 250, i % 250 + 1);
        added += addrs_facts_add_iface(&f, "eth0", a, true, false);
    }
    assert_int_equal(added, ADDRS_MAX_IFACES);
    assert_int_equal(f.n_ifaces, ADDRS_MAX_IFACES);
    assert_false(addrs_facts_add_iface(&f, "eth0", "not an ip", true, false));
    for (int i = 0; i < ADDRS_MAX_HOSTS; i++)
        assert_true(addrs_facts_add_host(&f, "10.0.0.1"));
    assert_false(addrs_facts_add_host(&f, "10.0.0.2"));
}

/* ---- the "auto" choice ---- */

/* A container on an overlay network (eth0) and docker_gwbridge (eth1), with
 * a down interface, link-local and loopback addresses around them. */
static void overlay_node(addrs_facts *f)
{
    addrs_facts_init(f);
    strcpy(f->hostname, "node1");
    assert_true(addrs_facts_add_iface(f, "lo", "127.0.0.1", true, true));
    assert_true(addrs_facts_add_iface(f, "lo", "::1", true, true));
    assert_true(addrs_facts_add_iface(f, "eth9", "192.168.50.2", false, false)); /* down */
    assert_true(addrs_facts_add_iface(f, "eth2", "169.254.1.1", true, false));   /* link-local */
    assert_true(addrs_facts_add_iface(f, "eth0", "10.0.1.5", true, false));      /* overlay */
    assert_true(addrs_facts_add_iface(f, "eth1", "172.18.0.3", true, false));    /* gwbridge */
    assert_true(addrs_facts_add_iface(f, "eth0", "fe80::5", true, false));
    assert_true(addrs_facts_add_iface(f, "eth0", "fd00:1::5", true, false));
}

static void test_choose_subnet(void **state)
{
    (void)state;
    addrs_facts f;
    overlay_node(&f);
    addrs_ip out;
    const char *why = NULL, *ifname = NULL;
    entry_error err;
    addrs_cidr net = cidr("172.18.0.0/16");
    assert_true(addrs_choose(&f, &net, &out, &why, &ifname, &err));
    assert_string_equal(text_of(&out), "172.18.0.3");
    assert_string_equal(ifname, "eth1");
    assert_non_null(strstr(why, "subnet"));

    net = cidr("fd00:1::/64");
    assert_true(addrs_choose(&f, &net, &out, NULL, NULL, &err));
    assert_string_equal(text_of(&out), "fd00:1::5");

    /* The down interface's network is not chosen, and there is no fallback. */
    net = cidr("192.168.50.0/24");
    assert_false(addrs_choose(&f, &net, &out, NULL, NULL, &err));
    assert_non_null(strstr(err.message, "192.168.50.0/24"));
}

static void test_choose_hosts_entry(void **state)
{
    (void)state;
    addrs_facts f;
    overlay_node(&f);
    addrs_ip out;
    const char *why = NULL;
    entry_error err;
    /* 127.0.1.1 (Debian style) and a stale address are passed over; the
     * first entry that is this node's own usable address wins, even when it
     * is not the first interface. */
    assert_true(addrs_facts_add_host(&f, "127.0.1.1"));
    assert_true(addrs_facts_add_host(&f, "10.99.0.1"));
    assert_true(addrs_facts_add_host(&f, "172.18.0.3"));
    assert_true(addrs_facts_add_host(&f, "10.0.1.5"));
    assert_true(addrs_choose(&f, NULL, &out, &why, NULL, &err));
    assert_string_equal(text_of(&out), "172.18.0.3");
    assert_non_null(strstr(why, "/etc/hosts"));
}

static void test_choose_first_ipv4_then_ipv6(void **state)
{
    (void)state;
    addrs_facts f;
    overlay_node(&f);
    addrs_ip out;
    const char *why = NULL, *ifname = NULL;
    entry_error err;
    assert_true(addrs_facts_add_host(&f, "10.99.0.1")); /* stale only: ignored */
    assert_true(addrs_choose(&f, NULL, &out, &why, &ifname, &err));
    assert_string_equal(text_of(&out), "10.0.1.5"); /* not lo, not down eth9, not 169.254 */
    assert_string_equal(ifname, "eth0");
    assert_non_null(strstr(why, "IPv4"));

    /* IPv6 only: the link-local address is passed over. */
    addrs_facts_init(&f);
    assert_true(addrs_facts_add_iface(&f, "lo", "::1", true, true));
    assert_true(addrs_facts_add_iface(&f, "eth0", "fe80::5", true, false));
    assert_true(addrs_facts_add_iface(&f, "eth0", "ff02::1", true, false));
    assert_true(addrs_facts_add_iface(&f, "eth0", "2001:db8::5", true, false));
    assert_true(addrs_choose(&f, NULL, &out, &why, NULL, &err));
    assert_string_equal(text_of(&out), "2001:db8::5");
    assert_non_null(strstr(why, "IPv6"));

    /* Nothing usable. */
    addrs_facts_init(&f);
    assert_true(addrs_facts_add_iface(&f, "lo", "127.0.0.1", true, true));
    assert_true(addrs_facts_add_iface(&f, "eth0", "10.0.0.9", false, false));
    assert_false(addrs_choose(&f, NULL, &out, NULL, NULL, &err));
    assert_true(strlen(err.message) > 0);
}

static void test_own_and_interfaces(void **state)
{
    (void)state;
    addrs_facts f;
    overlay_node(&f);
    addrs_ip a = ip("172.18.0.3"), b = ip("172.18.0.4"), down = ip("192.168.50.2"), out;
    assert_true(addrs_is_own(&f, &a));
    assert_false(addrs_is_own(&f, &b));
    assert_true(addrs_is_own(&f, &down));
    assert_true(addrs_has_iface(&f, "eth1"));
    assert_false(addrs_has_iface(&f, "wlan0"));
    assert_true(addrs_iface_address(&f, "eth0", &out));
    assert_string_equal(text_of(&out), "10.0.1.5");
    assert_false(addrs_iface_address(&f, "wlan0", &out));

    /* An IPv6-only interface gives its global address, not the link-local one. */
    addrs_facts_init(&f);
    assert_true(addrs_facts_add_iface(&f, "eth0", "fe80::5", true, false));
    assert_true(addrs_facts_add_iface(&f, "eth0", "fd00::5", true, false));
    assert_true(addrs_iface_address(&f, "eth0", &out));
    assert_string_equal(text_of(&out), "fd00::5");
}

/* ---- the real system (this test machine) ---- */

static void test_load_real_system(void **state)
{
    (void)state;
    addrs_facts f;
    entry_error err;
    if (!addrs_facts_load(&f, "/etc", &err))
        fail_msg("addrs_facts_load: %s", err.message);
    char expected[ADDRS_HOST_MAX];
    assert_int_equal(gethostname(expected, sizeof expected), 0);
    assert_string_equal(f.hostname, expected);
    bool loopback = false;
    for (size_t i = 0; i < f.n_ifaces; i++)
        loopback = loopback || (f.ifaces[i].loopback && f.ifaces[i].ip.family == AF_INET);
    assert_true(loopback); /* every Linux network namespace has lo 127.0.0.1 */

    addrs_ip found[4];
    size_t n = addrs_resolve(NULL, "localhost", found, 4);
    assert_true(n >= 1);
    assert_true(addrs_ip_is_loopback(&found[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip_parse_and_text),
        cmocka_unit_test(test_ip_classes),
        cmocka_unit_test(test_cidr_v4),
        cmocka_unit_test(test_cidr_v6),
        cmocka_unit_test(test_cidr_errors),
        cmocka_unit_test(test_hosts_parsing),
        cmocka_unit_test(test_hosts_missing_and_unreadable),
        cmocka_unit_test(test_add_ifaddrs),
        cmocka_unit_test(test_facts_capacity),
        cmocka_unit_test(test_choose_subnet),
        cmocka_unit_test(test_choose_hosts_entry),
        cmocka_unit_test(test_choose_first_ipv4_then_ipv6),
        cmocka_unit_test(test_own_and_interfaces),
        cmocka_unit_test(test_load_real_system),
    };
    return cmocka_run_group_tests_name("addrs", tests, NULL, NULL);
}
