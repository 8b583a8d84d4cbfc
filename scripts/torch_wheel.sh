# scripts/torch_wheel.sh — sourced, not run: libtorch from a PyPI torch wheel, for scripts/setup.sh
# (the engine's libtorch) and scripts/build_portable.sh (a binary for another machine's torch).
#
#   fetch_pinned_wheel REQ FILE SHA256 PYTHON [pip options...]   FILE in $CACHE/wheels, checksum checked
#   torch_install_libtorch WHEEL HOME CUDA_RUNTIME [skip...]     torch/include and torch/lib to HOME
#   torch_write_pc DIR HOME VERSION VARIANT WRITER               DIR/lucid-torch.pc for Package.swift
#
# Expects CACHE (the download cache) and a `say` function. Each function returns 1 after saying why
# when it fails, so a caller under `set -e` stops there.

# The CUDA 13.0 runtime libraries that a CUDA build's libtorch_cpu.so lists among its NEEDED entries
# (libcudart.so.13, libcupti.so.13), GPU or not: the versions cuda-toolkit 13.0.2 (torch 2.11.0) and
# 13.0.3 (torch 2.13.0) pin. Beside libtorch_cpu.so (its RPATH has $ORIGIN) they let a program link
# and run against that libtorch on any machine; CUDA itself needs the rest of the nvidia-* wheels,
# which libtorch_cuda.so loads (scripts/gpu_check.sh).
TORCH_CUDA_RUNTIME_WHEELS=(
  "nvidia-cuda-runtime==13.0.96 nvidia_cuda_runtime-13.0.96-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl 7f82250d7782aa23b6cfe765ecc7db554bd3c2870c43f3d1821f1d18aebf0548 libcudart.so.13"
  "nvidia-cuda-cupti==13.0.85 nvidia_cuda_cupti-13.0.85-py3-none-manylinux_2_25_x86_64.whl 4eb01c08e859bf924d222250d2e8f8b8ff6d3db4721288cf35d14252a4d933c8 libcupti.so.13"
)

# fetch_pinned_wheel REQUIREMENT FILE SHA256 PYTHON_VERSION [pip options...]: downloads FILE once
# (`pip download --no-deps` for PYTHON_VERSION, with the options given) and checks its SHA-256. pip may
# pick another build that satisfies REQUIREMENT (a local `+cpu` wheel ranks above the plain version),
# so the file is asked for by its exact name.
fetch_pinned_wheel() {
  local req="$1" file="$2" sha="$3" python="$4" actual
  shift 4
  mkdir -p "$CACHE/wheels"
  if [ ! -s "$CACHE/wheels/$file" ]; then
    say "downloading $req ($file, once)"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --python-version "$python" "$@" "$req" \
      -d "$CACHE/wheels" || { say "error: pip could not download $req"; return 1; }
  fi
  if [ ! -s "$CACHE/wheels/$file" ]; then
    say "error: pip did not leave $file in $CACHE/wheels (it chose another build of $req; see $CACHE/wheels)"
    return 1
  fi
  actual="$(sha256sum "$CACHE/wheels/$file" | cut -d' ' -f1)"
  if [ -z "$sha" ]; then
    say "error: no pinned SHA-256 for $file; it is $actual here: check that against PyPI, then pass it"
    return 1
  fi
  if [ "$actual" != "$sha" ]; then
    rm -f "$CACHE/wheels/$file"
    say "error: checksum mismatch for $file (got $actual, expected $sha); removed it, run again to re-download"
    return 1
  fi
}

# torch_install_libtorch WHEEL HOME CUDA_RUNTIME [SKIP...]: unpacks torch/include and torch/lib of
# WHEEL to HOME (through HOME.part, marked complete last), leaving out the libraries a C++ program
# does not need and the torch/lib names starting with a SKIP; CUDA_RUNTIME=1 adds the CUDA runtime
# libraries above to HOME/lib.
torch_install_libtorch() {
  local wheel="$1" home="$2" runtime="$3" spec req file sha lib
  shift 3
  rm -rf "$home.part"
  python3 - "$wheel" "$home.part" "$@" <<'PY' || { say "error: could not unpack $wheel"; return 1; }
import sys, zipfile
wheel, target, extra = sys.argv[1], sys.argv[2], tuple(sys.argv[3:])
# libtorch_python and the test/backend libraries are not needed by a C++ program.
skip = ("libtorch_python.so", "libjitbackend_test.so", "libtorchbind_test.so", "libbackend_with_compiler.so",
        "libaoti_custom_ops.so", "libshm") + extra
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if not (name.startswith("torch/include/") or name.startswith("torch/lib/")):
            continue
        if name.startswith("torch/lib/") and name[len("torch/lib/"):].startswith(skip):
            continue
        z.extract(info, target)
PY
  if [ "$runtime" = 1 ]; then
    for spec in "${TORCH_CUDA_RUNTIME_WHEELS[@]}"; do
      read -r req file sha lib <<<"$spec"
      # nvidia's wheels carry older manylinux tags than torch's.
      fetch_pinned_wheel "$req" "$file" "$sha" 3.12 --platform manylinux_2_28_x86_64 --platform manylinux_2_25_x86_64 \
        --platform manylinux_2_17_x86_64 || return 1
      python3 - "$CACHE/wheels/$file" "nvidia/cu13/lib/$lib" "$home.part/torch/lib/$lib" <<'PY' || { say "error: no $lib in $file"; return 1; }
import shutil, sys, zipfile
wheel, member, target = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(target, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
    done
  fi
  rm -rf "$home"
  mv "$home.part/torch" "$home"
  rmdir "$home.part"
  touch "$home/.complete"
}

# torch_write_pc DIR HOME VERSION VARIANT WRITER: DIR/lucid-torch.pc (Package.swift's CTorchLibrary
# reads it through PKG_CONFIG_PATH) for the libtorch in HOME; rewritten only when it changes, so
# SwiftPM does not rebuild for nothing.
torch_write_pc() {
  local dir="$1" home="$2" version="$3" variant="$4" writer="$5"
  mkdir -p "$dir"
  cat > "$dir/lucid-torch.pc.tmp" <<PC
# Written by ${writer}: libtorch ${version} (${variant}) from the PyPI torch wheel.
prefix=${home}
Name: lucid-torch
Description: libtorch from the torch ${version} wheel, for Lucid's CTorch shim
Version: ${version}
Cflags: -I\${prefix}/include -I\${prefix}/include/torch/csrc/api/include
Libs: -L\${prefix}/lib -ltorch_cpu -lc10
PC
  if cmp -s "$dir/lucid-torch.pc.tmp" "$dir/lucid-torch.pc" 2>/dev/null; then
    rm -f "$dir/lucid-torch.pc.tmp"
  else
    mv "$dir/lucid-torch.pc.tmp" "$dir/lucid-torch.pc"
  fi
}
