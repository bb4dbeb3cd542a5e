/* Shell line parsing: pure code, unit-tested. */
#include "mgmt/shell.h"
#include "lib/errno.h"
#include "lib/strutil.h"
#include "lib/string.h"

int shell_split(char *line, char **argv, int max)
{
	int n = 0;

	for (char *p = line; *p;) {
		while (str_isspace(*p))
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max)
			return -E2BIG;
		argv[n++] = p;
		while (*p && !str_isspace(*p))
			p++;
	}
	return n;
}

int shell_parse(char *line, const struct shell_cmd_spec *specs, size_t n, char **argv,
		int *argc)
{
	int words = shell_split(line, argv, SHELL_MAX_ARGS);

	*argc = words > 0 ? words : 0;
	if (words < 0)
		return -E2BIG;
	if (words == 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[0], specs[i].name))
			continue;
		if ((words > 1 && !specs[i].args[0]) || words > 2)
			return -EINVAL;
		return (int)i;
	}
	return -ENOSYS;
}
