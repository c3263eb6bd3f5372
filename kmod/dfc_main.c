// SPDX-License-Identifier: GPL-2.0-or-later
/* defragd_clear: the sysfs interface (/sys/kernel/defragd_clear), one clear
 * at a time, its counters and the ABI version defragd checks. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "dfc_compat.h"
#include "dfc.h"

/* "PFN ORDER": two numbers and a newline fit in far less. */
#define DFC_WRITE_MAX 64

struct dfc_counters {
	u64 tried;          /* valid requests handed to the kernel */
	u64 cleared;        /* ... that succeeded */
	u64 busy;           /* ... that got EBUSY (an unmovable or pinned page, or isolated already) */
	u64 interrupted;    /* ... that got EINTR (fatal signal while migrating) */
	u64 nomem;          /* ... that got ENOMEM (no page to migrate into) */
	u64 failed;         /* ... that got any other error */
	u64 pages_in_use;   /* sum over tried clears of the pages in use before */
	u64 pages_moved;    /* sum of pgmigrate_success deltas */
	u64 clear_usec;     /* time spent in tried clears */
	u64 fallback_pages; /* pages given back one by one, not as one block */
};

/* Serialises clears and guards everything below; readers of single u64
 * counters go without it (READ_ONCE), `last` takes it. */
static DEFINE_MUTEX(dfc_lock);
static struct dfc_counters dfc_counters;
static struct {
	u64 seq;
	unsigned long pfn;
	unsigned int order;
	struct dfc_result r;
} dfc_last;
static struct kobject *dfc_kobj;

static void dfc_add(u64 *counter, u64 n)
{
	WRITE_ONCE(*counter, *counter + n);
}

/* Exactly two unsigned numbers (the pfn may be 0x-prefixed), whitespace
 * around them and a trailing newline allowed, nothing else. */
static int dfc_parse(const char *buf, size_t count, unsigned long *pfn, unsigned int *order)
{
	char tmp[DFC_WRITE_MAX], *p, *tok;

	if (count == 0 || count >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, buf, count);
	tmp[count] = '\0';
	p = strim(tmp);
	tok = strsep(&p, " \t");
	if (!p || kstrtoul(tok, 0, pfn))
		return -EINVAL;
	p = skip_spaces(p);
	tok = strsep(&p, " \t");
	if (p || kstrtouint(tok, 10, order))
		return -EINVAL;
	return 0;
}

static void dfc_account(unsigned long pfn, unsigned int order, const struct dfc_result *r)
{
	struct dfc_counters *c = &dfc_counters;

	dfc_add(&c->tried, 1);
	switch (r->err) {
	case 0:
		dfc_add(&c->cleared, 1);
		break;
	case -EBUSY:
		dfc_add(&c->busy, 1);
		break;
	case -EINTR:
		dfc_add(&c->interrupted, 1);
		break;
	case -ENOMEM:
		dfc_add(&c->nomem, 1);
		break;
	default:
		dfc_add(&c->failed, 1);
		break;
	}
	dfc_add(&c->pages_in_use, r->pages_in_use);
	dfc_add(&c->pages_moved, r->pages_moved);
	dfc_add(&c->clear_usec, r->usec);
	dfc_add(&c->fallback_pages, r->fallback_pages);
	dfc_last.seq++;
	dfc_last.pfn = pfn;
	dfc_last.order = order;
	dfc_last.r = *r;
}

/* A rejected write changes nothing: no counter, no `last`. */
static ssize_t clear_store(struct kobject *kobj, struct kobj_attribute *attr, const char *buf, size_t count)
{
	struct dfc_result r = { 0 };
	const char *why = NULL;
	unsigned long pfn;
	unsigned int order;
	int err;

	err = dfc_parse(buf, count, &pfn, &order);
	if (err) {
		pr_debug("rejected a write that is not \"PFN ORDER\"\n");
		return err;
	}
	err = dfc_validate(pfn, order, &why);
	if (err) {
		pr_debug("rejected pfn %lu order %u: %s\n", pfn, order, why);
		return err;
	}
	err = mutex_lock_interruptible(&dfc_lock);
	if (err)
		return err;
	dfc_clear(pfn, order, &r);
	dfc_account(pfn, order, &r);
	mutex_unlock(&dfc_lock);
	return r.err ? r.err : (ssize_t)count;
}

