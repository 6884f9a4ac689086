#!/usr/bin/env bash
# docker/setup-engine.sh — make a Docker engine and Compose v2 usable on a fresh
# Debian machine with no systemd and no container registry.
#
# Idempotent: every step checks first and says what it skips. Steps:
#   1. engine:  if `docker info` answers, nothing; otherwise install Debian's
#               docker.io and start dockerd in the background (log: $DOCKERD_LOG).
#   2. compose: if `docker compose version` is not v2, take the Compose v2 plugin
#               out of Debian trixie's docker-compose .deb (bookworm only has v1),
#               fetched from the mirror this machine's apt sources already name.
#   3. limits:  raise kernel tables that run out first with many containers.
#
# Environment: DOCKERD_LOG (default /var/log/dockerd.log), DOCKERD_TIMEOUT seconds
# (default 60), SPINOZA_DEBIAN_MIRROR (overrides the mirror read from apt sources).
set -euo pipefail

SCRIPT_NAME=setup-engine
# shellcheck source=docker/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKERD_TIMEOUT=${DOCKERD_TIMEOUT:-60}
COMPOSE_PLUGIN=/usr/local/lib/docker/cli-plugins/docker-compose
COMPOSE_SUITE=trixie

engine_answers() { docker info >/dev/null 2>&1; }

# iptables_mode — which iptables flavour works on this kernel: "nft", "legacy",
# or "none". Debian defaults to iptables-nft; some kernels only have the legacy
# x_tables, and some (minimal VMs) have neither, in which case dockerd must run
# with --iptables=false (published ports then go through docker-proxy only).
iptables_mode() {
  if iptables-nft -t nat -S >/dev/null 2>&1; then echo nft
  elif iptables-legacy -t nat -S >/dev/null 2>&1; then echo legacy
  else echo none
  fi
}

start_dockerd() {
  local flags=(--log-driver=json-file --log-opt max-size=10m --log-opt max-file=3)
  case "$(iptables_mode)" in
    nft)
      log "iptables: using iptables-nft"
      update-alternatives --quiet --set iptables /usr/sbin/iptables-nft
      update-alternatives --quiet --set ip6tables /usr/sbin/ip6tables-nft ;;
    legacy)
      log "iptables: nf_tables unusable here, switching to iptables-legacy"
      update-alternatives --quiet --set iptables /usr/sbin/iptables-legacy
      update-alternatives --quiet --set ip6tables /usr/sbin/ip6tables-legacy ;;
    none)
      warn "neither iptables-nft nor iptables-legacy works on this kernel;" \
        "starting dockerd with --iptables=false (no NAT to the outside, ports via docker-proxy)"
      flags+=(--iptables=false --ip6tables=false) ;;
  esac
  mkdir -p "$(dirname "${DOCKERD_LOG}")"
  log "starting dockerd ${flags[*]} (log: ${DOCKERD_LOG})"
  # New session so it outlives this shell; many containers need many files.
  (
    ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    exec setsid dockerd "${flags[@]}" >>"${DOCKERD_LOG}" 2>&1 </dev/null
  ) &
}

wait_for_engine() {
  local deadline=$((SECONDS + DOCKERD_TIMEOUT))
  until engine_answers; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "${DOCKERD_LOG}" >&2 || true
      die engine-timeout "dockerd did not answer 'docker info' within ${DOCKERD_TIMEOUT}s" \
        "read ${DOCKERD_LOG} (last lines above); raise DOCKERD_TIMEOUT if the machine is just slow"
    fi
    sleep 1
  done
}

ensure_engine() {
  if engine_answers; then
    log "engine: 'docker info' answers, nothing to do"
    return
  fi
  apt_install docker.io iptables containerd runc tini
  if [[ -f /var/run/docker.pid ]] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    log "engine: dockerd already running (pid $(cat /var/run/docker.pid)), waiting for it"
  else
    start_dockerd
  fi
  wait_for_engine
  log "engine: up, server $(docker version --format '{{.Server.Version}}')"
}

