/* What every guest loader starts and fails with (loader.h). */
#include "vmm/loader/loader.h"
#include "lib/string.h"
#include "lib/strutil.h"
#include "lib/errno.h"

int loader_fail(struct boot_state *st, const char *why)
{
	str_copy(st->err, why, sizeof(st->err));
	return -EINVAL;
}

int loader_begin(const struct guest_image *img, struct boot_state *st)
{
	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	if (!img || !img->ram)
		return loader_fail(st, "no guest RAM");
	return 0;
}
