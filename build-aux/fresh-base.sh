# shellcheck shell=sh
# Sourced by check-fresh and check-package: the fresh Debian 12 root both
# start from, built once with debootstrap's minbase variant (plus what
# FRESH_EXTRA names) from the mirror this machine's apt uses, and kept in
# $FRESH_CACHE (default /var/cache/netsrvd-fresh). Each run copies it.
#
#   fresh_base_ensure NAME EXTRA   sets $fresh_base to $cache/NAME, made if missing

fresh_cache=${FRESH_CACHE:-/var/cache/netsrvd-fresh}
fresh_suite=bookworm

fresh_base_ensure() {
	fresh_base=$fresh_cache/$1
	[ -f "$fresh_base/.complete" ] && return 0
	for tool in debootstrap unshare chroot; do
		command -v "$tool" >/dev/null 2>&1 && continue
		echo "fresh-base: installing debootstrap" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
		break
	done
	# shellcheck disable=SC2016 # $(...) are apt's field names, not the shell's
	fresh_mirror=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(COMPONENT)' \
		'Created-By: Packages' | awk -v s="$fresh_suite" '$2 == s && $3 == "main" { print $1; exit }')
	if [ -z "$fresh_mirror" ]; then
		echo "fresh-base: apt knows no mirror for $fresh_suite main (run apt-get update?)" >&2
		return 1
	fi
	echo "fresh-base: building $fresh_base from $fresh_mirror (once)" >&2
	rm -rf "$fresh_base"
	mkdir -p "$fresh_cache"
	debootstrap --variant=minbase ${2:+--include="$2"} "$fresh_suite" "$fresh_base" "$fresh_mirror" >&2
	touch "$fresh_base/.complete"
}
