/*
 * Flattened devicetree reader: see <kernel/fdt.h>. Every rule cites the
 * Devicetree Specification v0.4 section it comes from.
 */
#include <kernel/fdt.h>

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 0x1u /* §5.4.1 */
#define FDT_END_NODE   0x2u
#define FDT_PROP       0x3u
#define FDT_NOP        0x4u
#define FDT_END        0x9u
#define MAX_DEPTH      16u

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* The header, checked (§5.2): every block inside the blob. */
struct hdr {
	const uint8_t *b;
	uint32_t total, off_struct, off_strings, off_rsvmap, size_strings, size_struct;
};

static int read_header(const void *fdt, size_t len, struct hdr *h)
{
	const uint8_t *b = fdt;
	if (!fdt || len < 40)
		return -FDT_EBADMAGIC;
	if (be32(b) != FDT_MAGIC)
		return -FDT_EBADMAGIC;
	*h = (struct hdr){ .b = b,
		           .total = be32(b + 4),
		           .off_struct = be32(b + 8),
		           .off_strings = be32(b + 12),
		           .off_rsvmap = be32(b + 16),
		           .size_strings = be32(b + 32),
		           .size_struct = be32(b + 36) };
	uint32_t version = be32(b + 20);
	if (version < 16 || h->total < 40 || h->total > len)
		return -FDT_EBADHEADER;
	if (h->off_struct > h->total || h->size_struct > h->total - h->off_struct ||
	    h->off_strings > h->total || h->size_strings > h->total - h->off_strings ||
	    h->off_rsvmap > h->total || (h->off_struct & 3) || (h->off_rsvmap & 7))
		return -FDT_EBADHEADER;
	return 0;
}

size_t fdt_totalsize(const void *fdt, size_t len)
{
	struct hdr h;
	return read_header(fdt, len, &h) == 0 ? h.total : 0;
}

/* Does the NUL-terminated string at @p, within @n bytes, equal @s? */
static int str_is(const uint8_t *p, size_t n, const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (i >= n || p[i] != (uint8_t)s[i])
			return 0;
	return i < n && p[i] == 0;
}

/* Is node name @p (NUL within @n) "@s" or "@s@unit"? */
static int name_is(const uint8_t *p, size_t n, const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (i >= n || p[i] != (uint8_t)s[i])
			return 0;
	return i < n && (p[i] == 0 || p[i] == '@');
}

/* What the walk collects, and how. */
enum want { WANT_MEMORY, WANT_RESERVED, WANT_BOOTARGS };

struct walk {
	const struct hdr *h;
	enum want want;
	struct fdt_range *out;
	size_t max, n;
	char *str; /* WANT_BOOTARGS: room for str_size bytes */
	size_t str_size;
	int found;
};

/* Append the (addr, size) pairs of a reg value @v of @len bytes. */
static int add_reg(struct walk *w, const uint8_t *v, uint32_t len, uint32_t ac, uint32_t sc)
{
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return -FDT_EBADCELLS;
	uint32_t pair = 4 * (ac + sc);
	if (len % pair)
		return -FDT_EBADSTRUCT;
	for (uint32_t off = 0; off < len; off += pair) {
		uint64_t base = ac == 2 ? be64(v + off) : be32(v + off);
		const uint8_t *sz = v + off + (size_t)4 * ac;
		uint64_t size = sc == 2 ? be64(sz) : be32(sz);
		if (size == 0)
			continue;
		if (w->n == w->max)
			return -FDT_ETOOMANY;
		w->out[w->n++] = (struct fdt_range){ base, size };
	}
	return 0;
}

/*
 * One pass over the structure block (§5.4). Depth 0 is outside the root,
 * 1 the root, 2 its children. #address-cells and #size-cells of a node
 * apply to its children's reg (§2.3.5); defaults 2 and 1.
 */
