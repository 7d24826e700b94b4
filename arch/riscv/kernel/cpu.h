/*
 * riscv64 kernel CPU interface: the trap frame built by trap.S, the CSR
 * bits the kernel uses, and SBI calls. Sources: the RISC-V Privileged
 * Architecture, version 20211203 (§4.1.1 sstatus, §4.1.3 sie/sip, §4.1.9
 * scause, §4.1.11 satp, §4.2.1 sfence.vma), and the RISC-V SBI
 * specification v1.0 (§3 binary encoding, §6 TIME extension).
 */
#ifndef ARCH_RISCV_KERNEL_CPU_H
#define ARCH_RISCV_KERNEL_CPU_H

#include <stdint.h>

/* What trap.S saves, lowest address first: x1-x31 (x[n - 1] is register
 * xn), then the trap CSRs. 36 words: a multiple of 16 bytes. */
struct trapframe {
	uint64_t x[31];
	uint64_t sepc, sstatus, scause, stval, pad;
};
_Static_assert(sizeof(struct trapframe) == 36 * sizeof(uint64_t), "trap.S's TF_SIZE");

#define RV_SP         2
#define RV_A0         10
#define RV_A1         11
#define RV_A2         12
#define RV_A7         17
#define TF_REG(tf, n) ((tf)->x[(n)-1])

#define SSTATUS_SIE  (UINT64_C(1) << 1)
#define SSTATUS_SPIE (UINT64_C(1) << 5)
#define SSTATUS_SPP  (UINT64_C(1) << 8)
#define SSTATUS_SUM  (UINT64_C(1) << 18) /* S-mode may access U pages */
#define SIE_STIE     (UINT64_C(1) << 5)  /* supervisor timer interrupt */
#define SCAUSE_INTR  (UINT64_C(1) << 63)

/* scause exception codes (Privileged spec Table 4.2). */
enum {
	CAUSE_ILLEGAL = 2,
	CAUSE_BREAKPOINT = 3,
	CAUSE_ECALL_U = 8,
	CAUSE_FETCH_PF = 12,
	CAUSE_LOAD_PF = 13,
	CAUSE_STORE_PF = 15,
};
#define IRQ_S_TIMER 5

#define TF_PC(tf)        ((tf)->sepc)
#define TF_SP(tf)        TF_REG(tf, RV_SP)
#define TF_RET(tf)       TF_REG(tf, RV_A0)
#define TF_FROM_USER(tf) (((tf)->sstatus & SSTATUS_SPP) == 0)
/* System call (ecall): number in a7, arguments in a0, a1, a2, result in a0. */
#define TF_SYSNO(tf) TF_REG(tf, RV_A7)
#define TF_ARG0(tf)  TF_REG(tf, RV_A0)
#define TF_ARG1(tf)  TF_REG(tf, RV_A1)
#define TF_ARG2(tf)  TF_REG(tf, RV_A2)

/* A new user thread: entry, stack, and one argument for main (in a0).
 * sret goes to U-mode (SPP 0) with interrupts on (SPIE); SUM clear; FS is
 * 0 (off): a floating-point instruction is illegal, as the kernel saves
 * no FP state. */
static inline void tf_init_user(struct trapframe *tf, uintptr_t pc, uintptr_t sp, uintptr_t arg)
{
	*tf = (struct trapframe){ .sepc = pc, .sstatus = SSTATUS_SPIE };
	TF_REG(tf, RV_SP) = sp;
	TF_REG(tf, RV_A0) = arg;
}

/* Saved by swtch(), lowest address first: s0-s11, then ra. */
struct switch_frame {
	uint64_t s[12];
	uint64_t ret, pad;
};

/* One instruction that returns: c.ret (c.jr ra, 0x8082, little-endian). */
#define ARCH_RET_INSN                                                                              \
	{                                                                                          \
		0x82, 0x80                                                                         \
	}
/* The register that holds a space's root, for messages. */
#define ARCH_ROOT_REG "satp"
/* Was a process (exit status @st) killed by a page fault (scause 12, 13 or 15)? */
#define ARCH_KILLED_BY_PF(st)                                                                      \
	((st) == (EXIT_KILLED | CAUSE_FETCH_PF) || (st) == (EXIT_KILLED | CAUSE_LOAD_PF) ||        \
	 (st) == (EXIT_KILLED | CAUSE_STORE_PF))

#define csr_read(csr)                                                                              \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("csrr %0, " #csr : "=r"(v_));                                     \
		v_;                                                                                \
	})
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_set(csr, v)   __asm__ volatile("csrs " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" : : "r"((uint64_t)(v)) : "memory")

/* An SBI call (SBI v1.0 §3): extension in a7, function in a6. */
static inline long sbi_call(uint64_t ext, uint64_t fn, uint64_t a0)
{
	register uint64_t r0 __asm__("a0") = a0;
	register uint64_t r1 __asm__("a1") = 0;
	register uint64_t r6 __asm__("a6") = fn;
	register uint64_t r7 __asm__("a7") = ext;
	__asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
	return (long)r0;
}
#define SBI_EXT_TIME 0x54494D45u /* "TIME" */

/** riscv_timer_next() - program the next tick, a tick from now (SBI TIME
 * set_timer, which also clears the pending timer interrupt). machine.c. */
void riscv_timer_next(void);

#endif
