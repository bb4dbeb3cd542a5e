/* Who may use the management API, and as what. Pure code: the identity
 * file is parsed here and checked against digests the transport computes
 * (SHA-256 of a client certificate's DER, SHA-256 of a bearer token), so
 * no secret is kept in the clear. Repeated failures from one address are
 * limited here too.
 *
 * The identity file (mgmt_auth, next to vatra.cfg), one identity a line:
 *     cert  ROLE  SHA256-HEX  NAME     a client certificate's fingerprint
 *     token ROLE  SHA256-HEX  NAME     a bearer token's SHA-256
 * ROLE is readonly, operator or admin; NAME names it in the log. '#'
 * starts a comment. (tools/vatra-mgmt-keys writes this file.) */
#ifndef VATRA_MGMT_AUTH_H
#define VATRA_MGMT_AUTH_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "mgmt/commands.h"

#define AUTH_MAX_IDS 32
#define AUTH_NAME_MAX 32
#define AUTH_MAX_ERRORS 8

enum auth_kind { AUTH_CERT, AUTH_TOKEN };

struct auth_id {
	enum auth_kind kind;
	enum cmd_role role;
	uint8_t digest[32];
	char name[AUTH_NAME_MAX];
};

struct auth_table {
	struct auth_id ids[AUTH_MAX_IDS];
	unsigned n;
	unsigned nerrors;
	unsigned err_line[AUTH_MAX_ERRORS];
	const char *err_msg[AUTH_MAX_ERRORS];
};

/* Parses the identity file (len bytes, any content). Never fails as a
 * whole: bad lines are recorded (line, message) and skipped. Returns the
 * number of identities. */
unsigned auth_parse(struct auth_table *t, const char *text, size_t len);

/* The identity of that kind with this digest (compared in constant time
 * over the whole table), or NULL. */
const struct auth_id *auth_find(const struct auth_table *t, enum auth_kind kind,
				const uint8_t digest[32]);

/* "readonly", "operator", "admin". */
const char *auth_role_name(enum cmd_role r);

/* Failure limiting per client address: after AUTH_FAIL_MAX failures
 * within AUTH_FAIL_WINDOW_MS an address is refused for AUTH_BLOCK_MS. */
#define AUTH_FAIL_MAX 5
#define AUTH_FAIL_WINDOW_MS 60000u
#define AUTH_BLOCK_MS 60000u
#define AUTH_LIMIT_SLOTS 16

struct auth_limit {
	struct {
		uint32_t addr;
		uint32_t first_ms, blocked_until_ms;
		unsigned fails;
		bool used, blocked;
	} slot[AUTH_LIMIT_SLOTS];
};

/* Whether addr is refused now. */
bool auth_limited(const struct auth_limit *l, uint32_t addr, uint32_t now_ms);
/* Records a failure; returns true when this one blocks the address. */
bool auth_failed(struct auth_limit *l, uint32_t addr, uint32_t now_ms);

#endif
