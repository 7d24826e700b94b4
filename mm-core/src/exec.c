/*
 * ELF executables into address spaces. See <mm/exec.h>.
 * Sources: System V gABI ch. 4-5 (ELF header, program headers); the i386
 * and AMD64 psABI supplements, "Process Initialization" (initial stack and
 * auxiliary vector).
 */
#include <mm/exec.h>

#include <arch/abi.h>

#include "assert.h"
#include "internal.h"

#define PAGE ARCH_PAGE_SIZE
#define WORD ((size_t)(ARCH_ELF_CLASS == 1 ? 4 : 8)) /* 4 or 8 bytes: the ABI's word */

enum { ET_EXEC = 2, ET_DYN = 3, PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6 };
enum { PF_X = 1, PF_W = 2, PF_R = 4 };
enum { AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_ENTRY = 9 };
#define MAX_PHNUM 64u

/* The fields we use, read from either class without relying on layout. */
struct ehdr {
	unsigned type, machine, phentsize, phnum;
	uint64_t entry, phoff;
};
struct phdr {
	unsigned type, flags;
	uint64_t offset, vaddr, filesz, memsz;
};

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i]; /* little endian */
	return v;
}

static int parse_ehdr(const uint8_t *f, size_t size, struct ehdr *h)
{
	const size_t ehsize = ARCH_ELF_CLASS == 1 ? 52 : 64;
	if (size < ehsize || f[0] != 0x7F || f[1] != 'E' || f[2] != 'L' || f[3] != 'F' ||
	    f[4] != ARCH_ELF_CLASS || f[5] != 1 /* ELFDATA2LSB */ || f[6] != 1 /* EV_CURRENT */)
		return -MM_EINVAL;
	h->type = (unsigned)rd(f + 16, 2);
	h->machine = (unsigned)rd(f + 18, 2);
	h->entry = rd(f + 24, WORD);
	h->phoff = rd(f + 24 + WORD, WORD);
	const uint8_t *tail = f + 24 + 3 * WORD + 4; /* after e_flags */
	h->phentsize = (unsigned)rd(tail + 2, 2);
	h->phnum = (unsigned)rd(tail + 4, 2);
	const unsigned want = ARCH_ELF_CLASS == 1 ? 32 : 56;
	if ((h->type != ET_EXEC && h->type != ET_DYN) || h->machine != ARCH_ELF_MACHINE ||
	    h->phentsize != want || h->phnum == 0 || h->phnum > MAX_PHNUM || h->phoff > size ||
	    (uint64_t)h->phnum * want > size - h->phoff)
		return -MM_EINVAL;
	return 0;
}

static void parse_phdr(const uint8_t *p, struct phdr *ph)
{
	ph->type = (unsigned)rd(p, 4);
	if (ARCH_ELF_CLASS == 1) {
		ph->offset = rd(p + 4, 4), ph->vaddr = rd(p + 8, 4);
		ph->filesz = rd(p + 16, 4), ph->memsz = rd(p + 20, 4);
		ph->flags = (unsigned)rd(p + 24, 4);
	} else {
		ph->flags = (unsigned)rd(p + 4, 4);
		ph->offset = rd(p + 8, 8), ph->vaddr = rd(p + 16, 8);
		ph->filesz = rd(p + 32, 8), ph->memsz = rd(p + 40, 8);
	}
}

/* Copy @len bytes to @va in @s, whose pages are present, through the
 * direct map (the space need not be active). */
static void put_bytes(struct mm_space *s, mm_vaddr_t va, const void *src, size_t len)
{
	const uint8_t *b = src;
	while (len) {
		struct mm_mapping m;
		int err = mm_query(s, va, &m);
		MM_ASSERT(err == 0);
		size_t chunk = (size_t)(PAGE - (va & PAGE_MASK));
		if (chunk > len)
			chunk = len;
		const mm_paddr_t frame = m.pa & ~(uint64_t)PAGE_MASK;
		uint8_t *p = mmi_frame_map(s->sys, frame);
		__builtin_memcpy(p + (va & PAGE_MASK), b, chunk);
		mmi_frame_unmap(s->sys, frame, p);
		va += chunk, b += chunk, len -= chunk;
	}
}

