/*
 * mm/exec.h - building a process image from an ELF executable: PT_LOAD
 * segments become regions, and a grow-down stack gets argc, argv, envp and
 * the auxiliary vector laid out as Linux lays them out (System V ABI, i386
 * and AMD64 supplements, "Process Initialization").
 */
#ifndef MM_EXEC_H
#define MM_EXEC_H

#include <mm/mm.h>

/** struct mm_exec_args - what the new image gets. */
struct mm_exec_args {
	const char *const *argv;  /* NULL-terminated; may be NULL (argc 0) */
	const char *const *envp;  /* NULL-terminated; may be NULL */
	mm_vaddr_t stack_top;     /* page aligned, in the user half */
	uint64_t stack_max_pages; /* the stack's reach (a guard page lies below) */
	bool eager;               /* populate every segment now (else on fault) */
	mm_vaddr_t dyn_base;      /* ET_DYN load address (page aligned); 0: ARCH_ELF_DYN_BASE */
};

/** struct mm_exec_image - the result, for the caller's first user thread. */
struct mm_exec_image {
	mm_vaddr_t entry;     /* where to start (e_entry + load bias) */
	mm_vaddr_t sp;        /* initial stack pointer: it points at argc */
	mm_vaddr_t load_bias; /* 0 for ET_EXEC; ARCH_ELF_DYN_BASE for ET_DYN */
	mm_vaddr_t phdr;      /* AT_PHDR: the program headers in memory (0 if none) */
	unsigned phnum;       /* AT_PHNUM */
	mm_vaddr_t brk;       /* end of the highest segment, page aligned: heap start */
	bool has_interp;      /* a PT_INTERP is present (the interpreter is not loaded) */
};

/**
 * mm_exec() - load the ELF executable @elf (@size bytes, in memory that
 * outlives the space: segments are file-backed and read on fault) into the
 * new, empty space @s, and build its initial stack.
 *
 * The old image is never touched: a caller implementing execve() creates
 * @s, calls mm_exec(), and only on success destroys the old space and
 * switches to @s. On error it destroys @s; nothing else changed.
 *
 * Accepted: ELF of this ISA's class and machine (<arch/layout.h>), little
 * endian, ET_EXEC or ET_DYN, at most 64 program headers. Each PT_LOAD
 * becomes one region: executable -> MM_REGION_CODE (r-x), writable ->
 * MM_REGION_DATA (rw-, bss zero-filled), else MM_REGION_RODATA (r--); a
 * segment asking for W and X gets both (asked for, so allowed).
 *
 * Return: 0 and *@out; -MM_EINVAL for a malformed file (bad magic, class,
 * machine or type; truncated headers or segments; p_filesz > p_memsz;
 * p_vaddr and p_offset not congruent modulo 4 KiB; absurd sizes;
 * overlapping segments; nothing to load; arguments larger than the stack);
 * -MM_EFAULT for a segment or stack outside the user half; -MM_ENOMEM.
 */
int mm_exec(struct mm_space *s, const void *elf, size_t size, const struct mm_exec_args *args,
            struct mm_exec_image *out);

#endif
