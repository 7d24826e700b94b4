/*
 * minikernel: the smallest x86_64 kernel that uses mmkit's mm-core only as
 * it is installed (<mm/mm.h> and the ISA's <arch/pte.h>, through
 * pkg-config mmkit-core-kernel-x86_64 or a Meson subproject). It supplies
 * what mm-core asks of a kernel, struct mm_mach_ops and mm_panic(), and the
 * C library functions a freestanding build needs; hands RAM from the
 * Multiboot information to mm-core; has mm-core build a direct map and the
 * image mapping and takes CR3; then, as TAP on COM1: two spaces with a page
 * at the same address (demand-zero through #PF and mm_fault()), a
 * copy-on-write fork whose first write faults and copies, and every frame
 * back after the spaces are destroyed. It leaves QEMU through isa-debug-exit
 * (status 33 when all passed, 35 otherwise).
 *
 * Sources: Intel SDM Vol. 3A §4.5 (4-level paging), §4.7 (page-fault error
 * code), §6.14 (64-bit IDT gates); Multiboot Specification 0.6.96 §3.3.
 */
#include <mm/mm.h>
#include <mm/version.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIRECT_MAP UINT64_C(0xFFFF800000000000)
#define KVMA       UINT64_C(0xFFFFFFFF80000000)
#define UVA        UINT64_C(0x400000)

void kmain(uint32_t magic, uint32_t info_pa);
void pf_handler(uint64_t error_code);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
extern char kernel_end[];
extern char pf_entry[];

