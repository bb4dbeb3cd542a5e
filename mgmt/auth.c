/* Identities and failure limiting (auth.h). */
#include "mgmt/auth.h"
#include "lib/string.h"
#include "lib/strutil.h"

static const char *const role_names[] = { "readonly", "operator", "admin" };

const char *auth_role_name(enum cmd_role r)
{
	return (unsigned)r < 3 ? role_names[r] : "?";
}

static void err(struct auth_table *t, unsigned line, const char *msg)
{
	if (t->nerrors < AUTH_MAX_ERRORS) {
		t->err_line[t->nerrors] = line;
		t->err_msg[t->nerrors] = msg;
	}
	t->nerrors++;
}

/* 64 hex digits, or the 32 colon-separated pairs openssl prints. */
static bool parse_digest(const char *s, size_t n, uint8_t out[32])
{
	size_t i = 0;

	for (unsigned b = 0; b < 32; b++) {
		if (b && n == 95) {
			if (s[i] != ':')
				return false;
			i++;
		}
		if (i + 2 > n || str_hexdigit(s[i]) < 0 || str_hexdigit(s[i + 1]) < 0)
			return false;
		out[b] = (uint8_t)(str_hexdigit(s[i]) << 4 | str_hexdigit(s[i + 1]));
		i += 2;
	}
	return i == n;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(w, lit, n);
}

static void parse_line(struct auth_table *t, unsigned lineno, const char *s, size_t n)
{
	const char *w[5];
	size_t wl[5];
	unsigned nw = 0;
	struct auth_id id;
	int role = -1;

	for (size_t i = 0; i < n;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i >= n || s[i] == '#')
			break;
		if (nw == 5) {
			err(t, lineno, "too many words (expected KIND ROLE DIGEST NAME)");
			return;
		}
		w[nw] = s + i;
		while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			i++;
		wl[nw] = (size_t)(s + i - w[nw]);
		nw++;
	}
	if (!nw)
		return;
	if (nw != 4) {
		err(t, lineno, "expected KIND ROLE DIGEST NAME");
		return;
	}
	memset(&id, 0, sizeof(id));
	if (word_is(w[0], wl[0], "cert"))
		id.kind = AUTH_CERT;
	else if (word_is(w[0], wl[0], "token"))
		id.kind = AUTH_TOKEN;
	else {
		err(t, lineno, "kind must be cert or token");
		return;
	}
	for (int r = 0; r < 3; r++)
		if (word_is(w[1], wl[1], role_names[r]))
			role = r;
	if (role < 0) {
		err(t, lineno, "role must be readonly, operator or admin");
		return;
	}
	id.role = (enum cmd_role)role;
	if (!parse_digest(w[2], wl[2], id.digest)) {
		err(t, lineno, "digest must be a SHA-256 in hex (64 digits)");
		return;
	}
	if (wl[3] >= AUTH_NAME_MAX) {
		err(t, lineno, "name too long");
		return;
	}
	memcpy(id.name, w[3], wl[3]);
	for (unsigned i = 0; i < t->n; i++)
		if (t->ids[i].kind == id.kind && !memcmp(t->ids[i].digest, id.digest, 32)) {
			err(t, lineno, "the same credential is listed twice");
			return;
		}
	if (t->n == AUTH_MAX_IDS) {
		err(t, lineno, "too many identities");
		return;
	}
	t->ids[t->n++] = id;
}

unsigned auth_parse(struct auth_table *t, const char *text, size_t len)
{
	size_t start = 0;
	unsigned line = 1;

	memset(t, 0, sizeof(*t));
	if (!text)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		parse_line(t, line++, text + start, i - start);
		start = i + 1;
	}
	return t->n;
}

const struct auth_id *auth_find(const struct auth_table *t, enum auth_kind kind,
				const uint8_t digest[32])
{
	const struct auth_id *found = NULL;

	for (unsigned i = 0; i < t->n; i++) {
		uint8_t d = 0;

		for (unsigned k = 0; k < 32; k++)
			d |= t->ids[i].digest[k] ^ digest[k];
		if (!d && t->ids[i].kind == kind)
			found = &t->ids[i];
	}
	return found;
}

static int slot_of(const struct auth_limit *l, uint32_t addr)
{
	for (int i = 0; i < AUTH_LIMIT_SLOTS; i++)
		if (l->slot[i].used && l->slot[i].addr == addr)
			return i;
	return -1;
}

bool auth_limited(const struct auth_limit *l, uint32_t addr, uint32_t now_ms)
{
	int i = slot_of(l, addr);

	return i >= 0 && l->slot[i].blocked &&
	       (int32_t)(l->slot[i].blocked_until_ms - now_ms) > 0;
}

bool auth_failed(struct auth_limit *l, uint32_t addr, uint32_t now_ms)
{
	int i = slot_of(l, addr);

	if (i < 0) {
		/* A free slot, else the one whose window began longest ago. */
		uint32_t oldest = 0;
		for (int k = 0; k < AUTH_LIMIT_SLOTS; k++) {
			uint32_t age = now_ms - l->slot[k].first_ms;
			if (!l->slot[k].used) {
				i = k;
				break;
			}
			if (auth_limited(l, l->slot[k].addr, now_ms))
				continue;
			if (i < 0 || age > oldest) {
				i = k;
				oldest = age;
			}
		}
		if (i < 0)
			i = 0;
		memset(&l->slot[i], 0, sizeof(l->slot[i]));
		l->slot[i].used = true;
		l->slot[i].addr = addr;
		l->slot[i].first_ms = now_ms;
	}
	if (now_ms - l->slot[i].first_ms > AUTH_FAIL_WINDOW_MS) {
		l->slot[i].first_ms = now_ms;
		l->slot[i].fails = 0;
	}
	if (++l->slot[i].fails >= AUTH_FAIL_MAX && !auth_limited(l, addr, now_ms)) {
		l->slot[i].blocked = true;
		l->slot[i].blocked_until_ms = now_ms + AUTH_BLOCK_MS;
		l->slot[i].fails = 0;
		l->slot[i].first_ms = now_ms;
		return true;
	}
	return false;
}
