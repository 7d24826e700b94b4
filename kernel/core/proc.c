/*
 * Processes: each in its own mm-core address space. A preemptive
 * round-robin scheduler switches CR3 only between different spaces; fork
 * clones the space (copy-on-write); exit gives every frame back.
 * Single CPU; system calls run with interrupts off (interrupt gates),
 * except while write() copies a page to the console: interrupts are on
 * then, but the kernel is never preempted (only a return to user mode is).
 */
#include <mm/exec.h>
#include <kernel/proc.h>

#include <arch/layout.h>
#include <arch/pte.h>

#define HEAP_MAX (UINT64_C(1) << 28) /* bytes sbrk() may add */

static struct proc procs[NPROC];
static uint8_t kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(16)));
static struct proc *cur;
static int next_pid = 1;
static struct sched_stats stats;

struct proc *proc_current(void)
{
	return cur;
}

const struct sched_stats *sched_stats(void)
{
	return &stats;
}

static struct mm_space *space_of(struct proc *p)
{
	return p->pid == 0 ? mm_sys_kernel_space(kmm()) : p->space;
}

/* The programs linked into the kernel (kernel/user/). */
extern const uint8_t utest_start[], utest_end[], uhello_start[], uhello_end[];
extern const uint8_t uhostile_start[], uhostile_end[];
static const struct {
	const char *name;
	const uint8_t *start, *end;
} programs[] = { { "utest", utest_start, utest_end },
	         { "uhello", uhello_start, uhello_end },
	         { "uhostile", uhostile_start, uhostile_end } };

/* Build the image of @image into the empty space @s; set up @p's user
 * registers and heap. */
static int load_image(struct proc *p, struct mm_space *s, const char *name, const void *image,
                      size_t size, uintptr_t arg, bool arg_is_sp)
{
	const char *argv[] = { name, arg_is_sp ? "from-exec" : NULL, NULL };
	const char *envp[] = { "MMKIT=1", NULL };
	struct mm_exec_args a = { .argv = argv,
		                  .envp = envp,
		                  .stack_top = ARCH_USER_STACK_TOP,
		                  .stack_max_pages = USTACK_MAX_PAGES };
	struct mm_exec_image img;
	int err = mm_exec(s, image, size, &a, &img);
	if (err)
		return err;
	tf_init_user(p->tf, img.entry, img.sp, arg_is_sp ? img.sp : arg);
	return 0; /* mm_exec() started the heap of mm_brk() at img.brk */
}

void proc_init(void)
{
	/* Slot 0 is the idle process: the boot thread, in the kernel space. */
	procs[0] = (struct proc){ .pid = 0, .state = P_RUNNING, .name = "idle" };
	cur = &procs[0];
}

static struct proc *proc_alloc(const char *name)
{
	for (int i = 1; i < NPROC; i++) {
		struct proc *p = &procs[i];
		if (p->state != P_UNUSED)
			continue;
		*p = (struct proc){ .pid = next_pid++, .name = name, .kstack = kstacks[i] };
		/* The trap frame at the top of the kernel stack; below it a
		 * switch frame whose return address is trap_return, so the first
		 * swtch() to the process returns to user mode. */
		uint8_t *top = p->kstack + KSTACK_SIZE;
		p->tf = (struct trapframe *)(top - sizeof(struct trapframe));
		struct switch_frame *sf = (struct switch_frame *)p->tf - 1;
		*sf = (struct switch_frame){ .ret = (uintptr_t)trap_return };
		p->ksp = (uintptr_t)sf;
		return p;
	}
	return NULL;
}

struct proc *proc_spawn(const char *name, const void *image, size_t size, uintptr_t arg, int *err)
{
	struct proc *p = proc_alloc(name);
	if (!p) {
		*err = -MM_ENOMEM;
		return NULL;
	}
	p->space = &p->slot[0];
	*err = mm_space_create(kmm(), p->space);
	if (*err)
		goto fail_slot;
	*err = load_image(p, p->space, name, image, size, arg, false);
	if (*err)
		goto fail_space;
	p->parent = &procs[0];
	p->state = P_RUNNABLE;
	return p;
fail_space:
	mm_space_destroy(p->space);
fail_slot:
	p->state = P_UNUSED;
	return NULL;
}

