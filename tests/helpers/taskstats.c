/* SPDX-License-Identifier: GPL-2.0-or-later */
/* taskstats: asks the kernel (genetlink TASKSTATS_CMD_GET) for one thread's
 * delay-accounting counters: the stalls the kernel itself attributes to it. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <sys/socket.h>

#include "taskstats.h"

/* Generous for one request; a reply is one nlmsg with struct taskstats
 * (~400 bytes) nested in two attributes. */
#define NL_BUF_BYTES 4096

struct nl_request {
        struct nlmsghdr n;
        struct genlmsghdr g;
        char attrs[256];
};

static void put_attr(struct nl_request *r, uint16_t type, const void *data, size_t len) {
        struct nlattr *a = (struct nlattr *) ((char *) r + NLMSG_ALIGN(r->n.nlmsg_len));

        assert(r);
        assert(data);
        a->nla_type = type;
        a->nla_len = (uint16_t) (NLA_HDRLEN + len);
        memcpy((char *) a + NLA_HDRLEN, data, len);
        r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Sends `r` and reads one reply into `buf`; returns its length or -errno
 * (a netlink error reply becomes its errno). */
static ssize_t transact(int fd, struct nl_request *r, char *buf, size_t size) {
        struct sockaddr_nl to = { .nl_family = AF_NETLINK };
        struct nlmsghdr *h = (struct nlmsghdr *) buf;
        ssize_t n;

        assert(r);
        assert(buf);
        if (sendto(fd, r, r->n.nlmsg_len, 0, (struct sockaddr *) &to, sizeof to) < 0)
                return -errno;
        do
                n = recv(fd, buf, size, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (!NLMSG_OK(h, (size_t) n))
                return -EBADMSG;
        if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);

                return e->error ? e->error : -EBADMSG;
        }
        return n;
}

static void request_init(struct nl_request *r, uint16_t type, uint8_t cmd, uint8_t version) {
        assert(r);
        memset(r, 0, sizeof *r);
        r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
        r->n.nlmsg_type = type;
        r->n.nlmsg_flags = NLM_F_REQUEST;
        r->n.nlmsg_pid = 0;
        r->g.cmd = cmd;
        r->g.version = version;
}

/* First attribute of `type` in [start, start+len), or NULL. */
static const struct nlattr *find_attr(const char *start, size_t len, uint16_t type) {
        const char *p = start;

        assert(start);
        while (p + NLA_HDRLEN <= start + len) {
                const struct nlattr *a = (const struct nlattr *) p;

                if (a->nla_len < NLA_HDRLEN || p + a->nla_len > start + len)
                        return NULL;
                if ((a->nla_type & NLA_TYPE_MASK) == type)
                        return a;
                p += NLA_ALIGN(a->nla_len);
        }
        return NULL;
}

int taskstats_open(struct taskstats_conn *c) {
        struct nl_request r;
        char buf[NL_BUF_BYTES];
        const struct nlattr *id;
        const struct nlmsghdr *h = (const struct nlmsghdr *) buf;
        ssize_t n;

        assert(c);
        c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
        if (c->fd < 0)
                return -errno;
        request_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
        put_attr(&r, CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME, sizeof TASKSTATS_GENL_NAME);
        n = transact(c->fd, &r, buf, sizeof buf);
        if (n < 0) {
                taskstats_close(c);
                return (int) n;
        }
        id = find_attr(buf + NLMSG_LENGTH(GENL_HDRLEN), h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), CTRL_ATTR_FAMILY_ID);
        if (!id) {
                taskstats_close(c);
                return -ENOENT;
        }
        memcpy(&c->family_id, (const char *) id + NLA_HDRLEN, sizeof c->family_id);
        return 0;
}

void taskstats_close(struct taskstats_conn *c) {
        assert(c);
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
}

int taskstats_get(struct taskstats_conn *c, pid_t tid, struct task_delays *ret) {
        struct nl_request r;
        char buf[NL_BUF_BYTES];
        const struct nlmsghdr *h = (const struct nlmsghdr *) buf;
        const struct nlattr *aggr, *st;
        struct taskstats ts;
        uint32_t pid = (uint32_t) tid;
        ssize_t n;

        assert(c);
        assert(ret);
        request_init(&r, c->family_id, TASKSTATS_CMD_GET, TASKSTATS_GENL_VERSION);
        put_attr(&r, TASKSTATS_CMD_ATTR_PID, &pid, sizeof pid);
        n = transact(c->fd, &r, buf, sizeof buf);
        if (n < 0)
                return (int) n;
        aggr = find_attr(buf + NLMSG_LENGTH(GENL_HDRLEN), h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), TASKSTATS_TYPE_AGGR_PID);
        if (!aggr)
                return -EBADMSG;
        st = find_attr((const char *) aggr + NLA_HDRLEN, aggr->nla_len - NLA_HDRLEN, TASKSTATS_TYPE_STATS);
        if (!st)
                return -EBADMSG;
        /* The kernel's struct may be longer (newer) or shorter (older) than
         * ours: copy the common prefix, the rest stays zero. */
        memset(&ts, 0, sizeof ts);
        n = st->nla_len - NLA_HDRLEN;
        memcpy(&ts, (const char *) st + NLA_HDRLEN, (size_t) n < sizeof ts ? (size_t) n : sizeof ts);
        *ret = (struct task_delays) {
                .reclaim_count = ts.freepages_count,
                .reclaim_delay_ns = ts.freepages_delay_total,
                /* compact_* exist from taskstats version 11 (Linux 5.19) */
                .compact_count = ts.version >= 11 ? ts.compact_count : 0,
                .compact_delay_ns = ts.version >= 11 ? ts.compact_delay_total : 0,
        };
        return 0;
}

int taskstats_delayacct_enabled(void) {
        FILE *f = fopen("/proc/sys/kernel/task_delayacct", "re");
        int v = 0;

        if (!f)
                return -errno;
        if (fscanf(f, "%d", &v) != 1)
                v = -EINVAL;
        fclose(f);
        return v;
}
