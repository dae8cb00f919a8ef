#!/bin/sh
# Siamese Studio's step benchmark, without Node or npm (built by `npm run bench:bundle`).
#
#   ./run.sh [--batch 256] [--steps 5] [--only NAME,NAME (of simsiam, byol, simclr, moco-v2, barlow-twins, vicreg)] [--software-webgpu]
#
# One training step of each template (median of --steps after a warm-up) on
# webgpu (Dawn on Vulkan), on wasm (every core, at most 8) and in the exported
# PyTorch script (CUDA when torch sees a GPU); prints a table, then the same
# figures as JSON. Needs Linux x86-64, tar and gzip; for the PyTorch row a
# python3 with torch ($PYTHON, else python3 on PATH); for the webgpu row a
# Vulkan driver ($VK_ICD_FILENAMES, else the hardware ICDs found).
# SIAMESE_BENCH_LOADER=bundled uses the bundled Vulkan loader even where the
# system has one.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
say() { echo "run.sh: $*" >&2; }
case "${1:-}" in -h|--help) sed -n '2,13p' "$0" | cut -c3-; exit 0 ;; esac

if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  say "this bundle is for Linux x86-64, not $(uname -s) $(uname -m)"
  exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/siamese-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
tar -xzf "$here/payload.tar.gz" -C "$tmp"

# The Vulkan driver (ICD): the environment's, else hardware ones, else NVIDIA's
# library without its manifest (containers often lack it), else software ones.
if [ -n "${VK_ICD_FILENAMES:-}" ]; then
  say "Vulkan driver: $VK_ICD_FILENAMES (from VK_ICD_FILENAMES)"
elif [ -n "${VK_DRIVER_FILES:-}" ]; then
  say "Vulkan driver: $VK_DRIVER_FILES (from VK_DRIVER_FILES)"
else
  hardware='' software=''
  for icd in /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json /usr/lib/chromium/vk_swiftshader_icd.json; do
    [ -f "$icd" ] || continue
    case "${icd##*/}" in
      *lvp*|*swiftshader*|*mock*) software="${software:+$software:}$icd" ;;
      *) hardware="${hardware:+$hardware:}$icd" ;;
    esac
  done
  nvidia=''
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /lib/x86_64-linux-gnu /usr/local/nvidia/lib64; do
    [ -f "$d/libGLX_nvidia.so.0" ] && { nvidia="$d/libGLX_nvidia.so.0"; break; }
  done
  if [ -n "$hardware" ]; then
    export VK_ICD_FILENAMES="$hardware"
    say "Vulkan driver: $hardware"
  elif [ -n "$nvidia" ]; then
    printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$nvidia" > "$tmp/nvidia_icd.json"
    export VK_ICD_FILENAMES="$tmp/nvidia_icd.json"
    say "Vulkan driver: $nvidia (NVIDIA's, no ICD manifest installed: one written for it)"
  elif [ -n "$software" ]; then
    export VK_ICD_FILENAMES="$software"
    say "Vulkan driver: only software ones ($software): the webgpu row needs --software-webgpu"
  else
    say "Vulkan driver: none found (set VK_ICD_FILENAMES to your driver's ICD json): no webgpu row"
  fi
fi

# The Vulkan loader: the system's, else the bundled one (Debian's libvulkan1).
system_loader=''
for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /lib64 /usr/lib /usr/local/lib; do
  [ -e "$d/libvulkan.so.1" ] && { system_loader="$d/libvulkan.so.1"; break; }
done
if [ -n "$system_loader" ] && [ "${SIAMESE_BENCH_LOADER:-}" != bundled ]; then
  say "Vulkan loader: $system_loader"
else
  export LD_LIBRARY_PATH="$tmp/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "Vulkan loader: bundled (Debian's libvulkan1)"
fi

# The python3 that runs the exported PyTorch script.
PYTHON="${PYTHON:-$(command -v python3 || echo python3)}"
export PYTHON
if torch=$("$PYTHON" -c 'import torch; print(torch.__version__, "CUDA" if torch.cuda.is_available() else "no CUDA")' 2>/dev/null); then
  say "PyTorch: $PYTHON (torch $torch)"
else
  say "PyTorch: $PYTHON has no torch (set PYTHON to a python3 with torch): no PyTorch row"
fi

status=0
"$tmp/bin/node" "$tmp/bench/run.mjs" --skip-editor --skip-knn --skip-cpu --data embedded --json-out "$tmp/result.json" "$@" || status=$?
[ "$status" -eq 0 ] || exit "$status"
echo
cat "$tmp/result.json"
