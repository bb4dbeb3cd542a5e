# Shared helpers for the test tiers (sourced). Each check appends one
# "PASS name" or "FAIL name" line to $RESULTS and prints it.
: "${RESULTS:?RESULTS must name the results file}"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$TOP/build

pass() { echo "PASS $1" >>"$RESULTS"; echo "  ok    $1"; }
fail() { echo "FAIL $1" >>"$RESULTS"; echo "  FAIL  $1"; }

# check NAME COMMAND...: passes when COMMAND succeeds; returns 1 on a
# failure, for a `|| show-what-was-seen` after it.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; return 1; fi
}

# has LOG REGEX: the serial log (CRs removed) matches the extended regex.
has() { tr -d '\r' <"$1" | grep -qE -- "$2"; }
hasnt() { ! has "$@"; }
# count LOG REGEX N: exactly N lines match.
count() { [ "$(tr -d '\r' <"$1" | grep -cE -- "$2")" -eq "$3" ]; }
# status_is GOT WANT
status_is() { [ "$1" -eq "$2" ]; }

# Writes a config file from the remaining arguments, one line each.
mkcfg() {
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
}
