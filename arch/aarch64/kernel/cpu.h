/*
 * aarch64 kernel CPU interface: the trap frame built by trap.S, the
 * system-register bits the kernel uses, and the accessors the common
 * kernel reads (kernel/arch.h). Sources: Arm Architecture Reference Manual
 * for A-profile (ARM DDI 0487): D1 "The AArch64 Exception Model" (vector
 * offsets, exception return), D17 (ESR_EL1: EC values and the data and
 * instruction abort ISS; SCTLR_EL1; TCR_EL1; MAIR_EL1; CPACR_EL1;
 * ID_AA64MMFR0_EL1, ID_AA64MMFR1_EL1), C5.2 (PSTATE fields, SPSR_EL1).
 */
#ifndef ARCH_AARCH64_KERNEL_CPU_H
#define ARCH_AARCH64_KERNEL_CPU_H

#include <stdint.h>

/* What trap.S saves, lowest address first: x0-x30, then the stack
 * pointer of the interrupted code (SP_EL0 from EL0, the kernel's own from
 * EL1), ELR_EL1, SPSR_EL1, ESR_EL1, FAR_EL1, and which of the 16 vectors
 * was taken. 38 words: a multiple of 16 bytes. */
struct trapframe {
	uint64_t x[31];
	uint64_t sp, elr, spsr, esr, far, vector, pad;
};
_Static_assert(sizeof(struct trapframe) == 38 * sizeof(uint64_t), "trap.S's TF_SIZE");

/* SPSR_EL1 / PSTATE (C5.2.18): M[3:0] 0 = EL0t; the DAIF masks. */
#define SPSR_M_MASK UINT64_C(0xF)
#define SPSR_EL0T   UINT64_C(0)

/* ESR_EL1 (D17.2.37): EC in bits 31:26, IL bit 25, ISS bits 24:0. */
#define ESR_EC_SHIFT 26
#define ESR_EC(esr)  ((unsigned)((esr) >> ESR_EC_SHIFT) & 0x3Fu)
#define ESR_ISS_WNR  (UINT64_C(1) << 6)  /* data abort: the access was a write */
#define ESR_ISS_FNV  (UINT64_C(1) << 10) /* FAR_EL1 not valid */
#define ESR_FSC(esr) ((unsigned)(esr)&0x3Fu)

/* Exception classes (ESR_EL1.EC, D17.2.37 table). */
enum {
	EC_UNKNOWN = 0x00,  /* undefined instruction, among others */
	EC_WFX = 0x01,      /* WFI or WFE trapped (SCTLR_EL1.nTWI/nTWE = 0) */
	EC_FP = 0x07,       /* SIMD or FP access trapped (CPACR_EL1.FPEN) */
	EC_ILLEGAL = 0x0E,  /* illegal execution state */
	EC_SVC64 = 0x15,    /* SVC from AArch64 */
	EC_SYSREG = 0x18,   /* MSR, MRS or system instruction trapped */
	EC_IABT_LOW = 0x20, /* instruction abort from a lower EL */
	EC_IABT_CUR = 0x21, /* instruction abort at EL1 */
	EC_PC_ALIGN = 0x22, /* PC alignment fault */
	EC_DABT_LOW = 0x24, /* data abort from a lower EL */
	EC_DABT_CUR = 0x25, /* data abort at EL1 */
	EC_SP_ALIGN = 0x26, /* SP alignment fault */
	EC_BRK = 0x3C,      /* BRK instruction */
};

/* Fault status codes (DFSC/IFSC, bits 5:0): bits 5:2 the kind, 1:0 the level. */
#define FSC_KIND(fsc)    ((fsc)&0x3Cu)
#define FSC_ADDRESS_SIZE 0x00u
#define FSC_TRANSLATION  0x04u
#define FSC_ACCESS_FLAG  0x08u
#define FSC_PERMISSION   0x0Cu
#define FSC_LEVEL(fsc)   ((fsc)&3u)

/* The vectors (VBAR_EL1 + 0x80 * n, D1.10.2), as trap.S numbers them. */
enum {
	VEC_EL1T_SYNC = 0, /* current EL with SP_EL0: never used by this kernel */
	VEC_EL1H_SYNC = 4, /* current EL with SP_EL1 */
	VEC_EL1H_IRQ = 5,
	VEC_EL0_SYNC = 8, /* lower EL, AArch64 */
	VEC_EL0_IRQ = 9,
	VEC_EL0_32 = 12, /* lower EL, AArch32: 12-15 */
};

