#!/bin/sh
# meson install into a DESTDIR, then the installed tree used as a user would: gst-inspect-1.0
# finds the plugin in GStreamer's plugin folder (standing in for the system one), a pipeline
# runs with no model= (the installed bundled model), rwkv-cli runs with no --model, a C++
# program builds with `pkg-config --cflags --libs rwkv` and runs; librwkv.so and the plugin
# link nothing of CUDA, and the CUDA module is installed beside librwkv.so when built.
# Args: BUILD_DIR SOURCE_DIR PREFIX LIBDIR GST_PLUGINS_DIR ('' without the plugin) CUDA (0/1)
set -u
build=$1 src=$2 prefix=$3 libdir=$4 pluginsdir=$5 cuda=$6
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; fi; }
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

DESTDIR=$dest meson install -C "$build" --no-rebuild --quiet >"$dest/install.log" 2>&1 ||
  { cat "$dest/install.log"; echo "FAIL: meson install"; exit 1; }
lib=$dest$prefix/$libdir
bin=$dest$prefix/bin
# The rpath names the real prefix: the staged libraries are found through LD_LIBRARY_PATH.
export LD_LIBRARY_PATH="$lib"
unset GST_PLUGIN_PATH RWKV_MODEL

check "librwkv.so installed" '[ -e "$lib/librwkv.so" ]'
check "headers installed" '[ -f "$dest$prefix/include/rwkv/model.h" ]'
check "bundled model installed" '[ -f "$dest$prefix/share/gst-rwkv/models/rwkv4-tiny-en.pth" ]'
check "librwkv.so links no CUDA library" '! ldd "$lib/librwkv.so" | grep -Eq "cudart|cublas"'
if [ "$cuda" = 1 ]; then
  check "the CUDA module beside librwkv.so" '[ -f "$lib/librwkv-cuda.so" ]'
fi

# rwkv-cli with no --model: the installed bundled model.
check "rwkv-cli info (default model)" '"$bin/rwkv-cli" info >"$dest/info.json" 2>"$dest/info.err" && grep -q rwkv4 "$dest/info.json"'

# A program of one's own, built against the installed tree with pkg-config.
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs rwkv)
check "pkg-config --cflags --libs rwkv" '[ -n "$flags" ]'
check "example.cpp builds" 'c++ -std=c++20 -o "$dest/example" "$src/tests/install/example.cpp" $flags 2>"$dest/cc.err" || { cat "$dest/cc.err"; false; }'
check "example runs on the default model" '"$dest/example" >"$dest/example.out" 2>&1 && grep -q "bits per byte" "$dest/example.out"'
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

if [ -n "$pluginsdir" ]; then
  plugin=$dest$pluginsdir/libgstrwkv.so
  check "plugin installed in GStreamer's plugin folder" '[ -f "$plugin" ]'
  check "plugin links no CUDA library" '! ldd "$plugin" | grep -Eq "cudart|cublas"'
  # GStreamer's system plugin folder, staged: no GST_PLUGIN_PATH.
  export GST_PLUGIN_SYSTEM_PATH_1_0="$dest$pluginsdir:$pluginsdir" GST_REGISTRY="$dest/registry.bin"
  check "gst-inspect-1.0 rwkv" 'gst-inspect-1.0 rwkv >"$dest/inspect.txt" 2>&1 && grep -q "RWKV language model" "$dest/inspect.txt"'
  text="In the beginning God created the heaven and the earth."
  check "fdsrc ! rwkv ! fdsink passes the text on (score mode, default model)" \
    '[ "$(printf "%s\n" "$text" | gst-launch-1.0 -q fdsrc ! rwkv ! fdsink 2>"$dest/launch.err")" = "$text" ]'
  check "rwkv mode=continue answers" \
    '[ -n "$(printf "%s\n" "$text" | gst-launch-1.0 -q fdsrc ! rwkv mode=continue trigger=eos max-tokens=8 ! fdsink 2>>"$dest/launch.err")" ]'
  [ $fail -eq 0 ] || cat "$dest/launch.err" 2>/dev/null
fi
[ $fail -eq 0 ] && echo "installed tree works: $(find "$dest" -type f | wc -l) files"
exit $fail
