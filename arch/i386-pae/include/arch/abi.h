/*
 * arch/i386-pae user ABI: the i386 one (PAE changes the page tables, not
 * what a program sees): arch/i386/include/arch/abi.h.
 */
#ifndef ARCH_I386_PAE_ABI_H
#define ARCH_I386_PAE_ABI_H

#include "../../../i386/include/arch/abi.h"

#endif