static void put_word(struct mm_space *s, mm_vaddr_t va, uint64_t v)
{
	uint8_t w[8];
	for (unsigned i = 0; i < WORD; i++)
		w[i] = (uint8_t)(v >> (8 * i));
	put_bytes(s, va, w, WORD);
}

static size_t count(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static size_t str_bytes(const char *const *v)
{
	size_t b = 0;
	for (size_t i = 0; v && v[i]; i++) {
		size_t n = 0;
		while (v[i][n])
			n++;
		b += n + 1;
	}
	return b;
}

/* The initial stack, from high to low addresses:
 *   argv and envp strings | padding to 16 | auxv pairs, AT_NULL |
 *   NULL, envp[] | NULL, argv[] | argc  <- sp (16-byte aligned) */
static int build_stack(struct mm_space *s, const struct mm_exec_args *a, struct mm_exec_image *img)
{
	const size_t argc = count(a->argv), envc = count(a->envp);
	const size_t strings = str_bytes(a->argv) + str_bytes(a->envp);
	const size_t nauxv = 6;
	const size_t words = 1 + argc + 1 + envc + 1 + 2 * nauxv;
	const uint64_t need = ((strings + 15) & ~(size_t)15) + ((words * WORD + 15) & ~(size_t)15);
	if (need > (a->stack_max_pages - 1) * PAGE)
		return -MM_EINVAL;
	const mm_vaddr_t top = a->stack_top;
	const uint64_t pages = (need + PAGE - 1) / PAGE;
	struct mm_region st = {
		.start = top - (pages ? pages : 1) * PAGE,
		.end = top,
		.limit = top - a->stack_max_pages * PAGE,
		.prot = MM_PROT_READ | MM_PROT_WRITE,
		.kind = MM_REGION_STACK,
		.backing = MM_BACKING_ANON,
		.flags = MM_REGION_GROWS_DOWN,
	};
	int err = mm_region_add(s, &st);
	if (err)
		return err;
	err = mm_populate(s, st.start, (top - st.start) / PAGE, MM_ACCESS_WRITE);
	if (err)
		return err;
	/* Strings at the top, argv first. */
	mm_vaddr_t str = top - strings;
	mm_vaddr_t sp = (str & ~(mm_vaddr_t)15) - ((words * WORD + 15) & ~(size_t)15);
	mm_vaddr_t w = sp;
	put_word(s, w, argc), w += WORD;
	const char *const *lists[2] = { a->argv, a->envp };
	const size_t counts[2] = { argc, envc };
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			size_t n = 0;
			while (lists[l][i][n])
				n++;
			put_bytes(s, str, lists[l][i], n + 1);
			put_word(s, w, str), w += WORD;
			str += n + 1;
		}
		put_word(s, w, 0), w += WORD;
	}
	const uint64_t aux[6][2] = {
		{ AT_PHDR, img->phdr },   { AT_PHENT, ARCH_ELF_CLASS == 1 ? 32 : 56 },
		{ AT_PHNUM, img->phnum }, { AT_PAGESZ, PAGE },
		{ AT_ENTRY, img->entry }, { AT_NULL, 0 }
	};
	for (unsigned i = 0; i < nauxv; i++) {
		put_word(s, w, aux[i][0]), w += WORD;
		put_word(s, w, aux[i][1]), w += WORD;
	}
	img->sp = sp;
	return 0;
}

