/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BTF argument check: a raw tracepoint's TP_PROTO as this kernel declares
 * it, against the argument kinds a probe reads. Pure over a struct btf. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include "defragd/probes.h"

/* Raw tracepoints take TP_PROTO's arguments by position, unchecked: a kernel
 * whose prototype differs would feed a probe the wrong values. The kernel's
 * BTF has every prototype as `typedef void (*btf_trace_<name>)(void *, ...)`,
 * so compare the kinds of the arguments a probe reads with what it expects. */
static char proto_letter(const struct btf *btf, __u32 id) {
        const struct btf_type *t = btf__type_by_id(btf, id);

        /* typedef, const, volatile, restrict and type tags name another type */
        while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_kind(t) == BTF_KIND_TYPE_TAG))
                t = btf__type_by_id(btf, t->type);
        if (!t)
                return '?';
        if (btf_is_ptr(t))
                return 'p';
        if (btf_is_int(t) || btf_is_enum(t) || btf_kind(t) == BTF_KIND_ENUM64)
                switch (t->size) {
                case 1: return 'b';
                case 4: return 'i';
                case 8: return 'l';
                }
        return '?';
}

int df_probes_check_tp_proto(const struct btf *btf, const char *tp, const char *want, char *got, size_t got_size) {
        const struct btf_type *t;
        const struct btf_param *param;
        char name[128];
        size_t n_args, n_want, i;
        int id;

        assert(btf && tp && want && (got || got_size == 0));
        n_want = strlen(want);

        if (got_size > 0)
                got[0] = 0;
        snprintf(name, sizeof(name), "btf_trace_%s", tp);
        id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
        if (id < 0)
                return -ENOENT;
        t = btf__type_by_id(btf, id);
        t = t ? btf__type_by_id(btf, t->type) : NULL;
        t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
        if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
                return -EPROTO; /* not the shape bpf_probe.h gives every tracepoint */
        /* the first parameter is the tracepoint's private data, not an argument */
        n_args = btf_vlen(t) - 1;
        param = btf_params(t) + 1;
        for (i = 0; i < n_args && i + 1 < got_size; i++)
                got[i] = proto_letter(btf, param[i].type);
        if (got_size > 0)
                got[i < got_size ? i : got_size - 1] = 0;
        if (n_args < n_want)
                return -EPROTO;
        for (i = 0; i < n_want; i++)
                if (want[i] != '.' && want[i] != proto_letter(btf, param[i].type))
                        return -EPROTO;
        return 0;
}
