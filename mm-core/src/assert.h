/*
 * Internal: invariant checks. A broken invariant is a bug in mm-core or in
 * its caller's use of a precondition, never a caller error: it stops the
 * machine (the kernel panics, the simulator aborts) through mm_panic(),
 * which each platform provides (see <mm/mm.h>).
 */
#ifndef MM_SRC_ASSERT_H
#define MM_SRC_ASSERT_H

#include <mm/mm.h>

#define MM_STR2(x) #x
#define MM_STR(x)  MM_STR2(x)
#define MM_ASSERT(cond)                                                                            \
	do {                                                                                       \
		if (__builtin_expect(!(cond), 0))                                                  \
			mm_panic(__FILE__ ":" MM_STR(__LINE__) ": assertion failed: " #cond);      \
	} while (0)

#endif
