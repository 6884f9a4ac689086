#!/usr/bin/env bash
# docker/build-base-image.sh — build the Node base image locally, with no
# container registry: debootstrap a minimal Debian, add this host's node and npm,
# and `docker import` the result.
#
# Why: the machines this project runs on reach Debian's mirror and the npm
# registry but no container registry, so `FROM node:...` cannot be pulled. The
# image stands in for the official node slim image (same user `node`, uid 1000,
# `node` as CMD) and adds iproute2 and tini.
#
# Usage: docker/build-base-image.sh [--force] [--no-host-ca] [TAG]
#   TAG          image tag (default: $SPINOZA_BASE_IMAGE or spinoza/node-base:local)
#   --force      rebuild even if TAG exists (the cached rootfs is still reused;
#                delete it from the cache dir to debootstrap again)
#   --no-host-ca do not copy the host's locally added CA certificates
#                (/usr/local/share/ca-certificates) into the image. By default
#                they are copied and NODE_EXTRA_CA_CERTS points node at them, so
#                that `npm ci` inside `docker build` works behind the same
#                TLS-inspecting proxy the host trusts. The image stays local.
# Environment: BASE_SUITE (default: this host's codename), SPINOZA_CACHE_DIR,
# SPINOZA_DEBIAN_MIRROR (overrides the mirror read from apt sources).
set -euo pipefail

SCRIPT_NAME=build-base-image
# shellcheck source=docker/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INCLUDE_PKGS=iproute2,ca-certificates,tini
NODE_UID=1000

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

parse_args() {
  FORCE=0
  HOST_CA=1
  TAG=${SPINOZA_BASE_IMAGE:-spinoza/node-base:local}
  while (($# > 0)); do
    case $1 in
      --force) FORCE=1 ;;
      --no-host-ca) HOST_CA=0 ;;
      -h | --help) usage; exit 0 ;;
      -*) die bad-arg "unknown option $1" "see $0 --help" ;;
      *) TAG=$1 ;;
    esac
    shift
  done
}

# cached_rootfs SUITE ARCH — path of the debootstrap tarball, building it once.
# The key holds the suite, arch and package list, so changing them rebuilds.
cached_rootfs() {
  local suite=$1 arch=$2 cache tarball tmp mirror
  cache=$(spinoza_cache_dir)
  tarball="${cache}/rootfs-${suite}-${arch}-minbase-$(printf '%s' "${INCLUDE_PKGS}" | md5sum | cut -c1-8).tar"
  if [[ -s ${tarball} ]]; then
    log "rootfs: using cached ${tarball}"
  else
    mirror=$(debian_mirror)
    apt_install debootstrap
    tmp=$(mktemp -d)
    log "rootfs: debootstrap --variant=minbase --include=${INCLUDE_PKGS} ${suite} from ${mirror}"
    debootstrap --variant=minbase --include="${INCLUDE_PKGS}" --arch="${arch}" \
      "${suite}" "${tmp}" "${mirror}" >"${tmp}.log" 2>&1 \
      || { tail -n 20 "${tmp}.log" >&2; die debootstrap "debootstrap ${suite} failed" \
        "full log: ${tmp}.log; check that ${mirror} serves ${suite}"; }
    rm -f "${tmp}.log"
    # Slim before caching: the .debs debootstrap leaves behind and the apt lists
    # alone are ~150 MB that every later run would unpack for nothing.
    slim "${tmp}"
    tar --numeric-owner -C "${tmp}" -cf "${tarball}.part" .
    mv "${tarball}.part" "${tarball}"
    rm -rf "${tmp}"
    log "rootfs: cached ${tarball} ($(du -h "${tarball}" | cut -f1))"
  fi
  printf '%s\n' "${tarball}"
}

# add_node ROOTFS — this host's node binary and npm, as the official image lays them out.
add_node() {
  local root=$1 node npm_dir
  node=$(command -v node) || die no-node "no node on PATH" "install Node.js >= 20.19 on the host"
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [[ -f ${npm_dir}/package.json ]] || die no-npm "cannot find npm's package next to $(command -v npm)" \
    "install npm on the host"
  install -D -m 0755 "$(readlink -f "${node}")" "${root}/usr/local/bin/node"
  mkdir -p "${root}/usr/local/lib/node_modules"
  cp -a "${npm_dir}" "${root}/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "${root}/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "${root}/usr/local/bin/npx"
  chroot "${root}" /usr/local/bin/node --version >/dev/null \
    || die node-libs "the host's node does not run inside the rootfs" \
      "the rootfs lacks a shared library node needs: compare 'ldd ${node}' with the rootfs"
}

