/* JSON (RFC 8259) for the management API: a writer that escapes strings
 * into a sink, and a validating reader for request bodies that hands out
 * the top-level object's string members. Pure code (unit-tested). */
#ifndef VATRA_NET_JSON_H
#define VATRA_NET_JSON_H

#include <stddef.h>
#include <stdbool.h>
#include "lib/sink.h"

/* Writes s (n bytes) as a JSON string, quotes included; control
 * characters and bytes >= 0x80 that are not UTF-8 are escaped as \u00XX. */
void json_str(struct sink *out, const char *s, size_t n);
void json_cstr(struct sink *out, const char *s);

#define JSON_MAX_DEPTH 16

/* Checks that text[0..len) is one JSON value (RFC 8259 grammar, nesting
 * at most JSON_MAX_DEPTH). Returns 0 or -EINVAL with *why set. */
int json_validate(const char *text, size_t len, const char **why);

/* In a valid JSON object text, the string value of the top-level member
 * key, unescaped into buf (size bytes, NUL-terminated; \u escapes outside
 * ASCII become '?'). Returns its length, -ENOENT when there is no such
 * member, -EINVAL when it is not a string or the text is not an object,
 * -E2BIG when it does not fit. */
int json_get_str(const char *text, size_t len, const char *key, char *buf, size_t size);

#endif
