/*
 * ELF exec into a space, for each ISA: executables built here, byte by
 * byte, for the ISA under test (valid and malformed), and on x86_64 the
 * real /bin/ls as well.
 */
#include "helpers.h"

#include <mm/exec.h>

#include <arch/layout.h>

#include <stdio.h>

#define W         ((size_t)(ARCH_ELF_CLASS == 1 ? 4 : 8))
#define EHSIZE    (ARCH_ELF_CLASS == 1 ? 52u : 64u)
#define PHSIZE    (ARCH_ELF_CLASS == 1 ? 32u : 56u)
#define STACK_TOP (ARCH_USER_END - 16 * PAGE)

static struct mm_space sp;

static void exec_setup(void)
{
	setup();
	ck_assert_int_eq(mm_space_create(sys, &sp), 0);
}

static void wr(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

struct seg {
	uint32_t flags;
	uint64_t offset, vaddr, filesz, memsz;
};

/* An ELF executable of this ISA with @n PT_LOAD segments; returns its size. */
static size_t make_elf(uint8_t *f, size_t cap, unsigned type, const struct seg *s, unsigned n,
                       uint64_t entry)
{
	memset(f, 0, cap);
	memcpy(f, "\177ELF", 4); /* NOLINT(bugprone-not-null-terminated-result): magic bytes */
	f[4] = ARCH_ELF_CLASS, f[5] = 1, f[6] = 1;
	wr(f + 16, type, 2);
	wr(f + 18, ARCH_ELF_MACHINE, 2);
	wr(f + 20, 1, 4);
	wr(f + 24, entry, W);
	wr(f + 24 + W, EHSIZE, W); /* e_phoff: right after the header */
	uint8_t *t = f + 24 + 3 * W + 4;
	wr(t, EHSIZE, 2);
	wr(t + 2, PHSIZE, 2);
	wr(t + 4, n, 2);
	size_t end = EHSIZE + n * PHSIZE;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = f + EHSIZE + (size_t)i * PHSIZE;
		wr(p, 1, 4); /* PT_LOAD */
		if (ARCH_ELF_CLASS == 1) {
			wr(p + 4, s[i].offset, 4), wr(p + 8, s[i].vaddr, 4),
			        wr(p + 12, s[i].vaddr, 4);
			wr(p + 16, s[i].filesz, 4), wr(p + 20, s[i].memsz, 4),
			        wr(p + 24, s[i].flags, 4);
			wr(p + 28, PAGE, 4);
		} else {
			wr(p + 4, s[i].flags, 4), wr(p + 8, s[i].offset, 8),
			        wr(p + 16, s[i].vaddr, 8);
			wr(p + 24, s[i].vaddr, 8), wr(p + 32, s[i].filesz, 8),
			        wr(p + 40, s[i].memsz, 8);
			wr(p + 48, PAGE, 8);
		}
		/* Fill the segment's file bytes with a pattern. */
		for (uint64_t b = 0; b < s[i].filesz && s[i].offset + b < cap; b++)
			if (s[i].offset + b >= end)
				f[s[i].offset + b] = (uint8_t)(i * UINT64_C(16) + b);
		if (s[i].offset + s[i].filesz > end)
			end = s[i].offset + s[i].filesz;
	}
	/* Bytes of the buffer that no segment's file data covers are not zero
	 * (as section headers and other segments are in a real file), so a
	 * loader that copies past p_filesz shows it. */
	for (size_t b = EHSIZE + n * PHSIZE; b < cap; b++) {
		bool covered = false;
		for (unsigned i = 0; i < n && !covered; i++)
			covered = b >= s[i].offset && b - s[i].offset < s[i].filesz;
		if (!covered)
			f[b] = 0xEE;
	}
	return end;
}

static uint8_t elf[8 * PAGE];
/* Text r-x (with the headers), rodata r--, data rw- with 2 pages of bss. */
static const struct seg good[] = {
	{ 5, 0, 0x400000, 0x1800, 0x1800 },
	{ 4, 0x2000, 0x402000, 0x100, 0x100 },
	{ 6, 0x3010, 0x403010, 0x200, 0x2200 },
};

static const char *const argv[] = { "prog", "-v", "hello world", NULL };
static const char *const envp[] = { "MMKIT=1", "LANG=C", NULL };

static struct mm_exec_args args(void)
{
	return (struct mm_exec_args){
		.argv = argv, .envp = envp, .stack_top = STACK_TOP, .stack_max_pages = 64
	};
}

static uint64_t rdw(mm_vaddr_t va)
{
	uint64_t v = 0;
	ck_assert_int_eq(sim_read(sim, va, &v, W, SIM_USER | SIM_DEMAND, NULL), 0);
	return v;
}

