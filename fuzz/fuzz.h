/* The fuzz harness's interface, for the replay main and the engines. */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <sim/sim.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** LLVMFuzzerTestOneInput() - run one input; aborts on any divergence. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** fuzz_set_script() - also print the operations as an mmsim script to @f. */
void fuzz_set_script(FILE *f);

/** fuzz_elf() - the small ELF the harness execs (to write it beside a script). */
const void *fuzz_elf(size_t *size);

#endif
