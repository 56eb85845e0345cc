#!/usr/bin/env bash
# Makes Fashion-MNIST available to Apprentice. Looks in datasets/fashion-mnist/ (this folder) and in
# /usr/share/datasets/fashion-mnist/ (Debian's dataset-fashion-mnist package). With --ensure, installs
# the Debian package when the files are missing and this user may install packages (root, or
# password-less sudo); otherwise prints the one line that says how.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

complete() {
    local dir="$1" f
    for f in "${FILES[@]}"; do
        [[ -f "$dir/$f" || -f "$dir/$f.gz" ]] || return 1
    done
}

for dir in "$HERE/fashion-mnist" /usr/share/datasets/fashion-mnist; do
    if complete "$dir"; then
        [[ "${1:-}" == "--ensure" ]] || echo "$dir"
        exit 0
    fi
done

if [[ "${1:-}" != "--ensure" ]]; then
    echo "Fashion-MNIST not found" >&2
    exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
        echo "Fashion-MNIST is missing: run 'sudo apt-get install dataset-fashion-mnist', or copy its four idx files into $HERE/fashion-mnist/" >&2
        exit 1
    fi
fi
echo "Installing Fashion-MNIST (Debian package dataset-fashion-mnist) ..." >&2
if ! { "${SUDO[@]}" apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
        || { "${SUDO[@]}" apt-get update -qq >/dev/null 2>&1 \
             && "${SUDO[@]}" apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; }; }; then
    echo "Fashion-MNIST could not be installed with apt-get: install the package dataset-fashion-mnist, or copy its four idx files into $HERE/fashion-mnist/" >&2
    exit 1
fi