/* File bytes after p_filesz in a segment's last file page, and its bss
 * pages, read as zero, lazily and eagerly, with the whole buffer handed in
 * as the file (trailing bytes that belong to no segment are 0xEE). */
START_TEST(exec_zero_fills_after_the_file_bytes)
{
	for (int eager = 0; eager <= 1; eager++) {
		static struct mm_space img_space;
		ck_assert_int_eq(mm_space_create(sys, &img_space), 0);
		make_elf(elf, sizeof(elf), 2, good, 3, 0x400100);
		struct mm_exec_args a = args();
		a.eager = eager;
		struct mm_exec_image img;
		ck_assert_int_eq(mm_exec(&img_space, elf, sizeof(elf), &a, &img), 0);
		mm_space_activate(&img_space);
		for (unsigned i = 0; i < 3; i++) {
			const struct seg *g = &good[i];
			mm_vaddr_t end = (g->vaddr + g->memsz + PAGE - 1) & ~(PAGE - 1);
			for (mm_vaddr_t va = g->vaddr; va < end; va++) {
				uint8_t byte = 0xAA;
				ck_assert_int_eq(
				        sim_read(sim, va, &byte, 1, SIM_USER | SIM_DEMAND, NULL),
				        0);
				uint64_t off = va - g->vaddr;
				uint8_t want = off < g->filesz ? elf[g->offset + off] : 0;
				ck_assert_msg(byte == want,
				              "eager %d seg %u va %#llx: %#x, want %#x", eager, i,
				              (unsigned long long)va, byte, want);
			}
		}
		kernel_active();
		ck_assert_int_eq(mm_space_destroy(&img_space), 0);
	}
}
END_TEST

START_TEST(exec_builds_regions_and_the_linux_stack)
{
	size_t n = make_elf(elf, sizeof(elf), 2, good, 3, 0x400100);
	struct mm_exec_args a = args();
	struct mm_exec_image img;
	ck_assert_int_eq(mm_exec(&sp, elf, n, &a, &img), 0);
	ck_assert_uint_eq(img.entry, 0x400100);
	ck_assert_uint_eq(img.phnum, 3);
	ck_assert_uint_eq(img.phdr, 0x400000 + EHSIZE);
	ck_assert_uint_eq(img.brk, 0x406000);
	ck_assert_uint_eq(mm_region_count(&sp), 4);
	const struct mm_region *t = mm_region_find(&sp, 0x400000),
	                       *r = mm_region_find(&sp, 0x402000),
	                       *d = mm_region_find(&sp, 0x405000);
	ck_assert(t && t->kind == MM_REGION_CODE &&
	          t->prot == (MM_PROT_READ | MM_PROT_EXEC | MM_PROT_USER));
	ck_assert(r && r->kind == MM_REGION_RODATA && r->prot == (MM_PROT_READ | MM_PROT_USER));
	ck_assert(d && d->kind == MM_REGION_DATA && d->prot == RW);
	for (unsigned i = 0; i < mm_region_count(&sp); i++) /* W^X: none asked for both */
		ck_assert(!(((*region_at(&sp, i)).prot & MM_PROT_WRITE) &&
		            ((*region_at(&sp, i)).prot & MM_PROT_EXEC)));
	mm_space_activate(&sp);
	/* File bytes where they belong, bss zero, lazily. */
	uint64_t before = sp.user_pages;
	uint8_t b[4];
	ck_assert_int_eq(sim_read(sim, 0x403010, b, 4, SIM_USER | SIM_DEMAND, NULL), 0);
	ck_assert_uint_eq(b[0], 0x20);
	ck_assert_uint_eq(b[1], 0x21);
	ck_assert_uint_eq(sp.user_pages, before + 1);
	ck_assert_uint_eq(rdw(0x403010 + 0x200), 0); /* bss in the same page */
	ck_assert_uint_eq(rdw(0x405000), 0);         /* bss pages */
	struct sim_fault f;
	ck_assert_int_ne(sim_write(sim, 0x400000, b, 1, SIM_USER | SIM_DEMAND, &f), 0);
	ck_assert_int_eq(f.verdict, MM_FAULT_ACCESS); /* text is read-only */
	/* The stack: argc, argv[], NULL, envp[], NULL, auxv, 16-byte aligned. */
	ck_assert_uint_eq(img.sp % 16, 0);
	ck_assert_uint_eq(rdw(img.sp), 3);
	char s[16];
	for (int i = 0; i < 3; i++) {
		mm_vaddr_t p = rdw(img.sp + W * (1 + (unsigned)i));
		ck_assert_int_eq(
		        sim_read(sim, p, s, strlen(argv[i]) + 1, SIM_USER | SIM_DEMAND, NULL), 0);
		ck_assert_str_eq(s, argv[i]);
	}
	ck_assert_uint_eq(rdw(img.sp + 4 * W), 0);
	mm_vaddr_t e0 = rdw(img.sp + 5 * W);
	ck_assert_int_eq(sim_read(sim, e0, s, 8, SIM_USER | SIM_DEMAND, NULL), 0);
	ck_assert_str_eq(s, "MMKIT=1");
	ck_assert_uint_eq(rdw(img.sp + 7 * W), 0);
	mm_vaddr_t aux = img.sp + 8 * W;
	uint64_t want[][2] = { { 3, img.phdr }, { 4, PHSIZE },   { 5, 3 },
		               { 6, PAGE },     { 9, 0x400100 }, { 0, 0 } };
	for (int i = 0; i < 6; i++) {
		ck_assert_uint_eq(rdw(aux + 2 * W * (unsigned)i), want[i][0]);
		ck_assert_uint_eq(rdw(aux + 2 * W * (unsigned)i + W), want[i][1]);
	}
	assert_invariants(sim);
	mm_space_activate(mm_sys_kernel_space(sys));
}
END_TEST

