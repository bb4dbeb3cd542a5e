/*
 * Vatra guest test runtime: a small printf to COM1.
 * %d %i %u %x %X %p %s %c %%, with l/ll/z, a width, '0' and '-' flags,
 * and a precision for %s (%.8s, %.*s).
 */
#include "rt.h"

static int emit(char c)
{
	rt_putc(c);
	return 1;
}

static int pad(int n, char c)
{
	int w = 0;
	while (n-- > 0)
		w += emit(c);
	return w;
}

int rt_vprintf(const char *fmt, va_list ap)
{
	int written = 0;

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			written += emit(*fmt);
			continue;
		}
		fmt++;
		bool left = false, zero = false;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				zero = true;
			else
				break;
		}
		int width = 0;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		int prec = -1; /* %.Ns / %.*s: at most N characters */
		if (*fmt == '.') {
			prec = 0;
			if (*++fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		int lng = 0;
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}

		char buf[24];
		const char *s = buf;
		int len = 0;
		bool neg = false;
		uint64_t v;
		unsigned base = 10;

		switch (*fmt) {
		case 'c':
			buf[0] = (char)va_arg(ap, int);
			len = 1;
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			for (len = 0; s[len] && (prec < 0 || len < prec); len++)
				;
			break;
		case 'd':
		case 'i': {
			int64_t sv = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			neg = sv < 0;
			v = neg ? -(uint64_t)sv : (uint64_t)sv;
			goto number;
		}
		case 'p':
			written += emit('0') + emit('x');
			v = (uint64_t)va_arg(ap, void *);
			base = 16;
			goto number;
		case 'x':
		case 'X':
			base = 16;
			/* fall through */
		case 'u':
			v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
		number: {
			char *e = buf + sizeof(buf);
			char *p = e;
			do {
				unsigned d = v % base;
				*--p = d < 10 ? '0' + d : (*fmt == 'X' ? 'A' : 'a') + d - 10;
				v /= base;
			} while (v);
			if (neg)
				*--p = '-';
			s = p;
			len = e - p;
			break;
		}
		case '%':
			buf[0] = '%';
			len = 1;
			break;
		case 0:
			return written;
		default:
			buf[0] = '%';
			buf[1] = *fmt;
			len = 2;
			break;
		}

		if (!left && zero && neg) { /* sign before the zeros */
			written += emit('-');
			s++, len--, width--;
		}
		if (!left)
			written += pad(width - len, zero ? '0' : ' ');
		for (int i = 0; i < len; i++)
			written += emit(s[i]);
		if (left)
			written += pad(width - len, ' ');
	}
	return written;
}

int rt_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = rt_vprintf(fmt, ap);
	va_end(ap);
	return n;
}
