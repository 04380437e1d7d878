#!/usr/bin/env bash
# Build, once per machine, a Debian 13 (trixie) root with Python 3.13 for the ansible-core
# versions that need Python 3.12+ (tests/matrix.yml), and refresh the host files pip needs in it.
#
# The root is debootstrap'ed (minbase + python3, python3-venv, ca-certificates, git: ansible-test
# lists the collection's files with git) from the Debian mirror this machine's apt already uses,
# read from /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list (DEBIAN_MIRROR overrides).
# It is built in a temporary directory and moved into place only when complete, so an interrupted
# build is never mistaken for a ready root; a missing or broken root is rebuilt. Every call copies
# /etc/resolv.conf, /etc/hosts, /etc/pip.conf and the CA bundles that pip.conf, PIP_CERT,
# REQUESTS_CA_BUNDLE and SSL_CERT_FILE name into the root, at the same paths.
#
# Usage: hack/debian-root.sh            (prints the root's path on stdout)
#        hack/debian-root.sh --remove   (deletes the root, refusing while anything is mounted in it)
# Environment:
#   DEBIAN_ROOT     where the root lives (default /var/cache/semaphore-api/debian13-root)
#   DEBIAN_MIRROR   mirror URL to debootstrap from (default: read from the apt sources)
# Needs root (debootstrap, chroot); installs debootstrap with apt-get when it is missing.
set -euo pipefail

root=${DEBIAN_ROOT:-/var/cache/semaphore-api/debian13-root}
suite=trixie
packages=python3,python3-venv,ca-certificates,git
# Written last into a complete root; its content names what the root was built with.
ready=${root}/.semaphore-api-root
ready_content="suite=${suite} packages=${packages}"

log() { echo "debian-root: $*" >&2; }

if [[ $(id -u) != 0 ]]; then
    log "needs root (debootstrap, chroot)"
    exit 1
fi

# Nothing may be mounted below a directory we are about to delete: a bind mount of the checkout
# inside it would be deleted with it. Our own mounts live in private namespaces (unshare -m), so
# this only trips on something else's.
remove_tree() {
    local dir=$1
    [[ -e ${dir} ]] || return 0
    if findmnt -rn -o TARGET | awk -v d="${dir}" 'index($0, d "/") == 1 || $0 == d { found = 1 } END { exit !found }'; then
        log "refusing to delete ${dir}: something is mounted below it (see findmnt)"
        exit 1
    fi
    rm -rf --one-file-system "${dir}"
}

# The root is usable: complete, built with today's package list, and its python can make venvs.
root_ok() {
    [[ -f ${ready} && $(cat "${ready}") == "${ready_content}" ]] || return 1
    [[ -x ${root}/usr/bin/python3 && -x ${root}/usr/bin/git ]] || return 1
    python_ok >/dev/null 2>&1
}

python_ok() {
    chroot "${root}" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        /usr/bin/python3 -c 'import ensurepip, venv, ssl, sys; assert sys.version_info >= (3, 12)'
}