START_TEST(exec_eager_populates_everything)
{
	size_t n = make_elf(elf, sizeof(elf), 2, good, 3, 0x400100);
	struct mm_exec_args a = args();
	a.eager = true;
	struct mm_exec_image img;
	ck_assert_int_eq(mm_exec(&sp, elf, n, &a, &img), 0);
	ck_assert_uint_eq(sp.user_pages, 2 + 1 + 3 + 1); /* text, rodata, data+bss, stack */
}
END_TEST

START_TEST(exec_position_independent_gets_a_bias)
{
	struct seg pie[] = { { 5, 0, 0, 0x1000, 0x1000 } };
	size_t n = make_elf(elf, sizeof(elf), 3, pie, 1, 0x80);
	struct mm_exec_args a = args();
	struct mm_exec_image img;
	ck_assert_int_eq(mm_exec(&sp, elf, n, &a, &img), 0);
	ck_assert_uint_eq(img.load_bias, ARCH_ELF_DYN_BASE);
	ck_assert_uint_eq(img.entry, ARCH_ELF_DYN_BASE + 0x80);
	ck_assert_ptr_nonnull(mm_region_find(&sp, ARCH_ELF_DYN_BASE));
}
END_TEST

/* Malformed files: refused, and the space gains nothing it keeps. */
START_TEST(exec_refuses_malformed_files)
{
	struct mm_exec_args a = args();
	struct mm_exec_image img;
	size_t n = make_elf(elf, sizeof(elf), 2, good, 3, 0x400100);
	struct {
		const char *what;
		size_t size;
		void (*mutate)(uint8_t *f);
		struct seg segs[2];
		unsigned nsegs;
		int want;
	} cases[] = {
		{ "truncated header", 20, NULL, { { 0 } }, 0, -MM_EINVAL },
		{ "truncated segment", 0x3100, NULL, { { 0 } }, 0, -MM_EINVAL },
		{ "overlapping segments",
		  0,
		  NULL,
		  { { 5, 0, 0x400000, 0x1800, 0x1800 }, { 6, 0x1000, 0x401000, 0x10, 0x10 } },
		  2,
		  -MM_EINVAL },
		{ "segment in the kernel half",
		  0,
		  NULL,
		  { { 5, 0, ARCH_KERNEL_BASE, 0x100, 0x100 } },
		  1,
		  -MM_EFAULT },
		{ "absurd size",
		  0,
		  NULL,
		  { { 6, 0, 0x400000, 0x100, ARCH_USER_END } },
		  1,
		  -MM_EFAULT },
		{ "filesz > memsz", 0, NULL, { { 6, 0, 0x400000, 0x200, 0x100 } }, 1, -MM_EINVAL },
		{ "vaddr and offset not congruent",
		  0,
		  NULL,
		  { { 6, 0x10, 0x400000, 0x10, 0x10 } },
		  1,
		  -MM_EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t size = n;
		if (cases[i].nsegs)
			size = make_elf(elf, sizeof(elf), 2, cases[i].segs, cases[i].nsegs,
			                0x400000);
		else
			make_elf(elf, sizeof(elf), 2, good, 3, 0x400100);
		if (cases[i].size)
			size = cases[i].size;
		static struct mm_space t;
		ck_assert_int_eq(mm_space_create(sys, &t), 0);
		int rc = mm_exec(&t, elf, size, &a, &img);
		ck_assert_msg(rc == cases[i].want, "%s: got %d, want %d", cases[i].what, rc,
		              cases[i].want);
		ck_assert_uint_eq(mm_region_count(&t), 0);
		ck_assert_int_eq(mm_space_destroy(&t), 0);
	}
	/* Not ELF, another machine, a relocatable object. */
	static const uint8_t text[] = "#!/bin/sh\necho not an executable\n";
	ck_assert_int_eq(mm_exec(&sp, text, sizeof(text), &a, &img), -MM_EINVAL);
	make_elf(elf, sizeof(elf), 2, good, 3, 0x400100);
	elf[18] = 0x28; /* EM_ARM */
	ck_assert_int_eq(mm_exec(&sp, elf, n, &a, &img), -MM_EINVAL);
	make_elf(elf, sizeof(elf), 1, good, 3, 0x400100); /* ET_REL */
	ck_assert_int_eq(mm_exec(&sp, elf, n, &a, &img), -MM_EINVAL);
	ck_assert_uint_eq(mm_region_count(&sp), 0);
	assert_invariants(sim);
}
END_TEST

/* exec replaces an image only once the new one is complete. */
START_TEST(exec_failure_leaves_the_old_image)
{
	size_t n = make_elf(elf, sizeof(elf), 2, good, 3, 0x400100);
	struct mm_exec_args a = args();
	struct mm_exec_image img;
	ck_assert_int_eq(mm_exec(&sp, elf, n, &a, &img), 0);
	uint64_t fp = space_fp(sim, &sp);
	uint32_t free0 = free_frames(sim);
	/* A new image fails for want of frames, at each allocation in turn. */
	for (int64_t k = 0;; k++) {
		static struct mm_space t;
		ck_assert_int_eq(mm_space_create(sys, &t), 0);
		mm_frames_fail_after(&sys->frames, k);
		a.eager = true;
		int rc = mm_exec(&t, elf, n, &a, &img);
		mm_frames_fail_after(&sys->frames, -1);
		ck_assert_int_eq(mm_space_destroy(&t), 0);
		ck_assert_uint_eq(space_fp(sim, &sp), fp);
		ck_assert_uint_eq(free_frames(sim), free0);
		if (rc == 0)
			break;
		ck_assert_int_eq(rc, -MM_ENOMEM);
	}
}
END_TEST

/* A real program of the ISA (REAL_ELF, named by arch/<isa>/meson.build:
 * the host's /bin/ls on x86_64, a cross-compiled fixture on riscv64; none
 * on i386): its regions, one of code, and its first bytes read back as a
 * user would. */
START_TEST(exec_real_program)
{
	if (!REAL_ELF[0])
		return; /* no real program for this ISA */
	FILE *fp = fopen(REAL_ELF, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", REAL_ELF);
	static uint8_t buf[4 << 20];
	size_t n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	struct mm_exec_args a = args();
	a.stack_top = ARCH_USER_END - PAGE;
	struct mm_exec_image img;
	ck_assert_int_eq(mm_exec(&sp, buf, n, &a, &img), 0);
	mm_vaddr_t first = region_at(&sp, 0)->start;
	if (img.has_interp) /* a PIE such as /bin/ls: loaded at the ABI's base */
		ck_assert_uint_eq(img.load_bias, ARCH_ELF_DYN_BASE);
	ck_assert_uint_ge(mm_region_count(&sp), 3); /* code, data, and the stack */
	unsigned code = 0;
	for (unsigned i = 0; i < mm_region_count(&sp); i++)
		code += (*region_at(&sp, i)).kind == MM_REGION_CODE;
	ck_assert_uint_eq(code, 1);
	ck_assert(mm_region_find(&sp, img.entry) != NULL);
	ck_assert_uint_eq(mm_region_find(&sp, img.entry)->kind, MM_REGION_CODE);
	mm_space_activate(&sp);
	uint8_t magic[4];
	ck_assert_int_eq(sim_read(sim, first, magic, 4, SIM_USER | SIM_DEMAND, NULL), 0);
	ck_assert(memcmp(magic, "\177ELF", 4) == 0);
	mm_space_activate(mm_sys_kernel_space(sys));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exec-" ARCH_NAME);
	TCase *tc = tcase_create("exec");
	tcase_add_checked_fixture(tc, exec_setup, teardown);
	tcase_add_test(tc, exec_builds_regions_and_the_linux_stack);
	tcase_add_test(tc, exec_zero_fills_after_the_file_bytes);
	tcase_add_test(tc, exec_eager_populates_everything);
	tcase_add_test(tc, exec_position_independent_gets_a_bias);
	tcase_add_test(tc, exec_refuses_malformed_files);
	tcase_add_test(tc, exec_failure_leaves_the_old_image);
	tcase_add_test(tc, exec_real_program);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