void schedule(void)
{
	struct proc *prev = cur, *next = NULL;
	int at = (int)(prev - procs);
	for (int i = 1; i <= NPROC && !next; i++) {
		struct proc *p = &procs[(at + i) % NPROC];
		if (p != &procs[0] && p->state == P_RUNNABLE)
			next = p;
	}
	if (!next)
		next = prev->state == P_RUNNING ? prev : &procs[0];
	if (next == prev)
		return;
	if (prev->state == P_RUNNING)
		prev->state = P_RUNNABLE;
	next->state = P_RUNNING;
	cur = next;
	stats.switches++;
	if (next->kstack)
		cpu_set_kernel_stack((uintptr_t)(next->kstack + KSTACK_SIZE));
	/* CR3 is written only when the space changes. */
	struct mm_space *s = space_of(next);
	if (!mm_space_is_active(s)) {
		mm_space_activate(s);
		stats.cr3_writes++;
	} else {
		stats.cr3_skips++;
	}
	swtch(&prev->ksp, next->ksp);
}

static void wake_parent(struct proc *p)
{
	if (p->parent && p->parent->state == P_BLOCKED)
		p->parent->state = P_RUNNABLE;
}

/* The current process ends: free its space, become a zombie, never return. */
__attribute__((noreturn)) static void proc_exit(int status)
{
	struct proc *p = cur;
	if (p->pid == 0)
		panic("the idle process tried to exit");
	/* Switch to the kernel space first: a space cannot free the tables
	 * it runs on (mm_space_destroy() says -MM_EBUSY). */
	mm_space_activate(mm_sys_kernel_space(kmm()));
	int err = mm_space_destroy(p->space);
	if (err)
		panic("exit: mm_space_destroy: %s", mm_strerror(err));
	for (int i = 1; i < NPROC; i++)
		if (procs[i].parent == p && procs[i].state != P_UNUSED)
			procs[i].parent = &procs[0]; /* orphans go to idle */
	p->status = status;
	p->state = P_ZOMBIE;
	wake_parent(p);
	schedule();
	panic("a zombie was scheduled");
}

const char *proc_who(const struct proc *p, char *buf)
{
	if (!p)
		return "before any process";
	char digits[12];
	int n = 0;
	unsigned v = (unsigned)p->pid;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	char *b = buf;
	for (const char *s = "pid "; *s; s++)
		*b++ = *s;
	while (n)
		*b++ = digits[--n];
	*b = 0;
	return buf;
}

const char *fault_verdict_name(enum mm_fault_verdict v)
{
	static const char *const names[] = { "resolved", "segmentation violation",
		                             "protection violation", "out of memory" };
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown verdict";
}

void proc_kill(struct proc *p, unsigned vector)
{
	stats.killed++;
	if (p == cur)
		proc_exit(EXIT_KILLED | (int)(vector & 0xff));
}

void proc_each_live(void (*fn)(struct proc *p, void *ctx), void *ctx)
{
	for (int i = 1; i < NPROC; i++)
		if (procs[i].state == P_RUNNABLE || procs[i].state == P_RUNNING ||
		    procs[i].state == P_BLOCKED)
			fn(&procs[i], ctx);
}

void proc_run_until_idle(void (*on_exit)(struct proc *p, void *ctx), void *ctx)
{
	for (;;) {
		bool any = false;
		for (int i = 1; i < NPROC; i++) {
			struct proc *p = &procs[i];
			if (p->state == P_ZOMBIE && p->parent == &procs[0]) {
				if (on_exit)
					on_exit(p, ctx);
				p->state = P_UNUSED;
			} else if (p->state != P_UNUSED) {
				any = true;
			}
		}
		if (!any)
			return;
		arch_wait_for_interrupt();
		schedule();
	}
}

/* ---- system calls --------------------------------------------------------- */

/* Is [va, va + len) inside the caller's user half, and can user code
 * access it (write it if @write)? Pages not present yet, or COW, are
 * faulted in as the user's own access would. Checked before the kernel
 * touches user memory. */
static bool user_range_ok(struct proc *p, uintptr_t va, size_t len, bool write)
{
	if (len == 0)
		return true;
	if (va >= ARCH_USER_END || len > ARCH_USER_END - va)
		return false;
	uintptr_t page = va & ~(uintptr_t)(ARCH_PAGE_SIZE - 1);
	for (; page < va + len; page += ARCH_PAGE_SIZE) {
		struct mm_mapping m;
		if (mm_query(p->space, page, &m) == 0 && (m.prot & MM_PROT_USER) &&
		    (!write || (m.prot & MM_PROT_WRITE)))
			continue;
		/* Not present yet, or COW: fault it in as the user's access would. */
		if (mm_fault(p->space, page, write ? MM_ACCESS_WRITE : MM_ACCESS_READ, NULL) !=
		    MM_FAULT_RESOLVED)
			return false;
		if (mm_query(p->space, page, &m) != 0 || !(m.prot & MM_PROT_USER))
			return false;
	}
	return true;
}

