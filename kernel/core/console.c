/*
 * The console: formatted output, TAP and panic on the arch's serial line
 * (arch_console_putc(): COM1 on x86, the virt machine's NS16550A on
 * riscv64), polled. QEMU's -serial shows it.
 */
#include <kernel/kernel.h>

void console_putc(char c)
{
	if (c == '\n')
		arch_console_putc('\r');
	arch_console_putc(c);
}

static void put_uint(uint64_t v, unsigned base, int width, char pad)
{
	char buf[24];
	int n = 0;
	do {
		unsigned d = (unsigned)(v % base);
		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	while (n < width--)
		console_putc(pad);
	while (n)
		console_putc(buf[--n]);
}

/* %s %c %d %u %x %p, with l/ll/z modifiers, a width and 0-padding. */
void kvprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			console_putc(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, longs = 0;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			longs++, fmt++;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s; s++)
				console_putc(*s);
			break;
		}
		case 'c': console_putc((char)va_arg(ap, int)); break;
		case 'd': {
			int64_t v = longs >= 2   ? va_arg(ap, long long)
			            : longs == 1 ? va_arg(ap, long)
			                         : va_arg(ap, int);
			if (v < 0)
				console_putc('-'), v = -v;
			put_uint((uint64_t)v, 10, width, pad);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = longs >= 2   ? va_arg(ap, unsigned long long)
			             : longs == 1 ? va_arg(ap, unsigned long)
			                          : va_arg(ap, unsigned);
			put_uint(v, *fmt == 'x' ? 16 : 10, width, pad);
			break;
		}
		case 'p':
			console_putc('0'), console_putc('x');
			put_uint((uintptr_t)va_arg(ap, void *), 16, 0, ' ');
			break;
		case '%': console_putc('%'); break;
		default: console_putc('%'), console_putc(*fmt);
		}
	}
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	arch_irq_disable();
	kprintf("\nPANIC: ");
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\nBail out! kernel panic\n");
	arch_qemu_exit(false);
}

void mm_panic(const char *msg)
{
	panic("mm-core: %s", msg);
}

static unsigned tap_n, tap_failed;

void tap_ok(bool ok, const char *fmt, ...)
{
	kprintf("%s %u - ", ok ? "ok" : "not ok", ++tap_n);
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	tap_failed += !ok;
}

void tap_done(void)
{
	kprintf("1..%u\n# %u passed, %u failed\n", tap_n, tap_n - tap_failed, tap_failed);
	arch_qemu_exit(tap_failed == 0);
}