static ssize_t last_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	ssize_t n;

	if (mutex_lock_interruptible(&dfc_lock))
		return -EINTR;
	n = sysfs_emit(buf, "seq=%llu pfn=%lu order=%u result=%d pages_in_use=%llu pages_moved=%llu usec=%llu fallback_pages=%llu\n",
		       dfc_last.seq, dfc_last.pfn, dfc_last.order, dfc_last.r.err,
		       dfc_last.r.pages_in_use, dfc_last.r.pages_moved, dfc_last.r.usec,
		       dfc_last.r.fallback_pages);
	mutex_unlock(&dfc_lock);
	return n;
}

static ssize_t abi_version_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", DFC_ABI_VERSION);
}

static ssize_t order_min_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dfc_order_min());
}

static ssize_t order_max_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dfc_order_max());
}

static ssize_t free_mode_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", dfc_free_mode());
}

/* Root only: a write moves memory, `last` shows physical frame numbers. */
static struct kobj_attribute dfc_attr_clear = __ATTR(clear, 0200, NULL, clear_store);
static struct kobj_attribute dfc_attr_last = __ATTR(last, 0400, last_show, NULL);
static struct kobj_attribute dfc_attr_abi = __ATTR_RO(abi_version);
static struct kobj_attribute dfc_attr_order_min = __ATTR_RO(order_min);
static struct kobj_attribute dfc_attr_order_max = __ATTR_RO(order_max);
static struct kobj_attribute dfc_attr_free_mode = __ATTR_RO(free_mode);

static struct attribute *dfc_attrs[] = {
	&dfc_attr_clear.attr,
	&dfc_attr_last.attr,
	&dfc_attr_abi.attr,
	&dfc_attr_order_min.attr,
	&dfc_attr_order_max.attr,
	&dfc_attr_free_mode.attr,
	NULL,
};

static const struct attribute_group dfc_group = {
	.attrs = dfc_attrs,
};

/* counters/NAME: one value per file, as sysfs wants. */
#define DFC_COUNTER(name)							\
	static ssize_t name##_show(struct kobject *kobj,			\
				   struct kobj_attribute *attr, char *buf)	\
	{									\
		return sysfs_emit(buf, "%llu\n", READ_ONCE(dfc_counters.name));	\
	}									\
	static struct kobj_attribute dfc_counter_##name = __ATTR_RO(name)

DFC_COUNTER(tried);
DFC_COUNTER(cleared);
DFC_COUNTER(busy);
DFC_COUNTER(interrupted);
DFC_COUNTER(nomem);
DFC_COUNTER(failed);
DFC_COUNTER(pages_in_use);
DFC_COUNTER(pages_moved);
DFC_COUNTER(clear_usec);
DFC_COUNTER(fallback_pages);

static struct attribute *dfc_counter_attrs[] = {
	&dfc_counter_tried.attr,
	&dfc_counter_cleared.attr,
	&dfc_counter_busy.attr,
	&dfc_counter_interrupted.attr,
	&dfc_counter_nomem.attr,
	&dfc_counter_failed.attr,
	&dfc_counter_pages_in_use.attr,
	&dfc_counter_pages_moved.attr,
	&dfc_counter_clear_usec.attr,
	&dfc_counter_fallback_pages.attr,
	NULL,
};

static const struct attribute_group dfc_counter_group = {
	.name = "counters",
	.attrs = dfc_counter_attrs,
};

static const struct attribute_group *dfc_groups[] = {
	&dfc_group,
	&dfc_counter_group,
	NULL,
};

static int __init dfc_init(void)
{
	int err;

	dfc_kobj = kobject_create_and_add("defragd_clear", kernel_kobj);
	if (!dfc_kobj)
		return -ENOMEM;
	err = sysfs_create_groups(dfc_kobj, dfc_groups);
	if (err) {
		kobject_put(dfc_kobj);
		return err;
	}
	pr_info("ready: abi %d, orders %u..%u, %s, free mode %s\n", DFC_ABI_VERSION,
		dfc_order_min(), dfc_order_max(), DFC_ACR_API, dfc_free_mode());
	return 0;
}

/* Removing the directory waits for a clear in progress (sysfs drains active
 * writers); a client holding a file open gets ENODEV afterwards. */
static void __exit dfc_exit(void)
{
	kobject_put(dfc_kobj);
}

module_init(dfc_init);
module_exit(dfc_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("defragd authors");
MODULE_DESCRIPTION("defragd companion: clear one chosen aligned block of physical memory");
MODULE_VERSION("0.1.0");
