/* A small vsnprintf. Output goes through a bounded buffer writer; the
 * return value counts what would have been written, as ISO C says. */
#include <stdint.h>
#include <stdbool.h>
#include "lib/printf.h"
#include "lib/string.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int prec;        /* -1 = none */
};

static void put_num(struct out *o, uint64_t v, bool neg, unsigned base,
		    bool upper, const struct spec *s)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, zeros, total;
	char sign = neg ? '-' : s->plus ? '+' : s->space ? ' ' : 0;
	const char *prefix = "";

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (s->prec == 0 && n == 1 && tmp[0] == '0')
		n = 0;
	if (s->alt && base == 16)
		prefix = upper ? "0X" : "0x";
	zeros = s->prec > n ? s->prec - n : 0;
	total = n + zeros + (sign ? 1 : 0) + (int)strlen(prefix);
	if (!s->left && !(s->zero && s->prec < 0))
		pad(o, ' ', s->width - total);
	if (sign)
		put(o, sign);
	while (*prefix)
		put(o, *prefix++);
	if (!s->left && s->zero && s->prec < 0)
		pad(o, '0', s->width - total);
	pad(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (s->left)
		pad(o, ' ', s->width - total);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		struct spec s = { .prec = -1 };
		int lng = 0;     /* -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size_t */

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (;;) {
			char f = *++fmt;
			if (f == '-') s.left = true;
			else if (f == '0') s.zero = true;
			else if (f == '+') s.plus = true;
			else if (f == ' ') s.space = true;
			else if (f == '#') s.alt = true;
			else break;
		}
		if (*fmt == '*') {
			s.width = va_arg(ap, int);
			if (s.width < 0) {
				s.left = true;
				s.width = -s.width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				s.width = s.width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			s.prec = 0;
			if (*fmt == '*') {
				s.prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					s.prec = s.prec * 10 + (*fmt++ - '0');
			}
		}
		for (;; fmt++) {
			if (*fmt == 'h') lng = lng ? -2 : -1;
			else if (*fmt == 'l') lng = lng ? 2 : 1;
			else if (*fmt == 'z') lng = 3;
			else break;
		}

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v;
			if (lng >= 1)
				v = lng == 3 ? (int64_t)va_arg(ap, long) :
				    lng == 2 ? va_arg(ap, long long) : va_arg(ap, long);
			else
				v = va_arg(ap, int);
			if (lng == -1) v = (short)v;
			if (lng == -2) v = (signed char)v;
			put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, &s);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			uint64_t v;
			if (lng >= 1)
				v = lng == 3 ? va_arg(ap, size_t) :
				    lng == 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned long);
			else
				v = va_arg(ap, unsigned int);
			if (lng == -1) v = (unsigned short)v;
			if (lng == -2) v = (unsigned char)v;
			put_num(&o, v, false, *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16,
				*fmt == 'X', &s);
			break;
		}
		case 'p':
			s.alt = true;
			put_num(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, &s);
			break;
		case 'c':
			if (!s.left)
				pad(&o, ' ', s.width - 1);
			put(&o, (char)va_arg(ap, int));
			if (s.left)
				pad(&o, ' ', s.width - 1);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			int n;
			if (!str)
				str = "(null)";
			n = (int)(s.prec >= 0 ? strnlen(str, (size_t)s.prec) : strlen(str));
			if (!s.left)
				pad(&o, ' ', s.width - n);
			for (int i = 0; i < n; i++)
				put(&o, str[i]);
			if (s.left)
				pad(&o, ' ', s.width - n);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;   /* a lone '%' at the end: stop */
			break;
		default:    /* unknown conversion: show it as written */
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