compose_is_v2() {
  local v
  v=$(docker compose version --short 2>/dev/null) || return 1
  [[ ${v#v} == 2.* ]]
}

# fetch_compose_deb DIR — downloads trixie's docker-compose .deb into DIR with a
# throwaway apt configuration, so the machine's own sources and lists stay as
# they are.
fetch_compose_deb() {
  local dir=$1 mirror arch aptdir
  mirror=$(debian_mirror)
  arch=$(dpkg --print-architecture)
  aptdir=$(mktemp -d)
  mkdir -p "${aptdir}/lists/partial" "${aptdir}/cache/archives/partial" "${aptdir}/parts"
  printf 'deb [arch=%s signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
    "${arch}" "${mirror}" "${COMPOSE_SUITE}" >"${aptdir}/sources.list"
  local opts=(
    -o "Dir::Etc::sourcelist=${aptdir}/sources.list"
    -o "Dir::Etc::sourceparts=${aptdir}/parts"
    -o "Dir::State::Lists=${aptdir}/lists"
    -o "Dir::Cache=${aptdir}/cache"
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
    -o APT::Get::List-Cleanup=0
    # The private dirs are root's mktemp dirs, which the _apt sandbox user cannot write.
    -o APT::Sandbox::User=root
  )
  log "compose: reading ${COMPOSE_SUITE} package lists from ${mirror}"
  apt-get "${opts[@]}" update -qq \
    || die compose-lists "apt-get update of ${COMPOSE_SUITE} from ${mirror} failed" \
      "check the mirror reaches ${COMPOSE_SUITE} and that debian-archive-keyring knows its key"
  log "compose: apt-get download docker-compose (${COMPOSE_SUITE})"
  (cd "${dir}" && apt-get "${opts[@]}" download -qq docker-compose) \
    || die compose-download "could not download docker-compose from ${COMPOSE_SUITE}" \
      "run: apt-cache policy docker-compose with the same -o options to see what apt sees"
  rm -rf "${aptdir}"
}

ensure_compose() {
  if compose_is_v2; then
    log "compose: $(docker compose version), nothing to do"
    return
  fi
  local cache tmp deb plugin
  cache="$(spinoza_cache_dir)/debs"
  mkdir -p "${cache}"
  deb=$(find "${cache}" -maxdepth 1 -name 'docker-compose_2*.deb' | sort | tail -n 1)
  if [[ -z ${deb} ]]; then
    fetch_compose_deb "${cache}"
    deb=$(find "${cache}" -maxdepth 1 -name 'docker-compose_*.deb' | sort | tail -n 1)
  else
    log "compose: using cached ${deb}"
  fi
  [[ -n ${deb} ]] || die compose-deb "no docker-compose .deb in ${cache}" "delete ${cache} and re-run"
  tmp=$(mktemp -d)
  dpkg-deb -x "${deb}" "${tmp}"
  plugin=$(find "${tmp}" -path '*cli-plugins/docker-compose' | head -n 1)
  [[ -n ${plugin} ]] || plugin=$(find "${tmp}" -path '*/bin/docker-compose' | head -n 1)
  [[ -n ${plugin} ]] || die compose-plugin "no docker-compose binary inside ${deb}" \
    "list it with: dpkg-deb -c ${deb}"
  install -D -m 0755 "$(readlink -f "${plugin}")" "${COMPOSE_PLUGIN}"
  rm -rf "${tmp}"
  log "compose: installed ${COMPOSE_PLUGIN} from $(basename "${deb}")"
  compose_is_v2 || die compose-version "'docker compose version' is not v2 after install" \
    "run: ${COMPOSE_PLUGIN} version"
  log "compose: $(docker compose version)"
}

# raise_sysctl KEY VALUE — raises KEY to VALUE if it is lower; never lowers it.
raise_sysctl() {
  local key=$1 want=$2 have
  if ! have=$(sysctl -n "${key}" 2>/dev/null); then
    warn "sysctl ${key}: not present on this kernel, skipped"
    return
  fi
  if ((have >= want)); then
    log "sysctl ${key}=${have} (>= ${want}), kept"
  elif sysctl -q -w "${key}=${want}" 2>/dev/null; then
    log "sysctl ${key}: ${have} -> ${want}"
  else
    warn "sysctl ${key}: could not raise ${have} -> ${want} (read-only here?), kept ${have}"
  fi
}

raise_limits() {
  # ARP/NDP tables: the defaults (128/512/1024) overflow past ~1000 containers
  # on one bridge, and the kernel then drops neighbours ("neighbour table overflow").
  local fam
  for fam in ipv4 ipv6; do
    raise_sysctl "net.${fam}.neigh.default.gc_thresh1" 32768
    raise_sysctl "net.${fam}.neigh.default.gc_thresh2" 131072
    raise_sysctl "net.${fam}.neigh.default.gc_thresh3" 262144
  done
  # Each node process and containerd-shim holds inotify instances and watches.
  raise_sysctl fs.inotify.max_user_instances 8192
  raise_sysctl fs.inotify.max_user_watches 1048576
  # Connection tracking for many container-to-container flows.
  raise_sysctl net.netfilter.nf_conntrack_max 262144
  raise_sysctl kernel.keys.maxkeys 20000
}

main() {
  require_root
  local start=${SECONDS}
  ensure_engine
  ensure_compose
  raise_limits
  log "done in $((SECONDS - start))s"
}

main "$@"
