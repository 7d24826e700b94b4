/* kernel/elf.h - loading static ELF executables into an address space. */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include <kernel/kernel.h>

/**
 * elf_load() - map the PT_LOAD segments of the ELF executable @image
 * (@size bytes) into @s with their p_flags (R, W, X; always user), copy
 * their file bytes through the direct map (the rest is zero), and return
 * the entry point. @s need not be active.
 * Return: 0; -MM_EINVAL for a file that is not a valid executable of this
 * ISA or has segments outside the user half; the errors of mm_map(). On
 * error the caller destroys @s.
 */
int elf_load(struct mm_space *s, const void *image, size_t size, uintptr_t *entry);

#endif
