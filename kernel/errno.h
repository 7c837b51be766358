// Linux's errno values (include/uapi/asm-generic/errno-base.h, errno.h). The driver API returns them negated.
#pragma once
#if __STDC_HOSTED__
// Host build: libc's <errno.h> defines the same names as macros, with Linux's values on Linux.
#include <errno.h>
#else
enum : int {
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    EAGAIN = 11,
    ENOMEM = 12,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    ENODEV = 19,
    EINVAL = 22,
    ENOSPC = 28,
    ERANGE = 34,
    ENOSYS = 38,
    ELOOP = 40,
    EOVERFLOW = 75,
    ENOTCONN = 107,
    ETIMEDOUT = 110,
};
#endif