/* write(fd, buf, len) to the console, a page at a time: each page is
 * checked (and faulted in) just before its bytes are copied, with
 * interrupts on for the copy (the timer does not preempt kernel code, so
 * nothing else runs meanwhile). A bad page ends the write: it returns the
 * bytes before it, or -EFAULT if there were none, as Linux does. */
static long sys_write(struct proc *p, uintptr_t fd, uintptr_t va, uintptr_t len)
{
	if (fd != 1 && fd != 2)
		return -K_EBADF;
	if (len && (va >= ARCH_USER_END || len > ARCH_USER_END - va))
		return -MM_EFAULT;
	uintptr_t done = 0;
	while (done < len) {
		uintptr_t at = va + done;
		uintptr_t n = ARCH_PAGE_SIZE - (at & (ARCH_PAGE_SIZE - 1));
		if (n > len - done)
			n = len - done;
		if (!user_range_ok(p, at, n, false))
			break;
		arch_irq_enable();
		arch_user_access_begin();
		for (uintptr_t i = 0; i < n; i++)
			console_putc(((const char *)at)[i]);
		arch_user_access_end();
		arch_irq_disable();
		done += n;
	}
	return done ? (long)done : -MM_EFAULT;
}

static long sys_fork(struct proc *p)
{
	struct proc *c = proc_alloc(p->name);
	if (!c)
		return -MM_ENOMEM;
	c->space = &c->slot[0];
	int err = mm_space_clone(p->space, c->space, MM_CLONE_COW);
	if (err) {
		c->state = P_UNUSED;
		return err;
	}
	*c->tf = *p->tf;
	TF_RET(c->tf) = 0; /* the child sees fork() return 0 */
	c->parent = p;
	c->state = P_RUNNABLE;
	return c->pid;
}

static long sys_wait(struct proc *p, uintptr_t status_va)
{
	if (!user_range_ok(p, status_va, status_va ? sizeof(int) : 0, true))
		return -MM_EFAULT;
	for (;;) {
		bool children = false;
		for (int i = 1; i < NPROC; i++) {
			struct proc *c = &procs[i];
			if (c->parent != p || c->state == P_UNUSED)
				continue;
			children = true;
			if (c->state == P_ZOMBIE) {
				int pid = c->pid;
				if (status_va) {
					arch_user_access_begin();
					*(int *)status_va = c->status;
					arch_user_access_end();
				}
				c->state = P_UNUSED;
				return pid;
			}
		}
		if (!children)
			return -K_ECHILD;
		p->state = P_BLOCKED;
		schedule();
	}
}

static long sys_sbrk(struct proc *p, intptr_t incr)
{
	/* The heap is mm-core's (mm_brk()): it starts where mm_exec() put it
	 * and a fork's clone carries it. */
	const uintptr_t base = p->space->brk_start, old = p->space->brk;
	uintptr_t new_brk = old + (uintptr_t)incr;
	if ((incr > 0 && new_brk < old) || (incr < 0 && new_brk > old) || new_brk < base ||
	    new_brk - base > HEAP_MAX)
		return -MM_EINVAL;
	mm_vaddr_t now;
	int err = mm_brk(p->space, new_brk, &now);
	if (err)
		return err;
	return (long)old;
}

/* spawn(arg): a new process running the built-in program, created while
 * the caller's space is active: its user half must start empty. */
static long sys_spawn(struct proc *p, uintptr_t arg)
{
	int err;
	struct proc *c =
	        proc_spawn("utest", utest_start,
	                   (size_t)((uintptr_t)utest_end - (uintptr_t)utest_start), arg, &err);
	if (!c)
		return err;
	c->parent = p;
	return c->pid;
}

/* exec(n, arg): replace the image with built-in program @n. The new image
 * is built in the other space slot; the old one is destroyed only once the
 * new one is complete, so a failure returns to the old image. */
static long sys_exec(struct proc *p, uintptr_t n)
{
	if (n >= sizeof(programs) / sizeof(programs[0]))
		return -MM_EINVAL;
	struct mm_space *old = p->space, *new = old == &p->slot[0] ? &p->slot[1] : &p->slot[0];
	int err = mm_space_create(kmm(), new);
	if (err)
		return err;
	struct trapframe saved = *p->tf;
	err = load_image(p, new, programs[n].name, programs[n].start,
	                 (size_t)(programs[n].end - programs[n].start), 0, true);
	if (err) {
		*p->tf = saved;
		mm_space_destroy(new);
		return err;
	}
	p->space = new;
	p->name = programs[n].name;
	mm_space_activate(new);
	err = mm_space_destroy(old);
	if (err)
		panic("exec: destroying the old image: %s", mm_strerror(err));
	return (long)TF_RET(p->tf); /* keep the new image's first argument */
}