/* ---- what freestanding code needs ---------------------------------------- */

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	return memmove(d, s, n);
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *a = d;
	const unsigned char *b = s;
	if (a < b)
		while (n--)
			*a++ = *b++;
	else
		while (n--)
			a[n] = b[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* ---- COM1, TAP, exit ------------------------------------------------------ */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_(char c)
{
	while (!(inb(0x3FD) & 0x20))
		;
	outb(0x3F8, (uint8_t)c);
}

static void puts_(const char *s)
{
	for (; *s; s++)
		putc_(*s);
}

static void putn(uint64_t v)
{
	char b[24];
	int n = 0;
	do
		b[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		putc_(b[--n]);
}

static unsigned tests, failed;

static void ok(bool good, const char *what)
{
	puts_(good ? "ok " : "not ok ");
	putn(++tests);
	puts_(" - ");
	puts_(what);
	puts_("\n");
	failed += !good;
}

__attribute__((noreturn)) static void leave(bool success)
{
	__asm__ volatile("outl %0, %1" : : "a"(success ? 0x10u : 0x11u), "Nd"((uint16_t)0xF4));
	for (;;)
		__asm__ volatile("cli; hlt");
}

void mm_panic(const char *msg)
{
	puts_("PANIC: mm-core: ");
	puts_(msg);
	puts_("\nBail out!\n");
	leave(false);
}

/* ---- mm-core's machine hooks ---------------------------------------------- */

static void *hook_phys_to_virt(void *ctx, mm_paddr_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)(pa + DIRECT_MAP);
}

static void hook_activate(void *ctx, mm_paddr_t root, uint32_t asid)
{
	(void)ctx;
	(void)asid; /* no PCIDs: every space is 0, and a CR3 write flushes */
	__asm__ volatile("mov %0, %%cr3" : : "r"(root) : "memory");
}

static mm_paddr_t hook_read_root(void *ctx)
{
	(void)ctx;
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v & ~UINT64_C(0xFFF);
}

static void hook_invalidate_page(void *ctx, uint32_t asid, mm_vaddr_t va)
{
	(void)ctx;
	(void)asid; /* no PCID: invlpg drops the page whatever its PCID */
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static void hook_flush_all(void *ctx, uint32_t asid)
{
	(void)asid;
	hook_activate(ctx, hook_read_root(ctx), 0);
}

static const struct mm_mach_ops ops = {
	.phys_to_virt = hook_phys_to_virt,
	.activate = hook_activate,
	.read_root = hook_read_root,
	.invalidate_page = hook_invalidate_page,
	.flush_all = hook_flush_all,
};

/* ---- page faults ---------------------------------------------------------- */

static struct mm_sys sys;
static struct mm_space *current; /* the space whose user half is loaded */
static unsigned faults_resolved;

/* The #PF handler's C half (pf_entry in the asm below): mm-core decides. */
void pf_handler(uint64_t error_code)
{
	uint64_t va;
	__asm__ volatile("mov %%cr2, %0" : "=r"(va));
	unsigned access = (error_code & 2) ? MM_ACCESS_WRITE : MM_ACCESS_READ;
	if (current && va < DIRECT_MAP &&
	    mm_fault(current, va, access, NULL) == MM_FAULT_RESOLVED) {
		faults_resolved++;
		return;
	}
	puts_("PANIC: unresolved page fault\nBail out!\n");
	leave(false);
}

/* Saves what the C handler may clobber, calls it, drops the error code. */
__asm__(".text\n"
        ".global pf_entry\n"
        "pf_entry:\n"
        "\tpush %rax; push %rcx; push %rdx; push %rsi; push %rdi\n"
        "\tpush %r8; push %r9; push %r10; push %r11\n"
        "\tmov 72(%rsp), %rdi\n"
        "\tcld\n"
        "\tsub $8, %rsp\n" /* 16-byte alignment at the call */
        "\tcall pf_handler\n"
        "\tadd $8, %rsp\n"
        "\tpop %r11; pop %r10; pop %r9; pop %r8\n"
        "\tpop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax\n"
        "\tadd $8, %rsp\n"
        "\tiretq\n");

static uint64_t idt[2 * 256] __attribute__((aligned(16)));

static void idt_init(void)
{
	uint64_t h = (uint64_t)(uintptr_t)pf_entry;
	/* A 64-bit interrupt gate (type 0xE, P, DPL 0) to CS 0x08. */
	idt[2 * 14] = (h & 0xFFFF) | (UINT64_C(0x08) << 16) | (UINT64_C(0x8E) << 40) |
	              ((h >> 16) & 0xFFFF) << 48;
	idt[2 * 14 + 1] = h >> 32;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) d = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}

/* ---- the kernel ----------------------------------------------------------- */

static volatile uint32_t *user_word(void)
{
	return (volatile uint32_t *)(uintptr_t)UVA;
}

static void use(struct mm_space *s)
{
	mm_space_activate(s);
	current = s;
}

void kmain(uint32_t magic, uint32_t info_pa)
{
	puts_("minikernel: mmkit " MMKIT_VERSION " mm-core, as installed\n");
	const uint32_t *info = (const uint32_t *)(uintptr_t)(DIRECT_MAP + info_pa);
	if (magic != 0x2BADB002u || !(info[0] & 1))
		mm_panic("no Multiboot memory information");
	/* RAM above 1 MiB (mem_upper, in KiB), within the boot tables' 1 GiB. */
	uint64_t ram_end = 0x100000 + (uint64_t)info[2] * 1024;
	if (ram_end > (UINT64_C(1) << 30))
		ram_end = UINT64_C(1) << 30;
	const uint64_t image_end = ((uintptr_t)kernel_end - KVMA + 0xFFF) & ~UINT64_C(0xFFF);
	struct mm_phys_range r = { image_end, (ram_end - image_end) / 4096 };
	size_t meta = mm_frames_meta_bytes(&r, 1);
	const uint64_t meta_pages = (meta + 4095) / 4096;
	void *meta_va = (void *)(uintptr_t)(DIRECT_MAP + image_end);
	r.base += meta_pages * 4096;
	r.pages -= meta_pages;
	idt_init();
	int err = mm_sys_init(&sys, &ops, NULL, &r, 1, meta_va, meta, 0);
	/* mm-core's kernel space: all RAM at the direct map, the image where
	 * it runs; then CR3 holds mm-core's root. */
	if (!err)
		err = mm_kernel_map(&sys, DIRECT_MAP, 0, ram_end / 4096,
		                    MM_PROT_READ | MM_PROT_WRITE);
	if (!err)
		err = mm_kernel_map(&sys, KVMA + 0x100000, 0x100000, (image_end - 0x100000) / 4096,
		                    MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC);
	if (!err)
		err = mm_space_activate(mm_sys_kernel_space(&sys));
	ok(!err && hook_read_root(NULL) == sys.kernel.root,
	   "mm_sys_init, the direct map and the image by mm-core; CR3 holds its kernel root");
	const uint32_t free_before = mm_frames_free_count(&sys.frames);

	static struct mm_space a, b, child;
	mm_vaddr_t va;
	const unsigned rw = MM_PROT_READ | MM_PROT_WRITE;
	err = mm_space_create(&sys, &a);
	err = err ? err : mm_space_create(&sys, &b);
	err = err ? err : mm_mmap(&a, UVA, 1, rw, MM_MAP_FIXED, &va);
	err = err ? err : mm_mmap(&b, UVA, 1, rw, MM_MAP_FIXED, &va);
	if (err)
		mm_panic(mm_strerror(err));
	use(&a);
	*user_word() = 0xAAAA; /* not present yet: #PF, mm_fault() maps a zeroed frame */
	use(&b);
	*user_word() = 0xBBBB;
	use(&a);
	uint32_t ra = *user_word();
	use(&b);
	uint32_t rb = *user_word();
	ok(ra == 0xAAAA && rb == 0xBBBB && faults_resolved == 2,
	   "two spaces, one address, two frames: each page came by a fault through mm_fault()");

	use(&a);
	err = mm_space_clone(&a, &child, MM_CLONE_COW);
	if (err)
		mm_panic(mm_strerror(err));
	use(&child);
	*user_word() = 0xCCCC; /* read-only, copy-on-write: #PF, mm_fault() copies */
	uint32_t rc = *user_word();
	use(&a);
	ok(rc == 0xCCCC && *user_word() == 0xAAAA && faults_resolved == 3,
	   "a copy-on-write fork: the child's write faulted and copied, the parent kept its value");

	use(mm_sys_kernel_space(&sys));
	current = NULL;
	err = mm_space_destroy(&child);
	err = err ? err : mm_space_destroy(&b);
	err = err ? err : mm_space_destroy(&a);
	ok(!err && mm_frames_free_count(&sys.frames) == free_before,
	   "every space destroyed: every frame came back");
	puts_("1..");
	putn(tests);
	puts_("\n");
	leave(failed == 0);
}