# add_user ROOTFS — user and group `node` (uid/gid 1000), as in the official image.
add_user() {
  local root=$1
  grep -q '^node:' "${root}/etc/group" || echo "node:x:${NODE_UID}:" >>"${root}/etc/group"
  grep -q '^node:' "${root}/etc/passwd" \
    || echo "node:x:${NODE_UID}:${NODE_UID}::/home/node:/bin/bash" >>"${root}/etc/passwd"
  grep -q '^node:' "${root}/etc/shadow" || echo 'node:*:19000:0:99999:7:::' >>"${root}/etc/shadow"
  mkdir -p "${root}/home/node"
  chown "${NODE_UID}:${NODE_UID}" "${root}/home/node"
}

# add_host_cas ROOTFS — the host's locally added CAs, if any; sets EXTRA_CA=1.
EXTRA_CA=0
add_host_cas() {
  local root=$1 crt n=0 out
  ((HOST_CA == 1)) || { log "ca: --no-host-ca, host CAs not copied"; return; }
  while IFS= read -r -d '' crt; do
    install -D -m 0644 "${crt}" "${root}/usr/local/share/ca-certificates/host-${crt##*/}"
    n=$((n + 1))
  done < <(find /usr/local/share/ca-certificates -name '*.crt' -print0 2>/dev/null)
  ((n > 0)) || { log "ca: the host has no locally added CAs"; return; }
  # Its chatter (a rehash warning about the bundle itself) matters only on failure.
  out=$(chroot "${root}" update-ca-certificates 2>&1) \
    || { printf '%s\n' "${out}" >&2; die ca-update "update-ca-certificates failed in the rootfs" \
      "re-run with --no-host-ca to skip"; }
  EXTRA_CA=1
  log "ca: copied ${n} CA certificate(s) from /usr/local/share/ca-certificates"
}

# slim ROOTFS — drop docs (keeping copyright notices), man pages, locales, apt
# lists and caches; tell dpkg to keep them out of any later apt-get install too.
slim() {
  local root=$1
  find "${root}/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "${root}/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "${root}"/usr/share/{man,info,lintian,linda}/* "${root}"/usr/share/locale/*
  rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/* "${root}"/var/cache/debconf/*-old
  rm -rf "${root}"/var/log/* "${root}"/tmp/* "${root}"/root/.cache
  rm -rf "${root}"/usr/local/lib/node_modules/npm/{docs,man}
  cat >"${root}/etc/dpkg/dpkg.cfg.d/01-spinoza-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  printf 'APT::Install-Recommends "false";\n' >"${root}/etc/apt/apt.conf.d/01-spinoza-norecommends"
}

import_image() {
  local root=$1 node_version old_id new_id
  old_id=$(docker image inspect -f '{{.Id}}' "${TAG}" 2>/dev/null || true)
  node_version=$(chroot "${root}" /usr/local/bin/node --version)
  log "import: ${TAG} (node ${node_version})"
  local extra=()
  ((EXTRA_CA == 0)) || extra=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
  tar --numeric-owner -C "${root}" -c . | docker import "${extra[@]}" \
    --change "ENV NODE_VERSION=${node_version#v}" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'WORKDIR /' \
    --change 'CMD ["node"]' \
    --message "spinoza base: debootstrap minbase ${SUITE} + host node ${node_version}" \
    - "${TAG}" >/dev/null
  new_id=$(docker image inspect -f '{{.Id}}' "${TAG}")
  if [[ -n ${old_id} && ${old_id} != "${new_id}" ]]; then
    docker image rm "${old_id}" >/dev/null 2>&1 \
      || warn "previous ${TAG} (${old_id:7:12}) is still used by a container or image; left in place"
  fi
}

main() {
  parse_args "$@"
  require_root
  docker info >/dev/null 2>&1 || die no-engine "the Docker engine does not answer" \
    "run docker/setup-engine.sh first"
  if ((FORCE == 0)) && docker image inspect "${TAG}" >/dev/null 2>&1; then
    log "image ${TAG} exists, nothing to do (--force to rebuild)"
    return
  fi
  local start=${SECONDS} arch tarball
  SUITE=${BASE_SUITE:-$(host_codename)}
  arch=$(dpkg --print-architecture)
  tarball=$(cached_rootfs "${SUITE}" "${arch}")
  BUILD_ROOT=$(mktemp -d)
  trap 'rm -rf "${BUILD_ROOT}"' EXIT
  tar --numeric-owner -xpf "${tarball}" -C "${BUILD_ROOT}"
  add_node "${BUILD_ROOT}"
  add_user "${BUILD_ROOT}"
  add_host_cas "${BUILD_ROOT}"
  slim "${BUILD_ROOT}"
  import_image "${BUILD_ROOT}"
  log "built ${TAG} in $((SECONDS - start))s, size $(docker image inspect -f '{{.Size}}' "${TAG}" \
    | awk '{ printf "%.1f MB", $1 / 1e6 }')"
}

main "$@"
