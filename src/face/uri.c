#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "base/err.h"
#include "face/face_int.h"

socklen_t dmsc__sa_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

void dmsc__sa_unmap(struct sockaddr_storage *ss)
{
    if (ss->ss_family != AF_INET6) return;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) return;
    struct sockaddr_in s4;
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_port = s6->sin6_port;
    memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
    memset(ss, 0, sizeof *ss);
    memcpy(ss, &s4, sizeof s4);
}

bool dmsc__sa_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) return true;
        return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

void dmsc__uri_from_sa(char *out, size_t cap, const char *proto, const struct sockaddr *sa)
{
    struct sockaddr_storage ss;
    char host[INET6_ADDRSTRLEN];
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, sa, dmsc__sa_len(sa));
    dmsc__sa_unmap(&ss);
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        snprintf(out, cap, "%s4://%s:%u", proto, host, ntohs(s4->sin_port));
    } else {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        snprintf(out, cap, "%s6://[%s]:%u", proto, host, ntohs(s6->sin6_port));
    }
}

static int parse_port(const char *s, uint16_t *port)
{
    char *end;
    if (!*s) return DMSC_EINVAL;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return DMSC_EINVAL;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v > 65535) return DMSC_EINVAL;
    *port = (uint16_t)v;
    return 0;
}

int dmsc__uri_parse(const char *uri, dmsc__uri_t *u)
{
    memset(u, 0, sizeof *u);
    const char *sep = strstr(uri, "://");
    if (!sep) return DMSC_EINVAL;
    size_t slen = (size_t)(sep - uri);
    const char *rest = sep + 3;
    int want = AF_UNSPEC;
    if (slen == 4 && !strncmp(uri, "unix", 4)) {
        u->scheme = DMSC__URI_UNIX;
        if (rest[0] != '/' || strlen(rest) >= sizeof u->path) return DMSC_EINVAL;
        strcpy(u->path, rest);
        return 0;
    }
    if (slen >= 3 && !strncmp(uri, "udp", 3))
        u->scheme = DMSC__URI_UDP;
    else if (slen >= 3 && !strncmp(uri, "tcp", 3))
        u->scheme = DMSC__URI_TCP;
    else
        return DMSC_ENOTSUP;
    if (slen == 4 && uri[3] == '4')
        want = AF_INET;
    else if (slen == 4 && uri[3] == '6')
        want = AF_INET6;
    else if (slen != 3)
        return DMSC_ENOTSUP;

    /* host:port, [v6]:port */
    const char *colon;
    if (rest[0] == '[') {
        const char *rb = strchr(rest, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - rest - 1) >= sizeof u->host) return DMSC_EINVAL;
        memcpy(u->host, rest + 1, (size_t)(rb - rest - 1));
        colon = rb + 1;
    } else {
        colon = strrchr(rest, ':');
        if (!colon || (size_t)(colon - rest) >= sizeof u->host || colon == rest) return DMSC_EINVAL;
        memcpy(u->host, rest, (size_t)(colon - rest));
        if (strchr(u->host, ':')) return DMSC_EINVAL; /* an IPv6 literal needs brackets */
    }
    if (parse_port(colon + 1, &u->port)) return DMSC_EINVAL;
    if (u->port == 0) return DMSC_EINVAL;

    struct sockaddr_in *s4 = (struct sockaddr_in *)&u->sa;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&u->sa;
    if (inet_pton(AF_INET, u->host, &s4->sin_addr) == 1) {
        if (want == AF_INET6) return DMSC_EINVAL;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(u->port);
        u->family = AF_INET;
        u->numeric = true;
    } else if (inet_pton(AF_INET6, u->host, &s6->sin6_addr) == 1) {
        if (want == AF_INET) return DMSC_EINVAL;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(u->port);
        u->family = AF_INET6;
        u->numeric = true;
        dmsc__sa_unmap(&u->sa);
        u->family = u->sa.ss_family;
    } else {
        /* a host name: letters, digits, '-', '.' */
        for (const char *p = u->host; *p; p++) {
            char c = *p;
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.'))
                return DMSC_EINVAL;
        }
        if (!u->host[0]) return DMSC_EINVAL;
        u->family = want;
    }
    return 0;
}

int dmsc_face_uri_canonize(const char *uri, char *out, size_t cap)
{
    dmsc__uri_t u;
    int rc = dmsc__uri_parse(uri, &u);
    if (rc) return rc;
    if (u.scheme == DMSC__URI_UNIX) {
        if ((size_t)snprintf(out, cap, "unix://%s", u.path) >= cap) return DMSC_ENOBUFS;
        return 0;
    }
    if (!u.numeric) return DMSC_EINVAL;
    char tmp[DMSC_FACE_URI_MAX];
    dmsc__uri_from_sa(tmp, sizeof tmp, u.scheme == DMSC__URI_UDP ? "udp" : "tcp",
                      (const struct sockaddr *)&u.sa);
    if (strlen(tmp) >= cap) return DMSC_ENOBUFS;
    strcpy(out, tmp);
    return 0;
}