# The Debian archive this machine's apt uses: the URI of the entry that serves the host's own
# release (not -security / -updates). Deb822 .sources first, then the one-line format.
find_mirror() {
    local codename
    codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"' || true)
    [[ -n ${codename} ]] || return 1
    local files=()
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f ${f} ]] && files+=("${f}")
    done
    if ((${#files[@]})); then
        # Stanzas are separated by blank lines; comments are skipped.
        awk -v want="${codename}" '
            function flush() {
                if (uris != "" && types ~ /(^|[ \t])deb([ \t]|$)/ && (" " suites " ") ~ (" " want " ")) {
                    split(uris, u, /[ \t]+/); print u[1]; found = 1; exit
                }
                uris = ""; suites = ""; types = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            tolower($1) == "uris:"   { $1 = ""; sub(/^[ \t]+/, ""); uris = $0 }
            tolower($1) == "suites:" { $1 = ""; sub(/^[ \t]+/, ""); suites = $0 }
            tolower($1) == "types:"  { $1 = ""; sub(/^[ \t]+/, ""); types = $0 }
            END { if (!found) flush() }
        ' "${files[@]}" | head -n 1
    fi
    if [[ -f /etc/apt/sources.list ]]; then
        # deb [options] URI SUITE COMPONENTS...
        awk -v want="${codename}" '
            $1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == want) { print $i; exit }
            }' /etc/apt/sources.list
    fi
}

# Copy host files pip and name resolution need into the root, at the same paths.
refresh_host_files() {
    local files=(/etc/resolv.conf /etc/hosts /etc/pip.conf)
    local cert
    if [[ -f /etc/pip.conf ]]; then
        cert=$(awk -F '=' 'tolower($1) ~ /^[ \t]*cert[ \t]*$/ { v = $2; gsub(/^[ \t]+|[ \t]+$/, "", v); print v; exit }' /etc/pip.conf)
        [[ -n ${cert} ]] && files+=("${cert}")
    fi
    for cert in "${PIP_CERT:-}" "${REQUESTS_CA_BUNDLE:-}" "${SSL_CERT_FILE:-}"; do
        [[ -n ${cert} ]] && files+=("${cert}")
    done
    local f
    for f in "${files[@]}"; do
        [[ -f ${f} ]] || continue
        mkdir -p "${root}$(dirname "${f}")"
        # resolv.conf and the CA bundles can be symlinks on the host or in the root: copy content.
        rm -f "${root}${f}"
        cp -L "${f}" "${root}${f}"
    done
}

build_root() {
    if ! command -v debootstrap >/dev/null; then
        log "installing debootstrap"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
    local mirror=${DEBIAN_MIRROR:-}
    [[ -n ${mirror} ]] || mirror=$(find_mirror || true)
    if [[ -z ${mirror} ]]; then
        log "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; set DEBIAN_MIRROR"
        exit 1
    fi
    local parent tmp
    parent=$(dirname "${root}")
    mkdir -p "${parent}"
    # Leftovers of interrupted builds (bounded: one glob).
    for tmp in "${root}".new.*; do
        [[ -e ${tmp} ]] && remove_tree "${tmp}"
    done
    tmp=${root}.new.$$
    log "building a Debian ${suite} root in ${root} (takes a minute or two)"
    local started=${SECONDS}
    # debootstrap mounts /proc and /sys inside the target: keep them in a private mount namespace
    # so that an interrupted build leaves nothing mounted on the host.
    if ! unshare -m --propagation private -- \
        debootstrap --variant=minbase --include="${packages}" "${suite}" "${tmp}" "${mirror}" \
        >"${parent}/debootstrap.log" 2>&1; then
        log "debootstrap failed; the end of ${parent}/debootstrap.log:"
        tail -n 30 "${parent}/debootstrap.log" >&2
        remove_tree "${tmp}"
        exit 1
    fi
    # Keep the root small: apt's downloaded packages are not needed any more.
    rm -f "${tmp}"/var/cache/apt/archives/*.deb
    remove_tree "${root}"
    mv "${tmp}" "${root}"
    refresh_host_files
    if ! python_ok; then
        log "the new root's python3 cannot make venvs"
        exit 1
    fi
    echo "${ready_content}" >"${ready}"
    log "root ready in $((SECONDS - started)) s"
}

if [[ ${1:-} == --remove ]]; then
    remove_tree "${root}"
    rm -f "${root}.lock" "$(dirname "${root}")/debootstrap.log"
    rmdir "$(dirname "${root}")" 2>/dev/null || true
    exit 0
fi

mkdir -p "$(dirname "${root}")"
# One builder at a time (two `make matrix` runs on one machine share the root).
exec 9>"${root}.lock"
flock 9

if ! root_ok; then
    [[ -e ${root} ]] && log "${root} is missing pieces or broken: rebuilding"
    build_root
else
    refresh_host_files
fi
echo "${root}"
