# Sourced, not run: a private apt configuration for downloading Debian packages of other
# releases (bullseye 5.10, bookworm 6.1/6.12, sid newest) without reading or writing the host's
# apt state. Used by tests/vm/fetch-kernel.sh (kernel images) and tools/kheaders/fetch.sh
# (kernel headers).
#
# The caller sets $apt_dir (sources, lists, cache and dpkg status go there) and defines die().
# Mirrors come from the host's own apt sources (the URIs ending in /debian and /debian-security);
# override with BCCC_VM_DEBIAN_MIRROR / BCCC_VM_SECURITY_MIRROR.

host_mirror() { # $1: path suffix (debian | debian-security)
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
		2>/dev/null | grep -oE "https?://[^ ]+/$1/?( |$)" | head -n1 | tr -d ' ' | sed 's:/$::' || true
}

setup_apt() {
	local main sec keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	main=${BCCC_VM_DEBIAN_MIRROR:-$(host_mirror debian)}
	sec=${BCCC_VM_SECURITY_MIRROR:-$(host_mirror debian-security)}
	[ -n "$main" ] || die "no Debian mirror in the host's apt sources; set BCCC_VM_DEBIAN_MIRROR"
	[ -n "$sec" ] || die "no Debian security mirror in the host's apt sources; set BCCC_VM_SECURITY_MIRROR"
	[ -r "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"
	mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,etc/sources.list.d,etc/apt.conf.d,etc/preferences.d}
	: >"$apt_dir/status"
	cat >"$apt_dir/etc/sources.list" <<SRC
deb [signed-by=$keyring] $sec bullseye-security main
deb [signed-by=$keyring] $main bullseye main
deb [signed-by=$keyring] $sec bookworm-security main
deb [signed-by=$keyring] $main bookworm main
deb [signed-by=$keyring] $main sid main
SRC
	# Dir::Etc::Parts points at an empty directory so the host's apt.conf.d (DEP-11 indexes,
	# proxies for other sources, ...) does not apply.
	cat >"$apt_dir/apt.conf" <<CONF
Dir::Etc "$apt_dir/etc";
Dir::Etc::SourceList "$apt_dir/etc/sources.list";
Dir::Etc::SourceParts "$apt_dir/etc/sources.list.d";
Dir::Etc::Parts "$apt_dir/etc/apt.conf.d";
Dir::Etc::Preferences "$apt_dir/etc/preferences";
Dir::Etc::PreferencesParts "$apt_dir/etc/preferences.d";
Dir::State "$apt_dir";
Dir::State::Lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::Cache "$apt_dir/cache";
Acquire::Languages "none";
# The mirror may be a dated snapshot whose Release files are past Valid-Until; signatures are
# still verified.
Acquire::Check-Valid-Until "false";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Sandbox::User "root";
CONF
}

apt_private() { APT_CONFIG=$apt_dir/apt.conf "$@"; }

apt_updated=
# Sets up the private configuration and refreshes its lists, once per process.
update_once() {
	[ -n "$apt_updated" ] && return
	setup_apt
	echo "$(basename "$0"): updating private apt lists in $apt_dir" >&2
	apt_private apt-get -q update >&2 || die "apt-get update (private config) failed"
	apt_updated=1
}
