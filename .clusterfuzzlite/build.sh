#!/bin/bash -eu
# Build the fuzz targets the way OSS-Fuzz and ClusterFuzzLite expect:
# $CC and $CFLAGS from the environment (sanitizers, coverage), the engine
# in $LIB_FUZZING_ENGINE, binaries and seed corpora in $OUT.
cd "$SRC/mmkit"
for isa in i386 x86_64; do
  $CC $CFLAGS -std=gnu11 -Imm-core/include -Iarch/$isa/include -Iarch/x86/sim -Isim/include -Isim/mmsim \
    fuzz/fuzz.c sim/mmsim/scenario.c mm-core/src/*.c sim/src/sim.c arch/x86/sim/mmu_x86.c \
    $LIB_FUZZING_ENGINE -o "$OUT/mmkit_fuzz_$isa"
  (cd tests/fuzz/corpus && zip -q -r "$OUT/mmkit_fuzz_${isa}_seed_corpus.zip" .)
done
