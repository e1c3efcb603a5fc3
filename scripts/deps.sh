# Sourced by scripts/demo and scripts/test: installs the Debian 12 packages
# ccmetrics needs (apt-get when root; otherwise prints the exact command and
# stops), and creates the unprivileged system user the embedded PostgreSQL
# runs as when ccmetricsd is started by root.
CCM_PACKAGES_BUILD="build-essential cmake pkg-config libevent-dev libpq-dev libjansson-dev
  libcurl4-openssl-dev libssl-dev libsystemd-dev libxlsxwriter-dev postgresql postgresql-client tzdata
  ca-certificates nodejs"
# chromium for the pages' tests in a real headless browser (driven from Node.js)
CCM_PACKAGES_TEST="python3 clang libclang-rt-14-dev chromium poppler-utils systemd"

ccm_missing_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$package")
    done
    echo "${missing[@]}"
}

ccm_install() {
    # shellcheck disable=SC2086
    local missing
    missing=$(ccm_missing_packages $*)
    if [ -z "$missing" ]; then
        return 0
    fi
    if [ "$(id -u)" -eq 0 ]; then
        echo "== installing: $missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "ccmetrics needs these Debian packages: $missing" >&2
        echo "run:  sudo apt-get update && sudo apt-get install -y $missing" >&2
        exit 1
    fi
}

# npm installs the pages' charting library at build time (and the browser test
# driver). Debian's nodejs has no npm of its own, NodeSource's bundles one (and
# conflicts with Debian's npm package): install Debian's only when none is there.
ccm_install_npm() {
    command -v npm >/dev/null || ccm_install npm
}

ccm_ensure_user() {
    if [ "$(id -u)" -eq 0 ] && ! id ccmetrics >/dev/null 2>&1; then
        echo "== creating system user ccmetrics (runs the embedded PostgreSQL)"
        useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin ccmetrics
    fi
}
