#!/bin/bash -eu
# Build the fuzz targets the way OSS-Fuzz and ClusterFuzzLite expect:
# $CC and $CFLAGS from the environment (sanitizers, coverage), the engine
# in $LIB_FUZZING_ENGINE, binaries and seed corpora in $OUT.
cd "$SRC/mmkit"
for isa in $(sed -n "s/^isas = \[\(.*\)\]/\1/p" meson.build | tr -d "',"); do
  model_src=$(sed -n 's/^src://p' arch/$isa/sim/model)
  model_inc=$(sed -n 's/^inc://p' arch/$isa/sim/model | sed 's/\([^ ]*\)/-I\1/g')
  $CC $CFLAGS -std=gnu11 -Imm-core/include -Iarch/$isa/include $model_inc -Isim/include -Isim/src \
    -Isim/mmsim fuzz/fuzz.c sim/mmsim/scenario.c mm-core/src/*.c sim/src/sim.c $model_src \
    $LIB_FUZZING_ENGINE -o "$OUT/mmkit_fuzz_$isa"
  (cd tests/fuzz/corpus && zip -q -r "$OUT/mmkit_fuzz_${isa}_seed_corpus.zip" .)
done
