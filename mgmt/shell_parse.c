/* Shell line parsing: pure code, unit-tested. */
#include "mgmt/shell.h"
#include "lib/errno.h"
#include "lib/strutil.h"

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