/* Pages covering @len bytes, without wrapping: @len near UINTPTR_MAX must
 * not round up to a few pages. */
static uint64_t pages_of(uintptr_t len)
{
	return (uint64_t)(len / ARCH_PAGE_SIZE) + (len % ARCH_PAGE_SIZE != 0);
}

/* The protection a user asks for (any of MM_PROT_WRITE and MM_PROT_EXEC,
 * READ implied) as a region protection, or a negative error. W^X is the
 * kernels' policy, enforced by mm-core (mm_sys_set_wx(), on in mem_init()):
 * writable and executable at once is refused with EACCES (as an SELinux
 * execmem denial on Linux; OpenBSD says ENOTSUP), so code a program can
 * write never runs, and code that runs was never writable. */
static long user_prot(uintptr_t prot)
{
	if (prot & ~(uintptr_t)(MM_PROT_WRITE | MM_PROT_EXEC))
		return -MM_EINVAL;
	return MM_PROT_READ | (long)prot;
}

static long sys_mmap(struct proc *p, uintptr_t len, uintptr_t prot)
{
	long uprot = user_prot(prot);
	if (uprot < 0)
		return uprot;
	if (len == 0)
		return -MM_EINVAL;
	mm_vaddr_t va;
	int err = mm_mmap(p->space, 0, pages_of(len), (unsigned)uprot, 0, &va);
	return err ? err : (long)va;
}

/* mprotect(va, len, prot): W^X as for mmap; mm-core checks the range is
 * user memory inside regions. */
static long sys_mprotect(struct proc *p, uintptr_t va, uintptr_t len, uintptr_t prot)
{
	long uprot = user_prot(prot);
	if (uprot < 0)
		return uprot;
	if ((va & (ARCH_PAGE_SIZE - 1)) || len == 0)
		return -MM_EINVAL;
	return mm_mprotect(p->space, va, pages_of(len), (unsigned)uprot);
}

long syscall_dispatch(struct trapframe *tf)
{
	struct proc *p = cur;
	uintptr_t a0 = TF_ARG0(tf), a1 = TF_ARG1(tf), a2 = TF_ARG2(tf);
	switch (TF_SYSNO(tf)) {
	case SYS_write: return sys_write(p, a0, a1, a2);
	case SYS_getpid: return p->pid;
	case SYS_fork: return sys_fork(p);
	case SYS_exit: proc_exit((int)a0);
	case SYS_wait: return sys_wait(p, a0);
	case SYS_yield: schedule(); return 0;
	case SYS_sbrk: return sys_sbrk(p, (intptr_t)a0);
	case SYS_spawn: return sys_spawn(p, a0);
	case SYS_mmap: return sys_mmap(p, a0, a1);
	case SYS_munmap:
		if ((a0 & (ARCH_PAGE_SIZE - 1)) || a1 == 0)
			return -MM_EINVAL;
		return mm_munmap(p->space, a0, pages_of(a1));
	case SYS_mprotect: return sys_mprotect(p, a0, a1, a2);
	case SYS_exec: return sys_exec(p, a0);
	case SYS_kinfo:
		if (a0 == KINFO_FREE_FRAMES)
			return (long)mm_frames_free_count(&kmm()->frames);
		if (a0 == KINFO_TICKS)
			return (long)stats.ticks;
		if (a0 == KINFO_THP)
			return kmm()->thp && kmm()->large_max >= 1 ? (long)1 << arch_level_shift(1)
			                                           : 0;
		if (a0 == KINFO_HIGHMEM)
			return mm_frames_zone_total(&kmm()->frames, MM_ZONE_HIGH)
			               ? (long)(kmm()->frames.high_base >> ARCH_PAGE_SHIFT)
			               : 0;
#ifdef MMKIT_TEST_KINFO_PHYS
		/* TEST ONLY (the mmkit-<isa>-test kernels): where is my page?
		 * A physical address is nothing a user program should know. */
		if (a0 == KINFO_PHYS) {
			struct mm_mapping m;
			if (a1 >= ARCH_USER_END || mm_query(p->space, a1, &m) != 0)
				return -MM_EFAULT;
			p->probe_pa = m.pa;
			return (long)(m.pa >> ARCH_PAGE_SHIFT);
		}
#endif
		return -MM_EINVAL;
	default: return -K_ENOSYS;
	}
}
