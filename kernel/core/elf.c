/*
 * A small ELF loader: PT_LOAD segments of a static executable of this ISA
 * into a fresh address space, written through the direct map so the
 * current space is never switched (no seed-001 "sandwich").
 * Source: System V ABI, ELF format (e_ident, program headers).
 */
#include <kernel/elf.h>

#include <arch/layout.h>
#include <arch/pte.h>

#define PF_X    1u
#define PF_W    2u
#define PT_LOAD 1u

#if ARCH_ELF_CLASS == 1
typedef struct {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} ehdr_t;
typedef struct {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
} phdr_t;
#else
typedef struct {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} ehdr_t;
typedef struct {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
} phdr_t;
#endif

/* Copy @len bytes to user address @va of @s, through the direct map. */
static int copy_to_space(struct mm_space *s, mm_vaddr_t va, const uint8_t *src, uint64_t len)
{
	while (len) {
		struct mm_mapping m;
		int err = mm_query(s, va, &m);
		if (err)
			return err;
		uint64_t chunk = ARCH_PAGE_SIZE - (va & (ARCH_PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		memcpy(phys_to_virt(m.pa), src, (size_t)chunk);
		va += chunk, src += chunk, len -= chunk;
	}
	return 0;
}

int elf_load(struct mm_space *s, const void *image, size_t size, uintptr_t *entry)
{
	const uint8_t *img = image;
	const ehdr_t *eh = image;
	if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) != 0 ||
	    eh->ident[4] != ARCH_ELF_CLASS || eh->machine != ARCH_ELF_MACHINE ||
	    eh->phentsize != sizeof(phdr_t) || eh->phoff > size ||
	    (uint64_t)eh->phnum * sizeof(phdr_t) > size - eh->phoff)
		return -MM_EINVAL;
	for (unsigned i = 0; i < eh->phnum; i++) {
		const phdr_t *ph = (const phdr_t *)(img + eh->phoff) + i;
		if (ph->type != PT_LOAD || ph->memsz == 0)
			continue;
		if (ph->filesz > ph->memsz || ph->offset > size || ph->filesz > size - ph->offset ||
		    ph->vaddr >= ARCH_USER_END || ph->memsz > ARCH_USER_END - ph->vaddr)
			return -MM_EINVAL;
		mm_vaddr_t lo = ph->vaddr & ~(ARCH_PAGE_SIZE - 1);
		mm_vaddr_t hi =
		        (ph->vaddr + ph->memsz + ARCH_PAGE_SIZE - 1) & ~(ARCH_PAGE_SIZE - 1);
		unsigned prot = MM_PROT_READ | MM_PROT_USER |
		                ((ph->flags & PF_W) ? MM_PROT_WRITE : 0) |
		                ((ph->flags & PF_X) ? MM_PROT_EXEC : 0);
		int err = mm_map(s, lo, (hi - lo) / ARCH_PAGE_SIZE, prot);
		if (err)
			return err;
		err = copy_to_space(s, ph->vaddr, img + ph->offset, ph->filesz);
		if (err)
			return err;
	}
	*entry = (uintptr_t)eh->entry;
	return 0;
}
