# docker/lib.sh — helpers shared by the docker/*.sh scripts (sourced, not run).
#
# Owns: logging, failing with a hint, and finding the Debian mirror this machine
# already uses. The mirror is read from the machine's own apt sources so that no
# registry or mirror host is ever written into the repo.

# shellcheck shell=bash

log() { printf '[%s] %s\n' "${SCRIPT_NAME:-docker}" "$*" >&2; }
warn() { printf '[%s] warning: %s\n' "${SCRIPT_NAME:-docker}" "$*" >&2; }

# die CODE MESSAGE HINT — the same "error[code]: message — hint" shape as the CLI.
die() {
  printf '[%s] error[%s]: %s — hint: %s\n' "${SCRIPT_NAME:-docker}" "$1" "$2" "$3" >&2
  exit 1
}

require_root() {
  [[ ${EUID} -eq 0 ]] || die not-root "this script must run as root" "re-run it with sudo"
}

# host_codename — the Debian suite of this machine (e.g. bookworm).
host_codename() {
  local codename=''
  if [[ -r /etc/os-release ]]; then
    codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
  fi
  [[ -n ${codename} ]] || die no-codename "cannot read VERSION_CODENAME from /etc/os-release" \
    "this script expects a Debian host"
  printf '%s\n' "${codename}"
}

# apt_source_entries — prints "URI SUITE" for every enabled binary ("deb") source
# that apt itself reads: /etc/apt/sources.list and /etc/apt/sources.list.d/*.list
# (one-line format) plus /etc/apt/sources.list.d/*.sources (deb822 format).
# Files with other suffixes (e.g. *.disabled) are ignored, as apt ignores them.
apt_source_entries() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r ${f} ]] || continue
    # deb [opts] URI SUITE COMPONENTS... ; drop comments and the [options] block.
    sed -e 's/#.*$//' -e 's/\[[^]]*\]//' "${f}" \
      | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r ${f} ]] || continue
    # deb822 stanzas are separated by blank lines; fields may be folded, but
    # Types/URIs/Suites/Enabled are single-line in practice.
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no")
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print uris[i], suites[j]
        types = ""; enabled = ""; nu = 0; ns = 0
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key)
        $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0
        else if (key == "enabled") enabled = tolower($0)
        else if (key == "uris") nu = split($0, uris, " ")
        else if (key == "suites") ns = split($0, suites, " ")
      }
      END { flush() }
    ' "${f}"
  done
}

# debian_mirror — the archive URI (e.g. http://<mirror>/debian) that serves this
# host's main suite. SPINOZA_DEBIAN_MIRROR overrides it. The security archive
# and the -updates/-backports suites are skipped: they do not carry full suites.
debian_mirror() {
  if [[ -n ${SPINOZA_DEBIAN_MIRROR:-} ]]; then
    printf '%s\n' "${SPINOZA_DEBIAN_MIRROR%/}"
    return
  fi
  local codename uri
  codename=$(host_codename)
  uri=$(apt_source_entries | awk -v c="${codename}" '
    $2 == c && $1 !~ /security/ && $1 ~ /^https?:/ { print $1; exit }')
  [[ -n ${uri} ]] || die no-mirror \
    "no enabled apt source for suite '${codename}' in /etc/apt/sources.list{,.d/}" \
    "add a Debian mirror to the apt sources, or set SPINOZA_DEBIAN_MIRROR=<archive URI>"
  printf '%s\n' "${uri%/}"
}

# spinoza_cache_dir — where the scripts keep downloads between runs.
spinoza_cache_dir() {
  local dir="${SPINOZA_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/spinoza}"
  mkdir -p "${dir}"
  printf '%s\n' "${dir}"
}

# apt_install PKG... — installs what is missing, with one apt-get update first.
APT_UPDATED=0
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "${p}" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("${p}")
  done
  ((${#missing[@]} > 0)) || return 0
  if ((APT_UPDATED == 0)); then
    log "apt-get update"
    apt-get update -qq || die apt-update "apt-get update failed" "check the apt sources and the network"
    APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null || die apt-install "apt-get install ${missing[*]} failed" "run it by hand to see apt's reason"
}
