/*
 * The kernels' devicetree reader (kernel/core/fdt.c) on the host: QEMU's
 * own riscv64 virt DTBs (dumped with `qemu-system-riscv64 -machine
 * virt,dumpdtb=FILE -m 256M` and `-m 3G`, cut to their totalsize), blobs
 * built here with reserved memory and other cell sizes, and hostile ones:
 * every truncation and every single-byte corruption of a real blob must be
 * refused or read within bounds (Valgrind and ASan check the bounds).
 */
#include <kernel/fdt.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *load(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	static uint8_t buf[8192];
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	uint8_t *copy = malloc(*len);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, buf, *len);
	return copy;
}

START_TEST(qemu_virt_memory_256m_and_3g)
{
	size_t len, n = 99;
	struct fdt_range r[4];
	uint8_t *b = load("qemu-virt-riscv64-256M.dtb", &len);
	ck_assert_uint_eq(fdt_totalsize(b, len), 4222);
	ck_assert_int_eq(fdt_memory(b, len, r, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(r[0].base, 0x80000000u); /* the virt machine's RAM */
	ck_assert_uint_eq(r[0].size, 256u << 20);
	ck_assert_int_eq(fdt_reserved(b, len, r, 4, &n), 0);
	ck_assert_uint_eq(n, 0); /* QEMU reserves nothing; OpenSBI adds its own */
	free(b);
	b = load("qemu-virt-riscv64-3G.dtb", &len);
	ck_assert_int_eq(fdt_memory(b, len, r, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(r[0].base, 0x80000000u);
	ck_assert_uint_eq(r[0].size, UINT64_C(3) << 30);
	ck_assert_int_eq(fdt_memory(b, len, r, 0, &n), -FDT_ETOOMANY);
	free(b);
}
END_TEST

/* ---- a tiny DTB writer, for blobs QEMU does not make ------------------- */

struct dtb {
	uint8_t st[2048], str[512];
	size_t ns, nstr;
	uint64_t rsv[8][2];
	unsigned nrsv;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
	p[3] = (uint8_t)v;
}

static void tok(struct dtb *d, uint32_t t)
{
	put32(d->st + d->ns, t);
	d->ns += 4;
}

static void begin(struct dtb *d, const char *name)
{
	tok(d, 1);
	size_t l = strlen(name) + 1;
	memcpy(d->st + d->ns, name, l);
	d->ns += (l + 3) & ~(size_t)3;
}

static void prop(struct dtb *d, const char *name, const void *v, uint32_t len)
{
	tok(d, 3);
	tok(d, len);
	tok(d, (uint32_t)d->nstr);
	memcpy(d->str + d->nstr, name, strlen(name) + 1);
	d->nstr += strlen(name) + 1;
	memcpy(d->st + d->ns, v, len);
	d->ns += (len + 3) & ~(uint32_t)3;
}

static void prop32(struct dtb *d, const char *name, uint32_t v)
{
	uint8_t b[4];
	put32(b, v);
	prop(d, name, b, 4);
}

/* The blob: header, reservation block, structure, strings. */
static size_t finish(struct dtb *d, uint8_t *out)
{
	tok(d, 9);
	size_t off_rsv = 40, off_st = off_rsv + (size_t)16 * (d->nrsv + 1),
	       off_str = off_st + d->ns;
	size_t total = off_str + d->nstr;
	memset(out, 0, total);
	uint32_t h[10] = { 0xd00dfeed,
		           (uint32_t)total,
		           (uint32_t)off_st,
		           (uint32_t)off_str,
		           (uint32_t)off_rsv,
		           17,
		           16,
		           0,
		           (uint32_t)d->nstr,
		           (uint32_t)d->ns };
	for (size_t i = 0; i < 10; i++)
		put32(out + 4 * i, h[i]);
	for (size_t i = 0; i < d->nrsv; i++) {
		put32(out + off_rsv + 16 * i, (uint32_t)(d->rsv[i][0] >> 32));
		put32(out + off_rsv + 16 * i + 4, (uint32_t)d->rsv[i][0]);
		put32(out + off_rsv + 16 * i + 8, (uint32_t)(d->rsv[i][1] >> 32));
		put32(out + off_rsv + 16 * i + 12, (uint32_t)d->rsv[i][1]);
	}
	memcpy(out + off_st, d->st, d->ns);
	memcpy(out + off_str, d->str, d->nstr);
	return total;
}

/* Two memory nodes (one with two ranges, 1-cell sizes), a node that is not
 * memory, /reserved-memory with OpenSBI's region, a reservation entry. */
static size_t sample(uint8_t *out)
{
	static struct dtb d;
	memset(&d, 0, sizeof(d));
	d.rsv[0][0] = 0x87000000, d.rsv[0][1] = 0x1000, d.nrsv = 1;
	begin(&d, "");
	prop32(&d, "#address-cells", 2);
	prop32(&d, "#size-cells", 1);
	begin(&d, "memory@80000000");
	prop(&d, "device_type", "memory", 7);
	uint8_t reg[24] = { 0, 0, 0, 0, 0x80, 0, 0, 0, 0x08, 0, 0, 0,   /* 0x80000000, 128 MiB */
		            0, 0, 0, 1, 0,    0, 0, 0, 0x40, 0, 0, 0 }; /* 4 GiB, 1 GiB */
	prop(&d, "reg", reg, 24);
	tok(&d, 2);
	begin(&d, "uart@10000000");
	prop(&d, "reg", reg, 12); /* a reg that is not RAM */
	tok(&d, 2);
	begin(&d, "reserved-memory");
	prop32(&d, "#address-cells", 1);
	prop32(&d, "#size-cells", 1);
	begin(&d, "mmode_resv0@80000000");
	uint8_t rr[8] = { 0x80, 0, 0, 0, 0, 0x02, 0, 0 }; /* 0x80000000, 128 KiB */
	prop(&d, "reg", rr, 8);
	tok(&d, 2);
	tok(&d, 2);
	begin(&d, "chosen");
	prop(&d, "bootargs", "mem=64M test=x", 15);
	tok(&d, 2);
	begin(&d, "memory@100000000");
	prop(&d, "device_type", "memory", 7);
	uint8_t reg2[12] = { 0, 0, 0, 2, 0, 0, 0, 0, 0, 0x10, 0, 0 }; /* 8 GiB, 1 MiB */
	prop(&d, "reg", reg2, 12);
	tok(&d, 2);
	tok(&d, 2);
	return finish(&d, out);
}

START_TEST(memory_reserved_and_cells)
{
	static uint8_t b[4096];
	size_t len = sample(b), n;
	struct fdt_range r[8];
	ck_assert_int_eq(fdt_memory(b, len, r, 8, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(r[0].base, 0x80000000u);
	ck_assert_uint_eq(r[0].size, 128u << 20);
	ck_assert_uint_eq(r[1].base, UINT64_C(1) << 32);
	ck_assert_uint_eq(r[1].size, 1u << 30);
	ck_assert_uint_eq(r[2].base, UINT64_C(2) << 32);
	ck_assert_uint_eq(r[2].size, 1u << 20);
	ck_assert_int_eq(fdt_reserved(b, len, r, 8, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(r[0].base, 0x87000000u); /* the reservation block */
	ck_assert_uint_eq(r[0].size, 0x1000);
	ck_assert_uint_eq(r[1].base, 0x80000000u); /* /reserved-memory, 1-cell addresses */
	ck_assert_uint_eq(r[1].size, 128u << 10);
	ck_assert_int_eq(fdt_memory(b, len, r, 2, &n), -FDT_ETOOMANY);
}
END_TEST

START_TEST(bootargs_from_chosen)
{
	static uint8_t b[4096];
	size_t len = sample(b);
	char c[32], small[5];
	ck_assert_int_eq(fdt_bootargs(b, len, c, sizeof(c)), 0);
	ck_assert_str_eq(c, "mem=64M test=x");
	ck_assert_int_eq(fdt_bootargs(b, len, small, sizeof(small)), 0);
	ck_assert_str_eq(small, "mem="); /* cut to fit, NUL-terminated */
	ck_assert_int_eq(fdt_bootargs(b, len, c, 0), -FDT_ETOOMANY);
	/* QEMU's own DTB without -append has a /chosen but no bootargs. */
	size_t qlen;
	uint8_t *q = load("qemu-virt-riscv64-256M.dtb", &qlen);
	c[0] = 'x';
	ck_assert_int_eq(fdt_bootargs(q, qlen, c, sizeof(c)), 0);
	ck_assert_str_eq(c, "");
	free(q);
	b[len / 2] ^= 0xFF; /* a corrupt blob: an error, and "" */
	int err = fdt_bootargs(b, len, c, sizeof(c));
	ck_assert(err == 0 || c[0] == 0);
}
END_TEST

START_TEST(bad_headers_are_refused)
{
	static uint8_t b[4096];
	size_t len = sample(b), n = 7;
	struct fdt_range r[8];
	ck_assert_int_eq(fdt_memory(NULL, 0, r, 8, &n), -FDT_EBADMAGIC);
	ck_assert_int_eq(fdt_memory(b, 39, r, 8, &n), -FDT_EBADMAGIC);
	ck_assert_int_eq(fdt_memory(b, len - 1, r, 8, &n), -FDT_EBADHEADER); /* totalsize > len */
	b[0] ^= 1;
	ck_assert_int_eq(fdt_memory(b, len, r, 8, &n), -FDT_EBADMAGIC);
	b[0] ^= 1;
	put32(b + 20, 15); /* version */
	ck_assert_int_eq(fdt_memory(b, len, r, 8, &n), -FDT_EBADHEADER);
	put32(b + 20, 17);
	put32(b + 36, 0xFFFFFFF0u); /* size_dt_struct */
	ck_assert_int_eq(fdt_memory(b, len, r, 8, &n), -FDT_EBADHEADER);
	ck_assert_uint_eq(fdt_totalsize(b, len), 0);
}
END_TEST

/* Every prefix of a real blob, and every single-byte change of it: each is
 * refused or read within bounds (the reader never reads past len; Valgrind
 * and ASan would say so) and never reports more ranges than it has room
 * for. */
START_TEST(every_truncation_and_corruption)
{
	size_t len;
	uint8_t *b = load("qemu-virt-riscv64-256M.dtb", &len);
	struct fdt_range r[4];
	size_t n;
	unsigned ok = 0;
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *t = malloc(cut ? cut : 1);
		memcpy(t, b, cut);
		ok += fdt_memory(t, cut, r, 4, &n) == 0;
		ok += fdt_reserved(t, cut, r, 4, &n) == 0;
		free(t);
	}
	ck_assert_uint_eq(ok, 0); /* a cut blob is shorter than its totalsize */
	unsigned refused = 0;
	for (size_t i = 0; i < len; i++) {
		const uint8_t flips[] = { 0x01, 0x80, 0xFF };
		for (unsigned k = 0; k < 3; k++) {
			b[i] ^= flips[k];
			int rc = fdt_memory(b, len, r, 4, &n);
			refused += rc != 0;
			ck_assert(rc != 0 || n <= 4);
			rc = fdt_reserved(b, len, r, 4, &n);
			ck_assert(rc != 0 || n <= 4);
			b[i] ^= flips[k];
		}
	}
	ck_assert_uint_gt(refused, 0);
	ck_assert_int_eq(fdt_memory(b, len, r, 4, &n), 0); /* and the blob is intact */
	free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fdt");
	TCase *tc = tcase_create("fdt");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, qemu_virt_memory_256m_and_3g);
	tcase_add_test(tc, memory_reserved_and_cells);
	tcase_add_test(tc, bootargs_from_chosen);
	tcase_add_test(tc, bad_headers_are_refused);
	tcase_add_test(tc, every_truncation_and_corruption);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
