/* Names of mmkit's error codes (<mm/types.h>). */
#include <mm/types.h>

const char *mm_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0: return "success";
	case MM_EPERM: return "EPERM: operation not permitted on this object";
	case MM_ENOENT: return "ENOENT: not mapped";
	case MM_ENOMEM: return "ENOMEM: out of memory (frames or address space)";
	case MM_EACCES: return "EACCES: writable and executable at once (W^X policy)";
	case MM_EFAULT: return "EFAULT: range reaches outside the user half";
	case MM_EBUSY: return "EBUSY: in use (the active address space)";
	case MM_EEXIST: return "EEXIST: already mapped";
	case MM_EINVAL: return "EINVAL: unaligned, non-canonical or invalid argument";
	case MM_EOVERFLOW: return "EOVERFLOW: reference count would overflow";
	case MM_ENOTSUP: return "ENOTSUP: not supported";
	default: return "unknown error";
	}
}
