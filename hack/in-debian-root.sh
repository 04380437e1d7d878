#!/usr/bin/env bash
# Run a command inside the Debian 13 root (hack/debian-root.sh builds it) with the same absolute
# paths as outside: /dev, /proc, /sys, /tmp, this checkout, $HOME and the checkout's ../shared are
# bind-mounted at their own paths, in a private mount namespace (unshare -m), so nothing stays
# mounted once the command ends, whatever happened. The environment is kept (HOME included:
# async_status needs HOME to match the passwd home), except PATH, which becomes the root's
# standard one (IN_ROOT_PATH) so that host-only tools such as pyenv shims under $HOME are not
# picked up. The command runs in the current directory, which must be below one of those paths;
# its exit code is this script's.
#
# Usage: hack/in-debian-root.sh COMMAND [ARGS...]
# Environment:
#   DEBIAN_ROOT     the root (default: what hack/debian-root.sh uses)
#   IN_ROOT_BINDS   more host directories to bind at their own paths, separated by ':'
#   IN_ROOT_PATH    PATH inside (default /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
# Needs root (unshare -m, mount, chroot).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "${here}/.." && pwd)

if [[ ${1:-} != --in-namespace ]]; then
    [[ $# -gt 0 ]] || { echo "in-debian-root: no command given" >&2; exit 2; }
    if [[ $(id -u) != 0 ]]; then
        echo "in-debian-root: needs root (unshare -m, mount, chroot)" >&2
        exit 1
    fi
    root=$("${here}/debian-root.sh")
    exec unshare -m --propagation private -- "${here}/in-debian-root.sh" --in-namespace "${root}" "$@"
fi

# From here on: inside the private mount namespace.
root=$2
shift 2

# The directories to bind, parents before children; a path already visible through a bound
# parent is not bound again.
paths=(/dev /proc /sys /tmp "${repo}" "${HOME}")
[[ -d ${repo}/../shared ]] && paths+=("$(cd "${repo}/../shared" && pwd -P)")
# pip's find-links directory, when the environment points at a local one.
[[ ${PIP_FIND_LINKS:-} == /* && -d ${PIP_FIND_LINKS} ]] && paths+=("${PIP_FIND_LINKS}")
if [[ -n ${IN_ROOT_BINDS:-} ]]; then
    IFS=: read -r -a extra <<<"${IN_ROOT_BINDS}"
    paths+=("${extra[@]}")
fi

mapfile -t sorted < <(
    for p in "${paths[@]}"; do
        [[ -n ${p} && -d ${p} ]] && realpath -e "${p}"
    done | awk '{ print length($0) "\t" $0 }' | sort -n -k1,1 -s | cut -f 2- | uniq
)
bound=()
for p in "${sorted[@]}"; do
    covered=false
    for b in "${bound[@]}"; do
        if [[ ${b} == / || ${p} == "${b}" || ${p} == "${b}"/* ]]; then
            covered=true
            break
        fi
    done
    ${covered} && continue
    mkdir -p "${root}${p}"
    mount --rbind "${p}" "${root}${p}"
    # Make the copies private too, so nothing propagates back to the host's mounts.
    mount --make-rprivate "${root}${p}"
    bound+=("${p}")
done

cwd=$(pwd -P)
export PATH=${IN_ROOT_PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}
# shellcheck disable=SC2016  # expanded by the shell inside the root
exec chroot "${root}" /bin/sh -c 'cd "$1" || { echo "in-debian-root: $1 is not visible inside the root" >&2; exit 125; }; shift; exec "$@"' \
    in-debian-root "${cwd}" "$@"