#define TF_PC(tf)        ((tf)->elr)
#define TF_SP(tf)        ((tf)->sp)
#define TF_RET(tf)       ((tf)->x[0])
#define TF_FROM_USER(tf) (((tf)->spsr & SPSR_M_MASK) == SPSR_EL0T)
/* System call (svc #0): number in x8, arguments in x0, x1, x2, result in x0. */
#define TF_SYSNO(tf) ((tf)->x[8])
#define TF_ARG0(tf)  ((tf)->x[0])
#define TF_ARG1(tf)  ((tf)->x[1])
#define TF_ARG2(tf)  ((tf)->x[2])

/* A new user thread: entry, stack, and one argument for main (in x0).
 * eret goes to EL0t (SPSR M = 0) with D, A, I and F clear: interrupts on. */
static inline void tf_init_user(struct trapframe *tf, uintptr_t pc, uintptr_t sp, uintptr_t arg)
{
	*tf = (struct trapframe){ .elr = pc, .sp = sp, .spsr = SPSR_EL0T };
	tf->x[0] = arg;
}

/* Saved by swtch(), lowest address first: x19-x29, then x30 (the return). */
struct switch_frame {
	uint64_t x[11];
	uint64_t ret;
};

/* One instruction that returns: ret (0xd65f03c0, little-endian). */
#define ARCH_RET_INSN                                                                              \
	{                                                                                          \
		0xc0, 0x03, 0x5f, 0xd6                                                             \
	}
/* The register that holds a process space's root, for messages. */
#define ARCH_ROOT_REG "TTBR0_EL1"
/* A process (exit status @st) the kernel killed for an abort: the status
 * is EXIT_KILLED | ESR_EL1.EC (0x20 instruction, 0x24 data abort). */
#define ARCH_KILLED_BY_PF(st)                                                                      \
	((st) == (EXIT_KILLED | EC_IABT_LOW) || (st) == (EXIT_KILLED | EC_DABT_LOW))

/* System registers, by name (the assembler knows every one used here). */
#define sysreg_read(reg)                                                                           \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #reg : "=r"(v_));                                      \
		v_;                                                                                \
	})
#define sysreg_write(reg, v) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(v)) : "memory")
#define isb()                __asm__ volatile("isb" ::: "memory")

/* SCTLR_EL1 (D17.2.118) bits this kernel changes after boot. */
#define SCTLR_SPAN (UINT64_C(1) << 23) /* 0: PSTATE.PAN set on exception entry */
#define SCTLR_WXN  (UINT64_C(1) << 19) /* writable implies never executable */

/* ID_AA64MMFR1_EL1.PAN, bits 23:20 (D17.2.65): non-zero with FEAT_PAN. */
#define ID_MMFR1_PAN_SHIFT 20
/* ID_AA64MMFR0_EL1.ASIDBits, bits 7:4 (D17.2.64): 0b0010 = 16 bits. */
#define ID_MMFR0_ASID_SHIFT 4
#define ID_MMFR0_ASID_16    2u

/* TCR_EL1.EPD0 (bit 7): no walks through TTBR0_EL1 (D17.2.131). */
#define TCR_EPD0 (UINT64_C(1) << 7)
/* TTBRn_EL1: the ASID in bits 63:48 (D17.2.146). */
#define TTBR_ASID_SHIFT 48

/* GICv2 interrupt IDs (GIC architecture v2, §2.2.1): 1020-1023 are special. */
#define GIC_SPURIOUS 1023u
/* The EL1 virtual timer's PPI on QEMU's virt machine (its devicetree's
 * timer node: 27). */
#define IRQ_VTIMER 27u

/**
 * aarch64_irq() - handle the interrupt the GIC signals: acknowledge it,
 * run its handler (the timer: program the next tick), end it. Return: its
 * interrupt ID, or GIC_SPURIOUS if there was none. machine.c.
 */
unsigned aarch64_irq(void);

/**
 * ttbr1_switch() - load @root (physical) into TTBR1_EL1 in place of the
 * boot tables, with break-before-make for the whole kernel half (boot.S).
 * Preconditions: called once, with interrupts off, while TTBR0_EL1 still
 * holds the boot tables' identity map.
 */
void ttbr1_switch(uint64_t root);

/** aarch64_has_pan() - has this CPU FEAT_PAN (ID_AA64MMFR1_EL1.PAN)? cpu.c. */
int aarch64_has_pan(void);

#endif