static int walk_struct(struct walk *w)
{
	const struct hdr *h = w->h;
	const uint8_t *s = h->b + h->off_struct, *end = s + h->size_struct;
	const uint8_t *strs = h->b + h->off_strings;
	uint32_t ac[MAX_DEPTH + 1], sc[MAX_DEPTH + 1]; /* cells each depth gives its children */
	unsigned depth = 0;
	/* The current depth-2 node: is it a memory node (device_type
	 * "memory"), or /reserved-memory; and the reg of the current nodes at
	 * depths 2 and 3. */
	int is_memory = 0, in_resv = 0, in_chosen = 0;
	const uint8_t *reg[4] = { 0 };
	uint32_t reg_len[4] = { 0 };
	ac[0] = 2, sc[0] = 1;
	for (const uint8_t *p = s;;) {
		if (end - p < 4)
			return -FDT_EBADSTRUCT;
		uint32_t tok = be32(p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			size_t room = (size_t)(end - p), nl = 0;
			while (nl < room && p[nl])
				nl++;
			if (nl == room || depth == MAX_DEPTH)
				return -FDT_EBADSTRUCT;
			depth++;
			ac[depth] = 2, sc[depth] = 1;
			if (depth == 2) {
				in_resv = name_is(p, room, "reserved-memory");
				in_chosen = name_is(p, room, "chosen");
				is_memory = 0;
			}
			if (depth < 4)
				reg[depth] = 0;
			p += (nl + 1 + 3) & ~(size_t)3;
			if (p > end)
				return -FDT_EBADSTRUCT;
		} else if (tok == FDT_END_NODE) {
			if (depth == 0)
				return -FDT_EBADSTRUCT;
			int err = 0;
			if (w->want == WANT_MEMORY && depth == 2 && is_memory && reg[2])
				err = add_reg(w, reg[2], reg_len[2], ac[1], sc[1]);
			if (w->want == WANT_RESERVED && depth == 3 && in_resv && reg[3])
				err = add_reg(w, reg[3], reg_len[3], ac[2], sc[2]);
			if (err)
				return err;
			if (depth == 2)
				in_resv = in_chosen = 0;
			depth--;
		} else if (tok == FDT_PROP) {
			if (end - p < 8 || depth == 0)
				return -FDT_EBADSTRUCT;
			uint32_t len = be32(p), nameoff = be32(p + 4);
			p += 8;
			if (len > (size_t)(end - p) || nameoff >= h->size_strings)
				return -FDT_EBADSTRUCT;
			const uint8_t *name = strs + nameoff;
			size_t name_room = h->size_strings - nameoff;
			if (str_is(name, name_room, "#address-cells") && len == 4)
				ac[depth] = be32(p);
			else if (str_is(name, name_room, "#size-cells") && len == 4)
				sc[depth] = be32(p);
			else if (depth < 4 && str_is(name, name_room, "reg"))
				reg[depth] = p, reg_len[depth] = len;
			else if (depth == 2 && str_is(name, name_room, "device_type"))
				is_memory = str_is(p, len, "memory");
			else if (depth == 2 && in_chosen && w->want == WANT_BOOTARGS &&
			         str_is(name, name_room, "bootargs")) {
				/* A string (§2.2.4): up to its NUL or the value's end. */
				size_t i = 0;
				for (; i < len && p[i] && i + 1 < w->str_size; i++)
					w->str[i] = (char)p[i];
				w->str[i] = 0;
				w->found = 1;
			}
			p += (len + 3) & ~(uint32_t)3;
			if (p > end)
				return -FDT_EBADSTRUCT;
		} else if (tok == FDT_NOP) {
			continue;
		} else if (tok == FDT_END) {
			return depth == 0 ? 0 : -FDT_EBADSTRUCT;
		} else {
			return -FDT_EBADSTRUCT;
		}
	}
}

int fdt_memory(const void *fdt, size_t len, struct fdt_range *out, size_t max, size_t *n)
{
	struct hdr h;
	int err = read_header(fdt, len, &h);
	if (err)
		return err;
	struct walk w = { .h = &h, .want = WANT_MEMORY, .out = out, .max = max };
	err = walk_struct(&w);
	*n = err ? 0 : w.n;
	return err;
}

int fdt_reserved(const void *fdt, size_t len, struct fdt_range *out, size_t max, size_t *n)
{
	struct hdr h;
	int err = read_header(fdt, len, &h);
	if (err)
		return err;
	struct walk w = { .h = &h, .want = WANT_RESERVED, .out = out, .max = max };
	/* §5.3: (address, size) pairs of 64 bits each, ended by a zero pair. */
	for (uint32_t off = h.off_rsvmap;; off += 16) {
		if (off > h.total - 16) {
			*n = 0;
			return -FDT_EBADHEADER;
		}
		uint64_t base = be64(h.b + off), size = be64(h.b + off + 8);
		if (!base && !size)
			break;
		if (w.n == max) {
			*n = 0;
			return -FDT_ETOOMANY;
		}
		out[w.n++] = (struct fdt_range){ base, size };
	}
	err = walk_struct(&w);
	*n = err ? 0 : w.n;
	return err;
}

int fdt_bootargs(const void *fdt, size_t len, char *buf, size_t size)
{
	if (size == 0)
		return -FDT_ETOOMANY;
	buf[0] = 0;
	struct hdr h;
	int err = read_header(fdt, len, &h);
	if (err)
		return err;
	struct walk w = { .h = &h, .want = WANT_BOOTARGS, .str = buf, .str_size = size };
	err = walk_struct(&w);
	if (err)
		buf[0] = 0;
	return err;
}