int mm_exec(struct mm_space *s, const void *elf, size_t size, const struct mm_exec_args *args,
            struct mm_exec_image *out)
{
	const uint8_t *f = elf;
	struct ehdr h;
	if (s->is_kernel)
		return -MM_EPERM;
	if (!elf || !args || (args->stack_top & PAGE_MASK) || (args->dyn_base & PAGE_MASK) ||
	    args->stack_max_pages < 2 || args->stack_top > ARCH_USER_END ||
	    args->stack_max_pages * PAGE >= args->stack_top)
		return -MM_EINVAL;
	int err = parse_ehdr(f, size, &h);
	if (err)
		return err;
	struct mm_exec_image img = { .load_bias = h.type != ET_DYN ? 0
		                                  : args->dyn_base ? args->dyn_base
		                                                   : ARCH_ELF_DYN_BASE,
		                     .phnum = h.phnum };
	const mm_vaddr_t bias = img.load_bias;
	unsigned loads = 0;
	/* Validate every header before adding any region. */
	for (unsigned i = 0; i < h.phnum; i++) {
		struct phdr p;
		parse_phdr(f + h.phoff + (uint64_t)i * h.phentsize, &p);
		if (p.type == PT_INTERP)
			img.has_interp = true;
		if (p.type != PT_LOAD)
			continue;
		if (p.filesz > p.memsz || p.offset > size || p.filesz > size - p.offset ||
		    ((p.vaddr - p.offset) & PAGE_MASK) || p.memsz == 0)
			return -MM_EINVAL;
		if (p.vaddr >= ARCH_USER_END - bias || p.memsz > ARCH_USER_END - bias - p.vaddr)
			return -MM_EFAULT; /* reaches the kernel half (or absurdly large) */
		mm_vaddr_t lo = (bias + p.vaddr) & ~(mm_vaddr_t)PAGE_MASK;
		mm_vaddr_t hi = (bias + p.vaddr + p.memsz + PAGE_MASK) & ~(mm_vaddr_t)PAGE_MASK;
		for (unsigned j = 0; j < i; j++) { /* overlap with an earlier PT_LOAD? */
			struct phdr q;
			parse_phdr(f + h.phoff + (uint64_t)j * h.phentsize, &q);
			if (q.type != PT_LOAD)
				continue;
			mm_vaddr_t qlo = (bias + q.vaddr) & ~(mm_vaddr_t)PAGE_MASK;
			mm_vaddr_t qhi =
			        (bias + q.vaddr + q.memsz + PAGE_MASK) & ~(mm_vaddr_t)PAGE_MASK;
			if (lo < qhi && qlo < hi)
				return -MM_EINVAL;
		}
		if (hi > args->stack_top - args->stack_max_pages * PAGE - PAGE &&
		    lo < args->stack_top)
			return -MM_EINVAL; /* collides with the stack's reach */
		if (h.phoff >= p.offset && h.phoff < p.offset + p.filesz)
			img.phdr = bias + p.vaddr + (h.phoff - p.offset);
		if (hi > img.brk)
			img.brk = hi;
		loads++;
	}
	if (loads == 0)
		return -MM_EINVAL;
	img.entry = bias + h.entry;
	for (unsigned i = 0; i < h.phnum; i++) {
		struct phdr p;
		parse_phdr(f + h.phoff + (uint64_t)i * h.phentsize, &p);
		if (p.type != PT_LOAD)
			continue;
		unsigned prot = MM_PROT_READ | ((p.flags & PF_W) ? MM_PROT_WRITE : 0) |
		                ((p.flags & PF_X) ? MM_PROT_EXEC : 0);
		struct mm_region r = {
			.start = (bias + p.vaddr) & ~(mm_vaddr_t)PAGE_MASK,
			.end = (bias + p.vaddr + p.memsz + PAGE_MASK) & ~(mm_vaddr_t)PAGE_MASK,
			.prot = (uint8_t)prot,
			.kind = (p.flags & PF_X)   ? MM_REGION_CODE
			        : (p.flags & PF_W) ? MM_REGION_DATA
			                           : MM_REGION_RODATA,
			.backing = MM_BACKING_FILE,
			.file = f + p.offset,
			.file_va = bias + p.vaddr,
			.file_len = p.filesz,
		};
		err = mm_region_add(s, &r);
		if (!err && args->eager)
			err = mm_populate(s, r.start, (r.end - r.start) / PAGE, MM_ACCESS_READ);
		if (err)
			return err;
	}
	err = build_stack(s, args, &img);
	if (err)
		return err;
	s->brk_start = s->brk = img.brk; /* the heap of mm_brk() starts here */
	*out = img;
	return 0;
}
